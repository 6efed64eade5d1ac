"""``defaults/main.yml`` agrees with ``meta/argument_specs.yml``, and the README shows it.

Every default is documented, with the same default; documented defaults are
set; every default passes its spec. A problem says which file to edit and, for
an undocumented variable, gives the spec entry to paste (type inferred from the
value). Values that are Jinja expressions are not type-checked: they are only
known on a machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.checks.base import Check, per_role
from pytest_modskel.commands.docs import expected_readme
from pytest_modskel.errors import ModskelError
from pytest_modskel.project import Project

SPECS = "meta/argument_specs.yml"
DEFAULTS = "defaults/main.yml"
TYPES = ((bool, "bool"), (int, "int"), (float, "float"), (list, "list"), (dict, "dict"))


def load(root: Path, relative: str) -> Any:  # noqa: ANN401 - any YAML document
    """Return a YAML file's document, or None when the file is absent or empty."""
    path = root / relative
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None


def spec_type(value: Any) -> str:  # noqa: ANN401 - any YAML value
    """Return the argument-spec type of a default value (``str`` when unsure)."""
    return next((name for kind, name in TYPES if isinstance(value, kind)), "str")


class _Indented(yaml.SafeDumper):
    """Indent lists under their key, as the generated .yamllint wants."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: FBT001, FBT002, ARG002 - PyYAML's signature
        super().increase_indent(flow=flow, indentless=False)


def as_yaml(value: Any) -> str:  # noqa: ANN401 - any YAML value
    """Return ``value`` as inline YAML (``null``, ``true``, ``[80, x]``)."""
    return yaml.safe_dump(value, default_flow_style=True, width=1000).removesuffix("...\n").strip()


def spec_entry(name: str, value: Any) -> str:  # noqa: ANN401 - any YAML value
    """Return a ready-to-paste spec entry for ``name``, indented for ``options:``."""
    entry: dict[str, Any] = {"type": spec_type(value)}
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        entry["elements"] = "str"
    entry |= {"default": value, "description": f"What {name} sets (describe it)."}
    text = yaml.dump({name: entry}, Dumper=_Indented, sort_keys=False, default_flow_style=False)
    return "".join(f"      {line}\n" for line in text.splitlines())


def templated(value: Any) -> bool:  # noqa: ANN401 - any YAML value
    """Whether a value holds a Jinja expression anywhere."""
    if isinstance(value, dict):
        return any(templated(v) for v in value.values())
    if isinstance(value, list):
        return any(templated(v) for v in value)
    return isinstance(value, str) and "{{" in value


def options_of(root: Path) -> dict[str, Any]:
    """Return the main entry point's options (empty when there are none)."""
    specs = load(root, SPECS) or {}
    main = (specs.get("argument_specs") or {}).get("main") or {}
    return {name: spec or {} for name, spec in (main.get("options") or {}).items()}


def undocumented(defaults: dict[str, Any], options: dict[str, Any]) -> list[str]:
    """One message per default the specs do not document, with the entry to paste."""
    return [
        f"{DEFAULTS} sets `{name}`, which {SPECS} does not document: add it under "
        f"argument_specs.main.options (then run `tox -e docs`):\n{spec_entry(name, value)}"
        for name, value in defaults.items()
        if name not in options
    ]


def mismatched(defaults: dict[str, Any], options: dict[str, Any]) -> list[str]:
    """One message per documented default that differs from, or is missing in, defaults."""
    found = []
    for name, spec in options.items():
        if "default" not in spec:
            continue
        if name not in defaults:
            found.append(
                f"{SPECS} gives `{name}` a default that {DEFAULTS} does not set: add "
                f"`{name}: {as_yaml(spec['default'])}` to {DEFAULTS}, or drop the spec's default"
            )
        elif spec["default"] != defaults[name]:
            found.append(
                f"{SPECS} gives `{name}` the default {as_yaml(spec['default'])} but "
                f"{DEFAULTS} sets {as_yaml(defaults[name])}: make them equal "
                "(the README table shows the spec's)"
            )
    return found


def invalid(defaults: dict[str, Any], options: dict[str, Any]) -> list[str]:
    """One message per default that its own spec rejects (Ansible's validator)."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: PLC0415

    values = {n: v for n, v in defaults.items() if n in options and not templated(v)}
    result = ArgumentSpecValidator({n: options[n] for n in values}).validate(values)
    return [f"{DEFAULTS}: {error}: fix the value or its spec" for error in result.error_messages]


def problems(project: Project) -> list[str]:
    """Return every disagreement between the defaults and the argument specs of each role."""
    return per_role(project, role_problems)


def role_problems(root: Path) -> list[str]:
    """Return every disagreement between one role's defaults and its argument specs."""
    defaults = load(root, DEFAULTS) or {}
    options = options_of(root)
    if not options and not (root / SPECS).is_file():
        return [f"{SPECS} not found: add it (the unit tests check the role's variables with it)"]
    return (
        undocumented(defaults, options)
        + mismatched(defaults, options)
        + (invalid(defaults, options))
    )


def readme_problems(project: Project) -> list[str]:
    """Return a message when the README's variables table is not the one the specs give."""
    if project.settings.get("readme_table") is False:
        return []  # [tool.modskel] readme_table = false: a README without the table
    readme = project.root / "README.md"
    if not readme.is_file():
        return ["README.md not found: add one with the variables table markers, then `tox -e docs`"]
    current = readme.read_text(encoding="utf-8")
    try:
        stale = expected_readme(project, current) != current
    except ModskelError as error:
        return [str(error) if str(error).startswith("README.md") else f"README.md: {error}"]
    if stale and project.kind.id == "collection":
        what = "the plugins' docs and the roles' specs"
        return [f"README.md: its tables differ from {what}: run `tox -e docs`"]
    if stale:
        return [f"README.md: the variables table differs from {SPECS}: run `tox -e docs`"]
    return []


CHECK = Check("argument-specs", f"{DEFAULTS} agrees with {SPECS}", problems)
README_CHECK = Check(
    "readme-variables",
    f"README's tables match {SPECS} and a collection's plugin docs",
    readme_problems,
)
