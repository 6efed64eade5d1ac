"""Copier's answers, read from the role's own ``meta/main.yml``.

``copier copy --defaults`` then does the right thing: the role's name,
namespace, author, description and licence, the oldest ansible-core series the
template tests that covers the role's ``min_ansible_version``, and the
template's platforms that ``galaxy_info.platforms`` (and a molecule scenario)
name. What cannot be carried over is said in the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from pytest_modskel.commands.adopt._report import Report
from pytest_modskel.commands.adopt._role import Role

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# SPDX ids the template offers, and the spellings roles use for them in meta/main.yml.
LICENSES = {
    "mit": "MIT",
    "apache-2.0": "Apache-2.0",
    "apache": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "bsd": "BSD-3-Clause",
    "bsd-3-clause": "BSD-3-Clause",
    "gpl-2.0-or-later": "GPL-2.0-or-later",
    "gplv2+": "GPL-2.0-or-later",
    "gpl-2.0": "GPL-2.0-or-later",
    "gpl-3.0-or-later": "GPL-3.0-or-later",
    "gpl-3.0": "GPL-3.0-or-later",
    "gplv3": "GPL-3.0-or-later",
    "gplv3+": "GPL-3.0-or-later",
    "mpl-2.0": "MPL-2.0",
}


@dataclass(frozen=True)
class Matrix:
    """What the template supports: ansible-core series and platforms (its matrix/ files)."""

    core_versions: list[str]
    platforms: list[dict[str, Any]]

    def containers(self) -> list[dict[str, Any]]:
        """The container platforms (what adoption picks from)."""
        return [p for p in self.platforms if p.get("kind") == "container"]

    def galaxy(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """Galaxy name -> versions of the platforms ``ids``."""
        found: dict[str, list[str]] = {}
        for row in self.platforms:
            if row["id"] in ids:
                versions = found.setdefault(row["galaxy"]["name"], [])
                if (version := str(row["galaxy"]["version"])) not in versions:
                    versions.append(version)
        return found


def normalised(text: str) -> str:
    """Return ``text`` as a role or namespace name (ansible-role-Web-Proxy: web_proxy)."""
    text = re.sub(r"^ansible[-_]role[-_]", "", text.strip().lower())
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def name_answers(role: Role) -> dict[str, str]:
    """role_name and namespace: from galaxy_info, else the folder's and the author's names."""
    info = role.galaxy_info
    found = {}
    name = normalised(str(info.get("role_name") or role.root.name))
    if NAME.match(name):
        found["role_name"] = name
    namespace = normalised(str(info.get("namespace") or info.get("author") or ""))
    if NAME.match(namespace):
        found["namespace"] = namespace
    return found


def text_answers(role: Role, report: Report) -> dict[str, str]:
    """author, description and license, as galaxy_info states them."""
    info = role.galaxy_info
    found = {key: " ".join(str(info[key]).split()) for key in ("author", "description")
             if isinstance(info.get(key), str) and info[key].strip()}  # fmt: skip
    stated = info.get("license")
    if isinstance(stated, list):
        stated = stated[0] if stated else None
    if stated:
        if spdx := LICENSES.get(str(stated).strip().lower()):
            found["license"] = spdx
        else:
            offered = ", ".join(sorted(set(LICENSES.values())))
            report.note(
                f"licence {stated!r} is not one the template offers ({offered}): pyproject.toml "
                "states the template's default; set yours with --data license=ID"
            )
    return found


def core_answer(role: Role, matrix: Matrix, report: Report) -> dict[str, str]:
    """min_ansible_core: the oldest tested series that covers galaxy_info.min_ansible_version."""
    stated = role.galaxy_info.get("min_ansible_version")
    try:
        wanted = Version(str(stated))
    except InvalidVersion:
        return {}
    series = sorted(matrix.core_versions, key=Version)
    chosen = next((v for v in series if Version(v) >= wanted), series[-1])
    if Version(chosen) != wanted:
        report.merged(
            f"meta/main.yml: min_ansible_version {stated} becomes {chosen}, the oldest "
            "ansible-core series the template tests (the unit tests check they agree)"
        )
    return {"min_ansible_core": chosen}


def galaxy(name: object, version: object) -> dict[str, str]:
    """A platform's ``galaxy`` entry as matrix/platforms.yml writes it."""
    return {"name": str(name), "version": str(version)}


def meta_platforms(role: Role, matrix: Matrix, report: Report) -> list[str]:
    """The template's container platforms that galaxy_info.platforms names."""
    entries = role.galaxy_info.get("platforms")
    ids = []
    for entry in entries if isinstance(entries, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        versions = entry.get("versions") if isinstance(entry, dict) else None
        for version in versions if isinstance(versions, list) else [versions]:
            match = [
                p["id"]
                for p in matrix.containers()
                if galaxy(**p["galaxy"]) == galaxy(name, version)
            ]
            ids += [i for i in match if i not in ids]
            if not match:
                report.note(
                    f"meta/main.yml: platform {name} {version} has no modskel platform: "
                    "listed in [tool.modskel] untested_platforms until one tests it"
                )
    return ids


def answers(role: Role, matrix: Matrix, report: Report, extra: list[str]) -> dict[str, Any]:
    """Every answer the role's meta/main.yml gives, plus ``extra`` platform ids."""
    found: dict[str, Any] = {**name_answers(role), **text_answers(role, report)}
    found |= core_answer(role, matrix, report)
    platforms = meta_platforms(role, matrix, report)
    platforms += [i for i in extra if i not in platforms]
    if platforms:
        found["platforms"] = platforms
    return found


def matrix_of(questions: dict[str, Any]) -> Matrix:
    """Read the template's support matrix from its questions (copier's parsed copier.yml)."""
    rows = questions.get("matrix_ansible_core", {}).get("default") or []
    platforms = questions.get("matrix_platforms", {}).get("default") or []
    return Matrix([str(row["version"]) for row in rows], list(platforms))
