"""Merge ``meta/main.yml`` by adding lines: every key, comment and value of the author stays.

What the template needs there and the role lacks is inserted as text (so
comments and layout survive): ``role_name``, ``namespace``, the platforms the
answers test, and ``min_ansible_version`` set to the tested series when it
differs. The result is parsed again and compared with the original, key by key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.commands.adopt._report import Report
from pytest_modskel.errors import ConfigError

META = "meta/main.yml"
KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_]+):(?P<rest>.*)$")


def child_indent(lines: list[str], start: int) -> str:
    """The indentation of the first key below line ``start`` (two spaces if none)."""
    for line in lines[start + 1 :]:
        if line.strip() and not line.lstrip().startswith("#"):
            found = line[: len(line) - len(line.lstrip())]
            return found or "  "
    return "  "


def find_key(lines: list[str], key: str, indent: str, start: int = 0) -> int | None:
    """The index of ``<indent><key>:`` at or after ``start``, within its block."""
    for index in range(start, len(lines)):
        match = KEY.match(lines[index])
        if match and match["indent"] == indent and match["key"] == key:
            return index
        stripped = lines[index].strip()
        if index > start and stripped and not stripped.startswith("#") and len(
            lines[index]) - len(lines[index].lstrip()) < len(indent):  # fmt: skip
            return None  # left the block
    return None


def galaxy_block(lines: list[str]) -> tuple[list[str], int]:
    """Return the lines with a ``galaxy_info:`` line, and its index (added after ``---``)."""
    found = find_key(lines, "galaxy_info", "")
    if found is not None:
        return lines, found
    at = next((i + 1 for i, line in enumerate(lines) if line.strip() == "---"), 0)
    return [*lines[:at], "galaxy_info:", *lines[at:]], at


def platform_lines(indent: str, name: str, versions: Sequence[str]) -> list[str]:
    """One ``platforms`` entry, as block YAML at ``indent``."""
    return [f"{indent}- name: {name}", f"{indent}  versions:"] + [
        f"{indent}    - {json.dumps(v)}" for v in versions
    ]


def add_platforms(lines: list[str], top: int, indent: str, missing: dict[str, list[str]]) -> None:
    """Insert ``missing`` platform entries under ``galaxy_info.platforms`` (made if absent)."""
    at = find_key(lines, "platforms", indent, top + 1)
    if at is None:
        lines[top + 1 : top + 1] = [f"{indent}platforms:"]
        at = top + 1
    elif KEY.match(lines[at])["rest"].strip() not in {"", "[]"}:  # type: ignore[index]
        msg = (
            f"{META}: galaxy_info.platforms is written inline: write it as a block "
            "list, then run `modskel adopt` again"
        )
        raise ConfigError(msg)
    lines[at] = f"{indent}platforms:"
    item = (
        child_indent(lines, at)
        if at + 1 < len(lines) and lines[at + 1].lstrip().startswith("-")
        else indent + "  "
    )
    new = [
        line for name, versions in missing.items() for line in platform_lines(item, name, versions)
    ]
    lines[at + 1 : at + 1] = new


def missing_platforms(
    info: Mapping[str, Any], wanted: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """Galaxy name -> versions that ``wanted`` has and ``info['platforms']`` lacks."""
    have: dict[str, set[str]] = {}
    for entry in info.get("platforms") or []:
        if isinstance(entry, dict):
            versions = entry.get("versions") or []
            versions = versions if isinstance(versions, list) else [versions]
            have.setdefault(str(entry.get("name")), set()).update(str(v) for v in versions)
    missing = {name: [v for v in versions if v not in have.get(name, set())]
               for name, versions in wanted.items()}  # fmt: skip
    return {name: versions for name, versions in missing.items() if versions}


def merge(
    text: str, answers: Mapping[str, Any], platforms: Mapping[str, Sequence[str]]
) -> tuple[str, list[str]]:
    """Return the merged text of meta/main.yml and one line per change."""
    original = yaml.safe_load(text) or {}
    found = original.get("galaxy_info")
    info: dict[str, Any] = found if isinstance(found, dict) else {}
    lines, top = galaxy_block(text.splitlines())
    indent = child_indent(lines, top) if info else "  "
    changes = []
    for key in ("role_name", "namespace"):
        if key not in info:
            lines.insert(top + 1, f"{indent}{key}: {answers[key]}")
            changes.append(f"{META}: added galaxy_info.{key}: {answers[key]}")
    version = answers["min_ansible_core"]
    at = find_key(lines, "min_ansible_version", indent, top + 1)
    if at is None:
        lines.insert(top + 1, f'{indent}min_ansible_version: "{version}"')
        changes.append(f"{META}: added galaxy_info.min_ansible_version: {version}")
    elif str(info.get("min_ansible_version")) != version:
        lines[at] = f'{indent}min_ansible_version: "{version}"'
    if missing := missing_platforms(info, platforms):
        add_platforms(lines, top, indent, missing)
        shown = ", ".join(f"{n} {' '.join(v)}" for n, v in missing.items())
        changes.append(f"{META}: added galaxy_info.platforms: {shown}")
    if "dependencies" not in original:
        lines.append("dependencies: []")
        changes.append(f"{META}: added dependencies: [] (Galaxy needs the key)")
    return "\n".join(lines) + "\n", changes


def kept_everything(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether every key of ``before`` is in ``after`` with its value (min version aside)."""
    old, new = before.get("galaxy_info") or {}, after.get("galaxy_info") or {}
    same = all(
        new.get(k) == v for k, v in old.items() if k not in {"platforms", "min_ansible_version"}
    )
    lists = all(item in (new.get("platforms") or []) for item in old.get("platforms") or [])
    rest = all(after.get(k) == v for k, v in before.items() if k != "galaxy_info")
    return same and lists and rest


def merge_meta(
    root: Path, answers: Mapping[str, Any], platforms: Mapping[str, Sequence[str]], report: Report
) -> None:
    """Merge ``<root>/meta/main.yml`` in place (or write it); record each change."""
    path = root / META
    existed = path.is_file()
    text = path.read_text(encoding="utf-8") if existed else "---\n"
    merged, changes = merge(text, answers, platforms)
    before, after = yaml.safe_load(text) or {}, yaml.safe_load(merged)
    if not kept_everything(before, after):  # a bug of the merge: said, not written
        msg = f"{META}: merging would change your keys: add {', '.join(changes)} by hand"
        raise ConfigError(msg)
    path.parent.mkdir(exist_ok=True)
    path.write_text(merged, encoding="utf-8")
    if not existed:
        report.add(f"{META}: galaxy_info from your answers (the role had none)")
    for line in changes:
        report.merged(line)
