"""Migration to v0.2.0: the `ci` answer became the multiselect `ci_providers`.

Run by copier (``_migrations``, stage "before") in the project being updated:
rewrites ``.copier-answers.yml`` so that the update keeps the author's choice.
``ci: github|gitlab|both|none`` becomes ``ci_providers: [github]``,
``[gitlab]``, ``[github, gitlab]`` or ``[]``. Idempotent: an answers file
without ``ci`` is left alone. Standard library only (runs on copier's Python).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PROVIDERS = {"github": "[github]", "gitlab": "[gitlab]", "both": "[github, gitlab]", "none": "[]"}
LINE = re.compile(r"^ci: *['\"]?(?P<value>[a-z]+)['\"]? *$", re.MULTILINE)


def migrate(answers: str) -> str:
    """Return the answers file's text with ``ci`` replaced by ``ci_providers``."""
    match = LINE.search(answers)
    if match is None:
        return answers
    value = match.group("value")
    if value not in PROVIDERS:
        known = ", ".join(PROVIDERS)
        msg = f"ci: {value!r} in .copier-answers.yml is not one of {known}: fix it and rerun"
        raise SystemExit(msg)
    return LINE.sub(f"ci_providers: {PROVIDERS[value]}", answers)


def main() -> int:
    """Migrate ``.copier-answers.yml`` in the current directory."""
    path = Path(".copier-answers.yml")
    if path.exists():
        path.write_text(migrate(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
