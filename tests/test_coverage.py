"""Coverage that means something: Python coverage and task coverage, with thresholds."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.helpers import add_platform, clone, report, task_coverage, tox

if TYPE_CHECKING:
    from pathlib import Path


def append_tasks(project: Path, text: str) -> None:
    tasks = project / "tasks" / "main.yml"
    tasks.write_text(tasks.read_text() + text)


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.usefixtures("seeded_debian12")
def test_sample_role_coverage_is_exact(container_project: Path, tmp_path: Path) -> None:
    project = clone(container_project, tmp_path)
    done = tox(project, "unit,integration,coverage")
    assert done.returncode == 0, done.stdout[-3000:]
    assert report(project) == {
        "executed": 10,
        "total": 10,
        "percent": 100.0,
        "files": {
            "tasks/main.yml": {"executed": 8, "total": 8},
            "handlers/main.yml": {"executed": 2, "total": 2},
        },
        "never_executed": [],
        "only_skipped": [],
    }
    assert (
        "filter_plugins/sample_role_filters.py      17      0      8      0   100%" in done.stdout
    )
    assert (project / "coverage-report" / "python.xml").exists()
    assert (
        "| **all** | **10** | **10** (100.0%) |"
        in (project / "coverage-report" / "tasks.md").read_text()
    )


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.usefixtures("seeded_debian12")
def test_task_never_run_lowers_the_figure_and_fails_the_gate(
    container_project: Path, tmp_path: Path
) -> None:
    project = clone(container_project, tmp_path)
    append_tasks(
        project,
        "\n- name: Only on leap days\n  ansible.builtin.debug:\n    msg: rare\n  when: false\n"
        "\n- name: Only on leap seconds\n  ansible.builtin.debug:\n    msg: rarer\n  when: false\n",
    )
    assert tox(project, "integration").returncode == 0
    done = task_coverage(project)
    assert done.returncode == 1
    assert "task coverage 83.3% is below fail_under 90%" in done.stdout
    data = report(project)
    assert (data["executed"], data["total"]) == (10, 12)
    assert data["never_executed"] == data["only_skipped"]
    assert data["never_executed"][0].endswith(" Only on leap days")
    assert data["never_executed"][0].startswith("tasks/main.yml:")


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.usefixtures("seeded_debian12")
def test_platforms_taking_different_branches_merge_to_the_union(
    container_project: Path, tmp_path: Path
) -> None:
    project = clone(container_project, tmp_path)
    add_platform(project, "otherdeb")
    append_tasks(
        project,
        "\n- name: Only on otherdeb\n  ansible.builtin.debug:\n    msg: a\n"
        "  when: \"'otherdeb' in inventory_hostname\"\n"
        "\n- name: Everywhere but otherdeb\n  ansible.builtin.debug:\n    msg: b\n"
        "  when: \"'otherdeb' not in inventory_hostname\"\n",
    )
    assert tox(project, "integration", "-n", "2", "--dist", "loadgroup").returncode == 0
    assert sorted(p.name for p in (project / ".task-coverage").iterdir()) == [
        "debian12.json",
        "otherdeb.json",
    ]
    done = task_coverage(project)
    assert done.returncode == 0, done.stdout
    assert (report(project)["executed"], report(project)["total"]) == (12, 12)
    # A platform the author removes no longer counts.
    pyproject = project / "pyproject.toml"
    image = "docker.io/library/debian:bookworm"
    added = f'\n[tool.modskel.platforms.otherdeb]\nimage = "{image}"\nsystemd = true\n'
    pyproject.write_text(pyproject.read_text().replace(added, ""))
    done = task_coverage(project)
    assert "left out otherdeb.json: otherdeb is no longer a platform" in done.stdout
    assert (report(project)["executed"], report(project)["total"]) == (11, 12)
    # Results recorded before the task files changed (lines may have moved) no longer count.
    tasks = project / "tasks" / "main.yml"
    tasks.write_text("# moved every line down\n" + tasks.read_text())
    done = task_coverage(project)
    assert (
        "left out debian12.json: tasks/ or handlers/ changed since that run: "
        "rerun tox -e integration-debian12" in done.stdout
    )
    assert report(project)["executed"] == 0


@pytest.mark.slow
def test_deleting_a_unit_test_fails_python_coverage(default_project: Path, tmp_path: Path) -> None:
    project = clone(default_project, tmp_path)
    tests = project / "tests" / "unit" / "test_filters.py"
    text = tests.read_text()
    start = text.index("def test_ini_value_refuses_a_mapping")
    end = text.index("def test_filter_is_registered")
    tests.write_text(text[:start] + text[end:])
    done = tox(project, "unit,coverage")
    assert done.returncode != 0
    assert "Coverage failure: total of 88 is less than fail-under=90" in done.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "- name: x\n  bad: [unclosed\n",
            r"modskel coverage: error: tasks/broken.yml:3: not valid YAML \(.*\): fix the file",
        ),
        (
            "name: a mapping\n",
            (
                r"modskel coverage: error: tasks/broken.yml: "
                r"expected a list of tasks, found dict: fix the file"
            ),
        ),
        (
            "- just a string\n",
            (
                r"modskel coverage: error: tasks/broken.yml: "
                r"a task must be a mapping, found 'just a string'"
            ),
        ),
    ],
    ids=["invalid-yaml", "not-a-list", "not-a-mapping"],
)
def test_malformed_task_file_gets_one_clear_line(
    default_project: Path, tmp_path: Path, content: str, message: str
) -> None:
    project = clone(default_project, tmp_path)
    (project / "tasks" / "broken.yml").write_text(content)
    assert tox(project, "unit", "--co", "-q").returncode == 0  # the env, to run the report with
    done = task_coverage(project, env="unit")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert re.match(message, lines[0]), lines[0]
