"""Keep the README's variables table equal to ``meta/argument_specs.yml``.

``modskel docs`` rewrites the table (``tox -e docs``); ``modskel docs --check``
and the unit test ``test_readme_lists_every_variable`` fail when it is stale.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.commands.base import Command
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK, ConfigError
from pytest_modskel.project import Project

BEGIN = "<!-- BEGIN variables: generated from meta/argument_specs.yml by `tox -e docs` -->"
END = "<!-- END variables -->"


def _cell(value: Any) -> str:  # noqa: ANN401 - any YAML value
    if not isinstance(value, str):
        value = yaml.safe_dump(value, default_flow_style=True).removesuffix("...\n")
    text = str(value).strip()
    return text.replace("|", "\\|")


def variables_table(root: Path) -> str:
    """Render the role's main entry point options as a Markdown table."""
    path = root / "meta" / "argument_specs.yml"
    if not path.is_file():
        msg = "meta/argument_specs.yml not found: the variables table is made from it, add it"
        raise ConfigError(msg)
    specs = yaml.safe_load(path.read_text(encoding="utf-8"))
    options = specs["argument_specs"]["main"].get("options", {})
    lines = ["| Variable | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for name, spec in options.items():
        option = spec or {}  # an option may be written with no body
        description = option.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        default = f"`{_cell(option['default'])}`" if "default" in option else "(required)"
        kind = option.get("type", "str")
        lines.append(f"| `{name}` | {kind} | {default} | {_cell(description)} |")
    return "\n".join(lines)


def with_table(readme: str, table: str) -> str:
    """Return ``readme`` with the text between the markers replaced by ``table``."""
    head, begin, rest = readme.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        msg = f"README.md lacks the markers {BEGIN!r} and {END!r}: add both where the table goes"
        raise ConfigError(msg)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def readme_table(readme: str) -> str:
    """Return the table currently between the markers of ``readme``."""
    return readme.partition(BEGIN)[2].partition(END)[0].strip()


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="fail if the table is stale")


def run(args: argparse.Namespace) -> int:
    """Rewrite the table in README.md (or, with --check, fail if it is stale)."""
    root = Project.find().root
    readme = root / "README.md"
    if not readme.is_file():
        msg = "README.md not found: add one with the variables table markers"
        raise ConfigError(msg)
    current = readme.read_text(encoding="utf-8")
    text = with_table(current, variables_table(root))
    if args.check:
        if text != current:
            print("README.md: variables table is stale: run `tox -e docs`")
            return EXIT_FAILED
        return EXIT_OK
    readme.write_text(text, encoding="utf-8")
    print("README.md: variables table updated")
    return EXIT_OK


COMMAND = Command(
    "docs", "regenerate the README's variables table from meta/argument_specs.yml", run, _arguments
)
