"""Find what an unfinished ``copier update`` leaves: conflict markers and .rej files.

Usage: ``python -m harness.conflicts`` (run by ``tox -e lint``); exits 1 and
lists each place, so CI fails before a half-merged file can land.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from harness.ansible import PROJECT_ROOT

SKIP = {".git", ".tox", ".venv", ".ansible", "__pycache__", ".ruff_cache", ".pytest_cache"}
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def project_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Return the project's files, without tool and cache folders."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not SKIP.intersection(path.relative_to(root).parts)
    )


def leftovers(root: Path = PROJECT_ROOT) -> list[str]:
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


def main() -> int:
    """Print every leftover and exit 1 if there is any."""
    found = leftovers()
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} unresolved update conflict(s): see docs on updating your module")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
