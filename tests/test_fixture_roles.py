"""Community-style roles, dropped unchanged into a generated project, pass its integration gate.

The roles under ``tests/fixtures/roles/`` were written for these tests in the
shapes people publish (OS-family vars, include_tasks per OS, services with
handlers, users and files with loops and block/rescue, become, dependencies,
templates on facts). Each brings its own converge playbook and testinfra tests,
as an author would. Planted defects in one of them prove the gate still fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.helpers import FIXTURES, drop_in, tox

if TYPE_CHECKING:
    from pathlib import Path

ROLES = sorted(p.name for p in FIXTURES.iterdir() if (p / "meta" / "main.yml").is_file())

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.usefixtures("no_container_left"),
]


@pytest.mark.parametrize("role", ROLES, ids=ROLES)
def test_fixture_role_passes_unchanged(container_project: Path, tmp_path: Path, role: str) -> None:
    project = drop_in(container_project, tmp_path, role)
    done = tox(project, "integration")
    assert done.returncode == 0, done.stdout[-5000:]
    summary = next(line for line in reversed(done.stdout.splitlines()) if " passed" in line)
    assert "skipped" not in summary, summary  # every check ran, services included


STAMP = """
- name: Refresh the stamp
  ansible.builtin.copy:
    content: "{{ now() }}\\n"
    dest: /etc/fixtures-stamp
    mode: "0644"
"""


def append(project: Path, tasks: str) -> None:
    path = project / "tasks" / "main.yml"
    path.write_text(path.read_text() + tasks)


def plant(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    assert old in path.read_text(), f"{old!r} not in {relative}"
    path.write_text(path.read_text().replace(old, new))


def failed_tests(output: str) -> list[str]:
    """Return the names of the failed tests, from pytest's short summary."""
    return [
        line.split("::")[-1].split(" ")[0]
        for line in output.splitlines()
        if line.startswith("FAILED ")
    ]


def test_service_not_started_fails_and_an_opted_out_task_is_listed(
    container_project: Path, tmp_path: Path
) -> None:
    project = drop_in(container_project, tmp_path, "web_service")
    started = "    state: started\n    enabled: true"
    plant(project, "tasks/main.yml", started, started.replace("started", "stopped"))
    append(project, STAMP + "  tags: [molecule-idempotence-notest]\n")
    done = tox(project, "integration")
    assert done.returncode != 0
    assert "test_nginx_is_running_and_enabled[debian12]" in failed_tests(done.stdout)
    assert (
        "modskel: debian12: idempotence check skipped 1 changed task(s) by tag: "
        "Refresh the stamp (tasks/main.yml:" in done.stdout
    )


def test_handler_that_never_runs_fails(container_project: Path, tmp_path: Path) -> None:
    project = drop_in(container_project, tmp_path, "web_service")
    plant(project, "tasks/main.yml", "  notify: Restart nginx\n", "")  # nginx keeps port 80
    done = tox(project, "integration")
    assert done.returncode != 0
    assert "test_site_listens_on_the_configured_port[debian12]" in failed_tests(done.stdout)
    assert "test_nginx_is_running_and_enabled[debian12]" not in failed_tests(done.stdout)


def test_changed_task_shows_its_diff(container_project: Path, tmp_path: Path) -> None:
    project = drop_in(container_project, tmp_path, "web_service")
    append(project, STAMP)
    done = tox(project, "integration")
    assert done.returncode != 0
    assert (
        "not idempotent on debian12: the second converge changed or failed 1 task(s):"
        in done.stdout
    )
    assert "Refresh the stamp [changed] (tasks/main.yml:" in done.stdout
    assert "--- before: /etc/fixtures-stamp" in done.stdout
    assert "+++ after: /etc/fixtures-stamp" in done.stdout
