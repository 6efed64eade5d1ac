"""Check that a release tag, the harness package's version and the template's pin agree.

Usage: ``python -m tools.release_check v0.2.0`` (the release workflow runs it
before building). Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "pytest-modskel" / "src" / "pytest_modskel" / "__init__.py"
TOOLS = REPO / "matrix" / "tools.yml"


def versions() -> tuple[str, str]:
    """Return the package's ``__version__`` and the ``pytest-modskel`` pin in matrix/tools.yml."""
    package = re.search(
        r'^__version__ = "([^"]+)"', PACKAGE.read_text(encoding="utf-8"), re.MULTILINE
    )
    pin = re.search(r"^pytest-modskel: *(\S+)", TOOLS.read_text(encoding="utf-8"), re.MULTILINE)
    return (package[1] if package else "?"), (pin[1] if pin else "?")


def problems(tag: str) -> list[str]:
    """Return what disagrees, one line each (empty when the release is consistent)."""
    package, pin = versions()
    found = []
    if tag.removeprefix("v") != package:
        found.append(f"tag {tag} is not v{package}, the version in {PACKAGE.relative_to(REPO)}")
    if pin != package:
        found.append(f"matrix/tools.yml pins pytest-modskel {pin}, not {package}: pin {package}")
    return found


def main(argv: list[str]) -> int:
    """Print each disagreement; return 1 if there is any."""
    if len(argv) != 1:
        print("usage: python -m tools.release_check vX.Y.Z", file=sys.stderr)
        return 2
    found = problems(argv[0])
    for line in found:
        print(f"error: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
