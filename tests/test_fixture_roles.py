"""Community-style roles, dropped unchanged into a generated project, pass its integration gate.

The roles under ``tests/fixtures/roles/`` were written for these tests in the
shapes people publish (OS-family vars, include_tasks per OS, services with
handlers, users and files with loops and block/rescue, become, dependencies,
templates on facts). Each brings its own converge playbook and testinfra tests,
as an author would. Planted defects in one of them prove the gate still fails.

The runs are independent projects, so the module runs the selected ones three
at a time (most of a run is waiting on containers and the package mirror);
each test then reads its own run's output, and ``-k`` still selects one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from tests.helpers import FIXTURES, containers_left, drop_in, labelled_containers, tox

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable
    from pathlib import Path

ROLES = sorted(p.name for p in FIXTURES.iterdir() if (p / "meta" / "main.yml").is_file())
AT_ONCE = 3
# The roles install packages from Debian's mirror; its name lookup inside the
# containers fails now and then under load. A run that failed on that alone
# runs once more: the role is not at fault, and a second failure still fails.
NETWORK_FLAKES = ("Temporary failure resolving", "Could not resolve host")
STAMP = """
- name: Refresh the stamp
  ansible.builtin.copy:
    content: "{{ now() }}\\n"
    dest: /etc/fixtures-stamp
    mode: "0644"
"""

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.usefixtures("no_container_left"),
]


def append(project: Path, tasks: str) -> None:
    path = project / "tasks" / "main.yml"
    path.write_text(path.read_text() + tasks)


def plant(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    assert old in path.read_text(), f"{old!r} not in {relative}"
    path.write_text(path.read_text().replace(old, new))


def service_stopped(project: Path) -> None:
    """The service is left stopped; a task that changes every run is opted out by tag."""
    started = "    state: started\n    enabled: true"
    plant(project, "tasks/main.yml", started, started.replace("started", "stopped"))
    append(project, STAMP + "  tags: [molecule-idempotence-notest]\n")


def handler_never_runs(project: Path) -> None:
    """No task notifies the restart handler (nginx keeps port 80); a task changes every run."""
    plant(project, "tasks/main.yml", "  notify: Restart nginx\n", "")
    append(project, STAMP)


def no_verify_tests(project: Path) -> None:
    """The author's testinfra tests are deleted: converge and idempotence alone must not pass."""
    for path in (project / "tests" / "integration").glob("test_*.py"):
        if path.name != "test_idempotence.py":  # the template's
            path.unlink()


def unchanged(_project: Path) -> None:
    """The role as it is."""


# case id -> (fixture role, what is planted in it)
CASES: dict[str, tuple[str, Callable[[Path], None]]] = {
    **{role: (role, unchanged) for role in ROLES},
    "service-stopped": ("web_service", service_stopped),
    "handler-never-runs": ("web_service", handler_never_runs),
    "no-verify-tests": ("become_user", no_verify_tests),
}


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest,
    container_project: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run `tox -e integration` for every selected case, a few at a time; nothing may leak."""
    before = set(labelled_containers())
    wanted = {
        item.callspec.params["case"]
        for item in request.session.items
        if hasattr(item, "callspec") and "case" in item.callspec.params
    }

    def run(case: str) -> subprocess.CompletedProcess[str]:
        role, defect = CASES[case]
        project = drop_in(container_project, tmp_path_factory.mktemp(case), role)
        defect(project)
        done = tox(project, "integration")
        if done.returncode != 0 and any(flake in done.stdout for flake in NETWORK_FLAKES):
            done = tox(project, "integration")
        return done

    with ThreadPoolExecutor(AT_ONCE) as pool:
        done = dict(zip(sorted(wanted), pool.map(run, sorted(wanted)), strict=True))
    assert containers_left(before) == set()
    return done


def failed_tests(output: str) -> list[str]:
    """Return the names of the failed tests, from pytest's short summary."""
    failed = [line for line in output.splitlines() if line.startswith("FAILED ")]
    return [line.split("::")[-1].split(" ")[0] for line in failed]


@pytest.mark.parametrize("case", ROLES, ids=ROLES)
def test_fixture_role_passes_unchanged(
    runs: dict[str, subprocess.CompletedProcess[str]], case: str
) -> None:
    done = runs[case]
    assert done.returncode == 0, done.stdout[-5000:]
    summary = next(line for line in reversed(done.stdout.splitlines()) if " passed" in line)
    assert "skipped" not in summary, summary  # every check ran, services included


@pytest.mark.parametrize("case", ["service-stopped"])
def test_service_not_started_fails_and_an_opted_out_task_is_listed(
    runs: dict[str, subprocess.CompletedProcess[str]], case: str
) -> None:
    done = runs[case]
    assert done.returncode != 0
    assert "test_nginx_is_running_and_enabled[debian12]" in failed_tests(done.stdout)
    note = next(line for line in done.stdout.splitlines() if "idempotence check skipped" in line)
    assert note.startswith("modskel: debian12: idempotence check skipped 1 changed task(s) by tag:")
    assert "Refresh the stamp (tasks/main.yml:" in note


@pytest.mark.parametrize("case", ["handler-never-runs"])
def test_handler_that_never_runs_and_a_changing_task_fail(
    runs: dict[str, subprocess.CompletedProcess[str]], case: str
) -> None:
    done = runs[case]
    assert done.returncode != 0
    failed = failed_tests(done.stdout)
    assert "test_site_listens_on_the_configured_port[debian12]" in failed
    assert "test_nginx_is_running_and_enabled[debian12]" not in failed
    assert "test_second_converge_changes_nothing[debian12]" in failed
    assert (
        "not idempotent on debian12: the second converge changed or failed 1 task(s):"
        in done.stdout
    )
    assert "Refresh the stamp [changed] (tasks/main.yml:" in done.stdout
    assert "--- before: /etc/fixtures-stamp" in done.stdout
    assert "+++ after: /etc/fixtures-stamp" in done.stdout


@pytest.mark.parametrize("case", ["no-verify-tests"])
def test_integration_without_testinfra_tests_fails(
    runs: dict[str, subprocess.CompletedProcess[str]], case: str
) -> None:
    done = runs[case]
    assert done.returncode != 0
    assert failed_tests(done.stdout) == ["test_role_was_verified[debian12]"], done.stdout[-5000:]
    assert (
        "no testinfra test checked debian12 after converging: write one in "
        "tests/integration/test_role.py, a function taking `host`"
    ) in done.stdout
