"""mkdocs hook: fill generated tables from ``matrix/`` so docs never list by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MATRIX = Path(__file__).resolve().parent.parent / "matrix"
MARKER = "<!-- generated: platforms table -->"
CELLS_MARKER = "<!-- generated: support matrix -->"
DRIVERS_MARKER = "<!-- generated: drivers table -->"
COMMANDS_MARKER = "<!-- generated: commands table -->"
CHECKS_MARKER = "<!-- generated: checks table -->"
KINDS_MARKER = "<!-- generated: kinds table -->"


def _load(axis: str) -> Any:  # noqa: ANN401 - YAML data
    return yaml.safe_load((MATRIX / f"{axis}.yml").read_text(encoding="utf-8"))


def cells_table() -> str:
    """Render ansible-core series x Python as a Markdown table of unit cells."""
    pythons: list[str] = [str(row["version"]) for row in _load("python")]
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


def drivers_table() -> str:
    """Render the harness's driver registry (entry points) as a Markdown table."""
    from pytest_modskel.drivers import registry  # noqa: PLC0415 - only for that page

    lines = ["| Kind | What it starts |", "| --- | --- |"]
    lines += [f"| `{kind}` | {driver.summary} |" for kind, driver in registry().items()]
    return "\n".join(lines)


def commands_table() -> str:
    """Render the ``modskel`` command registry as a Markdown table."""
    from pytest_modskel.commands import COMMANDS  # noqa: PLC0415 - only for that page

    lines = ["| Command | What it does |", "| --- | --- |"]
    lines += [f"| `modskel {name}` | {command.summary} |" for name, command in COMMANDS.items()]
    return "\n".join(lines)


def checks_table() -> str:
    """Render the role-check registry (the unit tests ``test_role_files[<id>]``)."""
    from pytest_modskel.checks import CHECKS  # noqa: PLC0415 - only for that page

    lines = ["| Check | What it checks |", "| --- | --- |"]
    lines += [f"| `{name}` | {check.summary} |" for name, check in CHECKS.items()]
    return "\n".join(lines)


def kinds_table() -> str:
    """Render the module-kind registry: how the harness recognises each kind of project."""
    from pytest_modskel.kinds import KINDS  # noqa: PLC0415 - only for that page

    lines = [
        "| Kind | Recognised by | Python coverage of | What it is |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{kind_id}` | `{kind.marker}` | {', '.join(f'`{p}/`' for p in kind.python_sources)} "
        f"| {kind.summary} |"
        for kind_id, kind in KINDS.items()
    ]
    return "\n".join(lines)


def on_page_markdown(markdown: str, **_: Any) -> str:  # noqa: ANN401 - mkdocs hook signature
    """Replace each marker with its table."""
    for marker, table in (
        (MARKER, platforms_table),
        (CELLS_MARKER, cells_table),
        (DRIVERS_MARKER, drivers_table),
        (COMMANDS_MARKER, commands_table),
        (CHECKS_MARKER, checks_table),
        (KINDS_MARKER, kinds_table),
    ):
        if marker in markdown:
            markdown = markdown.replace(marker, table())
    return markdown
