"""A generated project's own lint and unit gates pass, and fail on planted defects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.answer_sets import answer_sets
from tests.helpers import clone, tox

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate

pytestmark = pytest.mark.slow


@answer_sets
def test_lint_and_unit_pass_as_generated(generate: Generate, answers: dict[str, Any]) -> None:
    done = tox(generate(answers), "lint,unit")
    assert done.returncode == 0, done.stdout[-4000:]
    assert "lint: OK" in done.stdout
    assert "unit: OK" in done.stdout


def plant(project: Path, relative: str, text: str) -> None:
    path = project / relative
    path.write_text(path.read_text() + text if path.exists() else text)


LINT_DEFECTS = [
    ("tests/unit/test_extra.py", "import os\n", "F401"),
    (
        "tests/unit/test_extra.py",
        "from __future__ import annotations\n\nX = [1,\n     2]\n",
        "would be reformatted",
    ),
    ("defaults/main.yml", "extra_value: 1   \n", "trailing-spaces"),
    ("tasks/main.yml", "\n- ansible.builtin.command: echo unnamed\n", "name[missing]"),
    (
        "tasks/main.yml",
        "\n- name: Run a command\n  ansible.builtin.command: echo hi\n",
        "no-changed-when",
    ),
]


@pytest.mark.parametrize(
    ("relative", "text", "rule"),
    LINT_DEFECTS,
    ids=[
        "ruff-unused-import",
        "ruff-format",
        "yamllint-trailing-spaces",
        "ansible-lint-unnamed-task",
        "ansible-lint-no-changed-when",
    ],
)
def test_lint_fails_on_planted_defect(
    default_project: Path, tmp_path: Path, relative: str, text: str, rule: str
) -> None:
    project = clone(default_project, tmp_path)
    plant(project, relative, text)
    done = tox(project, "lint")
    assert done.returncode != 0
    assert rule in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("relative", "old", "new", "evidence"),
    [
        ("defaults/main.yml", "_port: 8080", "_port: not-a-port", "test_defaults_validate"),
        ("templates/sample_role.conf.j2", "port = {{", "listen = {{", "test_config_uses_defaults"),
        (
            "README.md",
            "| `sample_role_port` | int |",
            "| `sample_role_port` | str |",
            "README variables table is stale",
        ),
    ],
    ids=["defaults-break-argument-specs", "template-changes-output", "readme-table-stale"],
)
def test_unit_fails_on_planted_defect(
    default_project: Path, tmp_path: Path, relative: str, old: str, new: str, evidence: str
) -> None:
    project = clone(default_project, tmp_path)
    path = project / relative
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    done = tox(project, "unit")
    assert done.returncode != 0
    assert evidence in done.stdout
