"""How adoption writes YAML: lists indented under their key, multi-line strings as ``|``.

That is the layout the generated ``.yamllint`` wants (and the one
``checks.variables`` writes spec entries in).
"""

from __future__ import annotations

from typing import Any

import yaml


class Dumper(yaml.SafeDumper):
    """Indent lists under their key; write multi-line strings as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: FBT001, FBT002, ARG002 - PyYAML's signature
        super().increase_indent(flow=flow, indentless=False)


Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    ),
)


def dump(value: Any) -> str:  # noqa: ANN401 - any YAML document
    """Return ``value`` as block YAML, keys in their order."""
    return yaml.dump(value, Dumper=Dumper, sort_keys=False, default_flow_style=False, width=1000)
