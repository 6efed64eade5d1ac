"""Refresh ``matrix/ansible_core.yml`` from the package index's metadata.

For each series in the file, and each newer series released since, the
supported Pythons are those of ``matrix/python.yml`` that the latest release's
``requires-python`` admits and that the series supports (``since`` in
``python.yml``: the index gives no upper bound). End-of-life dates are not in
the index: a new series is added with ``eol: null``, and the command says to
fill it in.

It also reports each series and Python past or near its end of life (within
90 days), and proposes a new default ``min_ansible_core`` (copier.yml) when the
default is one of them: the oldest series with more maintenance left.

Usage::

    python -m tools.refresh_ansible_core            # rewrite the file
    python -m tools.refresh_ansible_core --check    # exit 1 and list any drift
    python -m tools.refresh_ansible_core --index F  # read a saved index response
    python -m tools.refresh_ansible_core --today 2026-11-30   # end of life as of that day
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from tools.matrix import MATRIX, NEAR_EOL_DAYS, eol_status, load, maintained_minimum

INDEX_URL = "https://pypi.org/pypi/ansible-core/json"
TARGET = MATRIX / "ansible_core.yml"
COPIER_YML = MATRIX.parent / "copier.yml"
# The min_ansible_core question's default, as copier.yml writes it.
DEFAULT_MIN = re.compile(
    r'^min_ansible_core:\n(?:  .*\n)*?  default: "(?P<version>[^"]+)"', re.MULTILINE
)
HEADER = """\
# ansible-core release series modskel supports, oldest first.
#   version   the series (X.Y)
#   python    controller Pythons the series supports: matrix/python.yml versions
#             its latest release's requires-python admits, `since` this series
#   latest    its newest release: generated projects pin it (unit cells, lint)
#   eol       end of upstream maintenance (Ansible's release and maintenance page);
#             the refresh command reports series past or within 90 days of it
# Refresh python and latest, add new series: python -m tools.refresh_ansible_core
"""

Row = dict[str, Any]


class RefreshError(RuntimeError):
    """The index could not be read; the message says what to do."""


def fetch(source: str) -> dict[str, Any]:
    """Return the index's JSON for ansible-core, from a URL or a saved file."""
    try:
        if "://" not in source:
            return json.loads(Path(source).read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - https URL by default
            return json.load(response)  # type: ignore[no-any-return]
    except (OSError, urllib.error.URLError, json.JSONDecodeError) as error:
        msg = f"cannot read the index at {source} ({error}): check the network or pass --index FILE"
        raise RefreshError(msg) from error


def newest_releases(index: dict[str, Any]) -> dict[str, tuple[Version, str]]:
    """Map each X.Y series to its newest final release and that release's requires-python."""
    newest: dict[str, tuple[Version, str]] = {}
    for text, files in index.get("releases", {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        live = [f for f in files if not f.get("yanked")]
        if version.is_prerelease or not live:
            continue
        series = f"{version.major}.{version.minor}"
        if series not in newest or version > newest[series][0]:
            newest[series] = (version, live[0].get("requires_python") or "")
    return newest


def supported(series: str, spec: str, pythons: list[Row]) -> list[str]:
    """Return the Pythons ``series`` supports: ``spec`` admits them, and they are ``since`` it."""
    return [
        str(py["version"])
        for py in pythons
        if SpecifierSet(spec).contains(str(py["version"]))
        and Version(series) >= Version(str(py["since"]))
    ]


def refreshed(rows: list[Row], index: dict[str, Any], pythons: list[Row]) -> list[Row]:
    """Return ``rows`` with Pythons from the index, plus any newer series."""
    known = {row["version"]: dict(row) for row in rows}
    newest = max((Version(v) for v in known), default=Version("0"))
    for series, (release, spec) in newest_releases(index).items():
        if series not in known and Version(series) <= newest:
            continue  # an older series the matrix dropped on purpose
        row = known.setdefault(series, {"version": series, "python": [], "eol": None})
        row["python"] = supported(series, spec, pythons)
        row["latest"] = str(release)
    return sorted(known.values(), key=lambda row: Version(row["version"]))


def drift(old: list[Row], new: list[Row]) -> list[str]:
    """Describe, one line each, how ``new`` differs from ``old``."""
    before = {row["version"]: row for row in old}
    lines = []
    for row in new:
        was = before.get(row["version"])
        if was is None:
            lines.append(f"{row['version']}: new series, Pythons {', '.join(row['python'])}")
            continue
        if was["python"] != row["python"]:
            old_pythons, new_pythons = ", ".join(was["python"]), ", ".join(row["python"])
            lines.append(f"{row['version']}: Pythons {old_pythons} -> {new_pythons}")
        if was.get("latest") != row.get("latest"):
            lines.append(f"{row['version']}: latest {was.get('latest')} -> {row.get('latest')}")
    return lines


def lifecycle(rows: list[Row], pythons: list[Row], today: dt.date) -> list[str]:
    """Name, one line each, every series and Python past or near its end of life."""
    lines = [f"{row['version']}: {eol_status(row['eol'], today)}" for row in rows]
    lines += [f"Python {py['version']}: {eol_status(py['eol'], today)}" for py in pythons]
    return [line for line in lines if not line.endswith(": ")]


def default_minimum(copier_yml: Path) -> str:
    """Return the ``min_ansible_core`` default written in ``copier_yml``."""
    found = DEFAULT_MIN.search(copier_yml.read_text(encoding="utf-8"))
    if found is None:
        msg = f"{copier_yml.name}: no min_ansible_core default found: restore its `default:` line"
        raise RefreshError(msg)
    return found["version"]


def proposal(rows: list[Row], default: str, today: dt.date) -> str:
    """Propose a new default minimum when ``default`` is past or near its end of life."""
    row = next((row for row in rows if row["version"] == default), None)
    why = eol_status(row["eol"], today) if row else "is no longer in the matrix"
    if not why:
        return ""
    new = maintained_minimum(rows, today)
    return (
        f"default min_ansible_core {default} {why}: make it {new} in copier.yml "
        f"(the oldest series with over {NEAR_EOL_DAYS} days of maintenance left)"
    )


def render(rows: list[Row]) -> str:
    """Return the file's text for ``rows``."""
    lines = []
    for row in rows:
        pythons = ", ".join(f'"{py}"' for py in row["python"])
        eol = row["eol"] if row["eol"] is not None else "null"
        latest = f'"{row["latest"]}"' if row.get("latest") else "null"
        fields = f'version: "{row["version"]}", python: [{pythons}], latest: {latest}, eol: {eol}'
        lines.append(f"- {{{fields}}}\n")
    return HEADER + "".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Refresh the file, or with ``--check`` report drift; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    parser.add_argument("--index", default=INDEX_URL, help="index URL or saved JSON file")
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=dt.datetime.now(tz=dt.UTC).date(),
        help="YYYY-MM-DD",
    )
    args = parser.parse_args(argv)
    try:
        index = fetch(args.index)
        default = default_minimum(COPIER_YML)
    except RefreshError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rows: list[Row] = yaml.safe_load(TARGET.read_text(encoding="utf-8"))
    pythons: list[Row] = load("python")
    new = refreshed(rows, index, pythons)
    changes = drift(rows, new)
    propose = proposal(new, default, args.today)
    for line in [*changes, *lifecycle(new, pythons, args.today), *filter(None, [propose])]:
        print(line)
    if args.check:
        if changes:
            print(f"{TARGET.name} is out of date: run `python -m tools.refresh_ansible_core`.")
        return 1 if changes or propose else 0
    TARGET.write_text(render(new), encoding="utf-8")
    for row in new:
        if row["eol"] is None:
            print(f"{row['version']}: fill in its eol date in {TARGET.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
