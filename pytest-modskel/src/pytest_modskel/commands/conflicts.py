"""Find what an unfinished ``copier update`` leaves: conflict markers and .rej files.

``modskel conflicts`` (the first command of ``tox -e lint``) lists each place
and exits 1, so CI fails before a half-merged file can land.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from pytest_modskel.commands.base import Command
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK
from pytest_modskel.project import Project

SKIP = {".git", ".tox", ".venv", ".ansible", ".modskel", "__pycache__", ".ruff_cache",
        ".pytest_cache"}  # fmt: skip
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def project_files(root: Path) -> list[Path]:
    """Return the project's files, without tool and cache folders (never walked into)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if name not in SKIP]
        found += [Path(folder, name) for name in files]
    return sorted(path for path in found if path.is_file())


def leftovers(root: Path) -> list[str]:
    """Describe each conflict marker line and .rej file under ``root``."""
    found = []
    for path in project_files(root):
        relative = path.relative_to(root)
        if path.suffix == ".rej":
            found.append(
                f"{relative}: hunk rejected by copier update; merge it by hand, delete the file"
            )
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for match in MARKER.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            marker = match.group(1).strip()
            found.append(f"{relative}:{line}: conflict marker {marker!r}; resolve the merge")
    return found


def run(_args: argparse.Namespace) -> int:
    """Print every leftover; return 1 if there is any."""
    found = leftovers(Project.find().root)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} unresolved update conflict(s): resolve each, then rerun")
    return EXIT_FAILED if found else EXIT_OK


COMMAND = Command("conflicts", "list conflict markers and .rej files an update left", run)
