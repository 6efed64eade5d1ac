"""mkdocs hook: fill generated tables from ``matrix/`` so docs never list by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MATRIX = Path(__file__).resolve().parent.parent / "matrix"
MARKER = "<!-- generated: platforms table -->"
CELLS_MARKER = "<!-- generated: support matrix -->"


def _load(axis: str) -> Any:  # noqa: ANN401 - YAML data
    return yaml.safe_load((MATRIX / f"{axis}.yml").read_text(encoding="utf-8"))


def cells_table() -> str:
    """Render ansible-core series x Python as a Markdown table of unit cells."""
    pythons: list[str] = _load("python")
    excludes = {(e["python"], e["ansible_core"]): e["reason"] for e in _load("excludes") or []}
    lines = [
        "| ansible-core | end of life | " + " | ".join(f"Python {py}" for py in pythons) + " |",
        "| --- | --- | " + " | ".join("---" for _ in pythons) + " |",
    ]
    for row in _load("ansible_core"):
        cells = []
        for py in pythons:
            env = f"py{py.replace('.', '')}-ansible{row['version'].replace('.', '')}"
            if py not in row["python"]:
                cells.append("not supported")
            elif (py, row["version"]) in excludes:
                cells.append(f"excluded: {excludes[(py, row['version'])]}")
            else:
                cells.append(f"`{env}`")
        lines.append(
            f"| {row['version']} | {row['eol'] or 'unknown'} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def platforms_table() -> str:
    """Render ``matrix/platforms.yml`` as a Markdown table."""
    rows = _load("platforms")
    lines = [
        "| id | Platform | Kind | Image | OS family | systemd | Python bootstrap | Offline |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in rows:
        seed = f"debootstrap `{p['seed']}`" if p.get("seed") else "(pull only)"
        seed = "`tox -e vm-image`" if p["image"].startswith("built:") else seed
        lines.append(
            f"| `{p['id']}` | {p['name']} | {p['kind']} | `{p['image']}` | {p['family']} "
            f"| {'yes' if p['systemd'] else 'no'} | {p['bootstrap']} | {seed} |"
        )
    return "\n".join(lines)


def on_page_markdown(markdown: str, **_: Any) -> str:  # noqa: ANN401 - mkdocs hook signature
    """Replace the marker with the table."""
    return markdown.replace(MARKER, platforms_table()).replace(CELLS_MARKER, cells_table())
