"""A generated project's own lint and unit gates pass, and fail on planted defects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.answer_sets import answer_sets
from tests.helpers import clone, git, tox

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate

pytestmark = pytest.mark.slow


@answer_sets
def test_fix_changes_nothing_and_lint_and_unit_pass_as_generated(
    generate: Generate, answers: dict[str, Any]
) -> None:
    """Template-owned files are already in the tools' formatting: `fix` leaves them be."""
    done = tox(generate(answers), "fix,lint,unit")
    assert done.returncode == 0, done.stdout[-4000:]
    assert "fix: nothing to change" in done.stdout
    assert "lint: ruff, ruff-format, yamllint, ansible-lint passed" in done.stdout
    assert "unit: OK" in done.stdout


def plant(project: Path, relative: str, text: str) -> None:
    path = project / relative
    path.write_text(path.read_text() + text if path.exists() else text)


# (file, text appended, what the tool says): one lint run must report them all.
LINT_DEFECTS = {
    "ruff-unused-import": ("tests/unit/test_extra.py", "import os\n", "F401"),
    "ruff-format": (
        "tests/unit/test_more.py",
        "from __future__ import annotations\n\nX = [1,\n     2]\n",
        "would be reformatted",
    ),
    "yamllint-trailing-spaces": ("defaults/main.yml", "extra_value: 1   \n", "trailing-spaces"),
    "ansible-lint-unnamed-task": (
        "tasks/main.yml",
        "\n- ansible.builtin.command: echo unnamed\n",
        "name[missing]",
    ),
    "ansible-lint-no-changed-when": (
        "tasks/main.yml",
        "\n- name: Run a command\n  ansible.builtin.command: echo hi\n",
        "no-changed-when",
    ),
}


def test_lint_reports_every_tool_in_one_run(default_project: Path, tmp_path: Path) -> None:
    project = clone(default_project, tmp_path)
    for relative, text, _ in LINT_DEFECTS.values():
        plant(project, relative, text)
    done = tox(project, "lint")
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert {name for name, (_, _, rule) in LINT_DEFECTS.items() if rule not in said} == set()
    assert "lint: 4 of 4 tools failed: ruff, ruff-format, yamllint, ansible-lint;" in said


def test_fix_mends_what_the_tools_can_and_nothing_else(
    default_project: Path, tmp_path: Path
) -> None:
    project = clone(default_project, tmp_path)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "generated")
    plant(project, "tasks/main.yml", "\n- name: Say hello\n  debug:\n    msg: hello\n")
    plant(project, "tests/unit/test_extra.py", "import os\n\nX = [1,\n     2]\n")
    done = tox(project, "fix,lint")
    assert done.returncode == 0, done.stdout[-4000:]
    assert "fix: changed tasks/main.yml, tests/unit/test_extra.py" in done.stdout
    assert "ansible.builtin.debug:" in (project / "tasks" / "main.yml").read_text()
    assert (project / "tests/unit/test_extra.py").read_text() == "X = [1, 2]\n"
    changed = git(project, "status", "--porcelain").splitlines()
    assert sorted(changed) == [" M tasks/main.yml", "?? tests/unit/test_extra.py"]


# (file, text replaced, its replacement, what the unit run says): one run reports them all.
UNIT_DEFECTS = {
    "defaults-break-argument-specs": (
        "defaults/main.yml",
        "_port: 8080",
        "_port: not-a-port",
        "defaults/main.yml: argument 'sample_role_port' is of type",
    ),
    "template-changes-output": (
        "templates/sample_role.conf.j2",
        "port = {{",
        "listen = {{",
        "test_config_uses_defaults",
    ),
    "readme-table-stale": (
        "README.md",
        "| `sample_role_port` | int |",
        "| `sample_role_port` | str |",
        "README.md: the variables table differs from meta/argument_specs.yml: run `tox -e docs`",
    ),
    "template-syntax-error": (
        "templates/sample_role.service.j2",
        "[Unit]",
        "[Unit] {{ h }",
        "templates/sample_role.service.j2:2: unexpected '}': fix the Jinja syntax",
    ),
    "task-expression-error": (
        "tasks/main.yml",
        "- name: Create the system group",
        "- name: Create the system group\n  when: sample_role_user ==",
        "tasks/main.yml:",
    ),
    "undocumented-variable": (
        "defaults/main.yml",
        "sample_role_options: {}",
        "sample_role_options: {}\nsample_role_timeout: 30",
        (
            "defaults/main.yml sets `sample_role_timeout`, which meta/argument_specs.yml does not "
            "document: add it under argument_specs.main.options (then run `tox -e docs`):\n"
            "      sample_role_timeout:\n        type: int\n        default: 30\n"
        ),
    ),
}


def test_unit_reports_every_planted_defect(default_project: Path, tmp_path: Path) -> None:
    project = clone(default_project, tmp_path)
    for relative, old, new, _ in UNIT_DEFECTS.values():
        path = project / relative
        assert old in path.read_text(), f"{old!r} not in {relative}"
        path.write_text(path.read_text().replace(old, new, 1))
    done = tox(project, "unit")
    assert done.returncode != 0
    assert {name for name, (*_, said) in UNIT_DEFECTS.items() if said not in done.stdout} == set()
