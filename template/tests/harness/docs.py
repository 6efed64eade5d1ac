"""Keep the README's variables table equal to ``meta/argument_specs.yml``.

Usage: ``python -m harness.docs`` rewrites the table (``tox -e docs``); the unit
test ``test_readme_lists_every_variable`` fails when it is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from harness.ansible import PROJECT_ROOT

BEGIN = "<!-- BEGIN variables: generated from meta/argument_specs.yml by `tox -e docs` -->"
END = "<!-- END variables -->"


def _cell(value: Any) -> str:  # noqa: ANN401 - any YAML value
    if not isinstance(value, str):
        value = yaml.safe_dump(value, default_flow_style=True).removesuffix("...\n")
    text = value.strip()
    return text.replace("|", "\\|")


def variables_table(root: Path = PROJECT_ROOT) -> str:
    """Render the role's main entry point options as a Markdown table."""
    specs = yaml.safe_load((root / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    options = specs["argument_specs"]["main"].get("options", {})
    lines = ["| Variable | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for name, option in options.items():
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
        raise ValueError(msg)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main() -> int:
    """Rewrite the table in README.md."""
    readme = PROJECT_ROOT / "README.md"
    try:
        text = with_table(readme.read_text(encoding="utf-8"), variables_table())
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    readme.write_text(text, encoding="utf-8")
    print("README.md: variables table updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
