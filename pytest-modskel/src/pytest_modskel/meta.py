"""``meta/main.yml`` against what the project's answers say it must state.

The author owns ``meta/main.yml`` (its ``galaxy_tags`` and ``dependencies``
above all): the template writes it once and no longer rewrites it. Two of its
fields still follow the template's answers: ``galaxy_info.platforms`` (the
platforms the role is tested on) and ``galaxy_info.min_ansible_version`` (the
oldest ansible-core tested). The template-owned ``tests/unit/test_meta.py``
calls :func:`meta_problems` with those values and fails with its lines, each
ending in the YAML to paste::

    problems = meta_problems(root, platforms={"Debian": ["bookworm"]},
                             min_ansible_version="2.19")
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.errors import ConfigError
from pytest_modskel.project import Project

WHERE = "meta/main.yml"
RUNTIME = "meta/runtime.yml"


def meta_problems(
    root: Path, *, platforms: Mapping[str, Sequence[str]], min_ansible_version: str
) -> list[str]:
    """Return one line per way ``<root>/meta/main.yml`` differs from the answers; [] if none.

    Args:
        root: the project folder.
        platforms: Galaxy platform name -> versions, from the ``platforms`` answer.
        min_ansible_version: the ``min_ansible_core`` answer.
    """
    try:
        info = galaxy_info(root / WHERE)
    except ConfigError as error:
        return [str(error)]
    untested = [str(name) for name in Project(root).settings.get("untested_platforms", [])]
    return version_problems(info, min_ansible_version) + platform_problems(
        info, platforms, untested
    )


def galaxy_info(path: Path) -> dict[str, Any]:
    """Return the ``galaxy_info`` mapping of ``path``; ConfigError if there is none."""
    if not path.is_file():
        msg = f"{WHERE}: not found: restore it (git checkout -- {WHERE}); Galaxy needs it"
        raise ConfigError(msg)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        msg = f"{WHERE}: not valid YAML{where} ({getattr(error, 'problem', error)}): fix it"
        raise ConfigError(msg) from None
    info = data.get("galaxy_info") if isinstance(data, dict) else None
    if not isinstance(info, dict):
        msg = f"{WHERE}: galaxy_info is missing or not a mapping: add it (Galaxy needs it)"
        raise ConfigError(msg)
    return info


def version_problems(info: Mapping[str, Any], expected: str) -> list[str]:
    """Return the line about ``min_ansible_version`` if it is not the string ``expected``."""
    actual = info.get("min_ansible_version")
    if actual == expected:
        return []
    shown = "not set" if actual is None else json.dumps(actual)
    fix = f'min_ansible_version: "{expected}"'
    answer = f'your min_ansible_core answer is "{expected}"'
    return [f"{WHERE}: galaxy_info.min_ansible_version is {shown}, {answer}: write  {fix}"]


def platform_problems(
    info: Mapping[str, Any],
    expected: Mapping[str, Sequence[str]],
    untested: Collection[str] = (),
) -> list[str]:
    """Return a line per Galaxy platform whose versions differ from ``expected``.

    A platform named in ``untested`` ([tool.modskel] untested_platforms) may
    list more versions than are tested, or be listed though none is.
    """
    where = f"{WHERE}: galaxy_info.platforms"
    entries = info.get("platforms")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        wanted = ", ".join(entry(name, versions) for name, versions in expected.items())
        return [f"{where} is not a list of entries: write  platforms: [{wanted}]"]
    actual = listed_versions(entries)
    problems = []
    for name, versions in expected.items():
        tested = f"your platforms answer tests {dumps(versions)}"
        if name not in actual:
            problems.append(f"{where} lacks {name}, {tested}: add  - {entry(name, versions)}")
        elif name in untested and actual[name] >= set(versions):
            continue
        elif actual[name] != set(versions):
            has = f"has {name} versions {dumps(sorted(actual[name]))}"
            problems.append(f"{where} {has}, {tested}: make it  - {entry(name, versions)}")
    why = (
        "which no platform of your answers tests: remove it, add such a platform "
        "(copier update --trust --data platforms=...), or name it in "
        "[tool.modskel] untested_platforms of pyproject.toml"
    )
    extra = sorted(set(actual) - set(expected) - set(untested))
    problems += [f"{where} lists {name}, {why}" for name in extra]
    return problems


def listed_versions(entries: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Return Galaxy platform name -> versions of the ``platforms`` entries, as strings."""
    found: dict[str, set[str]] = {}
    for item in entries:
        versions = item.get("versions") or []
        versions = versions if isinstance(versions, list) else [versions]
        found.setdefault(str(item.get("name")), set()).update(str(v) for v in versions)
    return found


def entry(name: str, versions: Sequence[str]) -> str:
    """Return a ``platforms`` entry as one line of YAML (flow style)."""
    return f"{{name: {json.dumps(name)}, versions: {dumps(versions)}}}"


def dumps(versions: Sequence[str]) -> str:
    """Return versions as a YAML flow list of strings."""
    return json.dumps(list(versions))


def runtime_problems(root: Path, *, min_ansible_version: str) -> list[str]:
    """Return a line if a collection's ``meta/runtime.yml`` states another oldest ansible-core.

    Galaxy and ``ansible-galaxy collection install`` read ``requires_ansible``;
    it must say ``>=<min_ansible_version>.0``, the oldest series tested (an
    upper bound after it is the author's choice).
    """
    where, path = RUNTIME, root / RUNTIME
    fix = f'requires_ansible: ">={min_ansible_version}.0"'
    answer = f'your min_ansible_core answer is "{min_ansible_version}"'
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except yaml.YAMLError as error:
        return [f"{where}: not valid YAML ({getattr(error, 'problem', error)}): fix it"]
    actual = data.get("requires_ansible") if isinstance(data, dict) else None
    first = str(actual or "").split(",")[0].replace(" ", "")
    if first == f">={min_ansible_version}.0":
        return []
    shown = "not set" if actual is None else json.dumps(actual)
    return [f"{where}: requires_ansible is {shown}, {answer}: write  {fix}"]


__all__ = ["meta_problems", "runtime_problems"]
