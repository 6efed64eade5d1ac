"""Every pinned version in a generated project comes from ``matrix/``, nowhere else.

Tool versions live in ``matrix/tools.yml``, ansible-core releases in
``matrix/ansible_core.yml`` (``latest``) and action SHAs in
``matrix/actions.yml``: a version typed into a template file would escape the
refresh commands and drift.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.answer_sets import ANSWER_SETS
from tests.helpers import REPO

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate

MATRIX = REPO / "matrix"
# `name==1.2.3` (Python requirements) and `@<40 hex>` (actions), wherever they appear.
PIN = re.compile(r"""(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[0-9][^\s"',;\]]*)""")
ACTION = re.compile(r"uses: (?P<name>[\w.\-]+/[\w.\-]+)@(?P<ref>\S+)")
# In template sources: a version typed right after a name and a pin operator, a `rev:` or `@v`.
TYPED = re.compile(r"([\w\-]~?==|\brev:\s*v?|@v)[0-9]")


def allowed_pins() -> dict[str, set[str]]:
    """Return {package: versions} that matrix/ lets a generated file pin."""
    tools = yaml.safe_load((MATRIX / "tools.yml").read_text())
    allowed = {name: {str(version)} for name, version in tools.items()}
    cores = yaml.safe_load((MATRIX / "ansible_core.yml").read_text())
    allowed["ansible-core"] = {row["latest"] for row in cores}
    return allowed


def allowed_actions() -> dict[str, str]:
    actions = yaml.safe_load((MATRIX / "actions.yml").read_text())
    return {row["uses"]: row["sha"] for row in actions.values()}


def test_template_sources_type_no_version() -> None:
    typed = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "template").rglob("*"))
        if path.is_file() and "_licenses" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TYPED.search(line)
    ]
    assert typed == [], "pin these through matrix/tools.yml (the `pins` answer):\n" + "\n".join(
        typed
    )


@pytest.mark.parametrize("answers", list(ANSWER_SETS.values()), ids=list(ANSWER_SETS))
def test_generated_pins_come_from_the_matrix(
    generate: Generate, answers: dict[str, object]
) -> None:
    project: Path = generate(answers)
    pins, actions = allowed_pins(), allowed_actions()
    strays = []
    for path in sorted(p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts):
        text = path.read_text(encoding="utf-8")
        for match in PIN.finditer(text):
            name, version = match["name"].lower(), match["version"]
            if version not in pins.get(name, set()):
                strays.append(f"{path.relative_to(project)}: {name}=={version}")
        strays += [
            f"{path.relative_to(project)}: {m['name']}@{m['ref']}"
            for m in ACTION.finditer(text)
            if actions.get(m["name"]) != m["ref"]
        ]
    assert strays == []
    assert any("ansible-core==" in p.read_text() for p in [project / "tox.ini"])
