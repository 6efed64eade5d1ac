"""mkdocs hook: fill generated tables from ``matrix/`` so docs never list by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MATRIX = Path(__file__).resolve().parent.parent / "matrix"
MARKER = "<!-- generated: platforms table -->"


def platforms_table() -> str:
    """Render ``matrix/platforms.yml`` as a Markdown table."""
    rows = yaml.safe_load((MATRIX / "platforms.yml").read_text(encoding="utf-8"))
    lines = [
        "| id | Platform | Image | OS family | Python bootstrap | Seeded offline from |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in rows:
        seed = f"debootstrap `{p['seed']}`" if p.get("seed") else "(pull only)"
        lines.append(
            f"| `{p['id']}` | {p['name']} | `{p['image']}` | {p['family']} "
            f"| {p['bootstrap']} | {seed} |"
        )
    return "\n".join(lines)


def on_page_markdown(markdown: str, **_: Any) -> str:  # noqa: ANN401 - mkdocs hook signature
    """Replace the marker with the table."""
    return markdown.replace(MARKER, platforms_table())
