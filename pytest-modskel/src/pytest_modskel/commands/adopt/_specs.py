"""``meta/argument_specs.yml`` from ``defaults/main.yml``, written only when the role has none.

Each default becomes an option whose type is inferred from its value (the same
inference the ``argument-specs`` check suggests entries with), so the unit
tests pass on day one and the author has a list to describe.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pytest_modskel.commands.adopt._report import Report

SPECS = "meta/argument_specs.yml"
DEFAULTS = "defaults/main.yml"


def specs_text(defaults: dict[str, object], description: str) -> str:
    """Return the argument specs document for ``defaults``."""
    # checks.variables imports the command line, which imports this: a cycle at import time.
    from pytest_modskel.checks.variables import spec_entry  # noqa: PLC0415

    short = yaml.safe_dump(description, width=1000).removesuffix("...\n").strip()
    head = (
        "---\n"
        "# Written by `modskel adopt` from defaults/main.yml (types inferred from the\n"
        "# values): describe each option, then `tox -e docs` (docs/adopting.md).\n"
        "argument_specs:\n"
        "  main:\n"
        f"    short_description: {short}\n"
    )
    if not defaults:
        return head + "    options: {}\n"
    return head + "    options:\n" + "".join(spec_entry(k, v) for k, v in defaults.items())


def write_specs(root: Path, description: str, report: Report) -> None:
    """Write meta/argument_specs.yml from the defaults unless it exists."""
    path = root / SPECS
    if path.is_file():
        report.keep(f"{SPECS}: yours (the unit tests check defaults/main.yml against it)")
        return
    path_defaults = root / DEFAULTS
    defaults = (
        yaml.safe_load(path_defaults.read_text(encoding="utf-8"))
        if path_defaults.is_file()
        else None
    )
    defaults = defaults if isinstance(defaults, dict) else {}
    path.parent.mkdir(exist_ok=True)
    path.write_text(specs_text(defaults, description), encoding="utf-8")
    report.add(
        f"{SPECS}: {len(defaults)} option(s) from {DEFAULTS}, types inferred from the "
        "values: describe each one (a starting point)"
    )
