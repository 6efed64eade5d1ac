"""Migration to v0.2.0: the vendored harness (tests/harness) became the pytest-modskel package.

Run by copier (``_migrations``, stage "before") in the project being updated,
with the project's template version in VERSION_FROM and the template's git
clone as the first argument. For each file the old template generated for the
harness (``tests/harness/**`` and ``tests/conftest.py``):

- unchanged since generation (equal to the old template's file): removed;
- edited by the author: moved to ``harness-edits/<path>.edited`` (a suffix no
  linter or test runner picks up) and reported in one line; nothing is lost.

Then, in the author's own tests, imports of the old harness are pointed at the
package (``harness.ansible`` -> ``pytest_modskel.compat``, ``harness.plugin``
-> ``pytest_modskel``), one reported line per file. Idempotent: a project
without ``tests/harness`` is left alone. Standard library and git only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

VENDORED = ("tests/harness", "tests/conftest.py")
KEPT = Path("harness-edits")
IMPORTS = {"harness.ansible": "pytest_modskel.compat", "harness.plugin": "pytest_modskel"}
IMPORT = re.compile(r"^from (harness\.[a-z_]+) import", re.MULTILINE)
# The tests the author owns (copier.yml `_skip_if_exists`): `copier update` never
# rewrites them, so their imports are repointed here. The template's own tests
# are replaced by the update itself.
AUTHOR_TESTS = {"tests/integration/test_role.py", "tests/unit/test_templates.py",
                "tests/unit/test_filters.py"}  # fmt: skip


def original(template: Path, version: str, relative: str) -> bytes | None:
    """Return the old template's bytes of ``relative``, or None if it had no such file."""
    shown = subprocess.run(
        ["git", "-C", str(template), "show", f"{version}:template/{relative}"],
        capture_output=True,
        check=False,
    )
    return shown.stdout if shown.returncode == 0 else None


def vendored_files(root: Path) -> list[Path]:
    """Return the project's files that the old template generated for the harness."""
    found = []
    for entry in VENDORED:
        path = root / entry
        found += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        found += [path] if path.is_file() else []
    return [p for p in found if "__pycache__" not in p.parts]


def remove_vendored(root: Path, template: Path, version: str) -> list[str]:
    """Remove unchanged harness files, keep edited ones aside; return one line per kept file."""
    said = []
    for path in vendored_files(root):
        relative = path.relative_to(root).as_posix()
        if original(template, version, relative) != path.read_bytes():
            kept = root / KEPT / f"{relative}.edited"
            kept.parent.mkdir(parents=True, exist_ok=True)
            path.replace(kept)
            said.append(
                f"{relative}: you had edited it; kept as {kept.relative_to(root)} "
                "(the harness is now the pytest-modskel package: port your change)"
            )
        else:
            path.unlink()
    shutil.rmtree(root / "tests" / "harness", ignore_errors=True)  # only caches are left
    return said


def authors(root: Path, template: Path, version: str) -> list[Path]:
    """Return the test files the author owns: listed as theirs, or never generated."""
    return [
        path
        for path in sorted((root / "tests").rglob("*.py"))
        if (relative := path.relative_to(root).as_posix()) in AUTHOR_TESTS
        or not any(original(template, version, relative + s) for s in ("", ".jinja"))
    ]


def repoint_imports(paths: list[Path], root: Path) -> list[str]:
    """Point the author's imports of the old harness at the package; one line per file."""
    said = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        modules = set(IMPORT.findall(text))
        if not modules:
            continue
        new = text
        for old, package in IMPORTS.items():
            new = new.replace(f"from {old} import", f"from {package} import")
        relative = path.relative_to(root).as_posix()
        if new != text:
            path.write_text(new, encoding="utf-8")
            said.append(f"{relative}: now imports the harness from the pytest-modskel package")
        if unknown := sorted(modules - set(IMPORTS)):
            said.append(f"{relative}: imports {', '.join(unknown)}: use pytest_modskel instead")
    return said


def main(argv: list[str]) -> int:
    """Migrate the project in the current directory."""
    root = Path.cwd()
    if not (root / "tests" / "harness").is_dir():
        return 0
    template, version = Path(argv[0]), os.environ.get("VERSION_FROM", "")
    said = remove_vendored(root, template, version)
    said += repoint_imports(authors(root, template, version), root)
    for line in said:
        print(f"modskel migration: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
