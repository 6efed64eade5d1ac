"""``ADOPTION.md``: what ``modskel adopt`` added, merged, kept and skipped, and what is next."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REPORT = "ADOPTION.md"
SECTIONS = (
    ("added", "Added", "Files modskel wrote; they did not exist before."),
    (
        "merged",
        "Merged",
        "Files of yours that modskel extended (additions only, except where said).",
    ),
    (
        "kept",
        "Kept",
        "Files of yours left byte-identical, where modskel has a file of the same name.",
    ),
    ("notes", "To look at", "What could not be carried over."),
)
NEXT = """\
## Next steps

1. Review this change (`git status`, `git diff`), then commit it.
2. Run the gates: `tox -e lint,unit` and `tox -e integration` (containers).
3. Fill `meta/argument_specs.yml`: describe each option; `tox -e docs` can then
   write the variables table into your README once you add its two markers
   (see docs/adopting.md), then set `readme_table = true` in `[tool.modskel]`.
4. Write testinfra tests in `tests/integration/` (a test taking `host`).
5. Burn down the lint baseline: `.ansible-lint-ignore`, the per-rule `ignore:`
   lists in `.yamllint` and `[tool.ruff.lint.per-file-ignores]` in
   `pyproject.toml` hold the debt found on adoption; fix a file, delete its
   lines, run `tox -e lint`. New findings fail the gate already.
6. Switch CI over: `.github/workflows/modskel.yml` runs the same tox
   environments as above; once it is green, delete your old workflow.
7. Later releases of the template: `copier update --trust` (your files are kept).
"""


@dataclass
class Report:
    """What the adoption did, line by line, grouped as ADOPTION.md shows it."""

    added: list[str] = field(default_factory=list)
    merged_lines: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        """Record a file modskel wrote."""
        self.added.append(line)

    def merged(self, line: str) -> None:
        """Record a change to a file of the author's (additive unless the line says)."""
        self.merged_lines.append(line)

    def keep(self, line: str) -> None:
        """Record an author file kept where the template has one of the same name."""
        self.kept.append(line)

    def note(self, line: str) -> None:
        """Record something the author must look at."""
        self.notes.append(line)

    def lines(self, key: str) -> list[str]:
        """The lines of one section (``merged`` reads ``merged_lines``)."""
        return self.merged_lines if key == "merged" else list(getattr(self, key))

    def markdown(self, fqcn: str) -> str:
        """Return the report as Markdown."""
        out = [f"# Adopting {fqcn} into modskel", ""]
        out += ["Written by `modskel adopt`. Every other file of the role is byte-identical.", ""]
        for key, title, about in SECTIONS:
            out += [f"## {title}", "", about, ""]
            out += [f"- {line}" for line in self.lines(key)] or ["- (none)"]
            out.append("")
        return "\n".join(out) + "\n" + NEXT

    def write(self, root: Path, fqcn: str) -> Path:
        """Write ADOPTION.md into ``root``; return its path."""
        path = root / REPORT
        path.write_text(self.markdown(fqcn), encoding="utf-8")
        return path
