"""A generated project's integration gate: real containers, idempotence, testinfra."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.helpers import (
    build_harness,
    clone,
    containers_left,
    interrupt_tox,
    labelled_containers,
    tox,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.usefixtures("no_container_left"),
]


def test_integration_passes_on_debian12(container_project: Path) -> None:
    done = tox(container_project, "integration", "-k", "debian12")
    assert done.returncode == 0, done.stdout[-4000:]
    assert "7 passed" in done.stdout


def test_integration_passes_by_engine_exec(container_project: Path, tmp_path: Path) -> None:
    # The fallback of non-root users (no nsenter): every task and check by `podman exec`.
    temp = tmp_path / "pytest"
    done = tox(container_project, "integration", "-k", "debian12", f"--basetemp={temp}",
               MODSKEL_CONNECTION="exec")  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
    assert "7 passed" in done.stdout
    [inventory] = temp.glob("**/inventory.ini")  # tox passed the variable on to the harness
    line = inventory.read_text(encoding="utf-8")
    assert "ansible_connection=modskel_container modskel_engine=podman" in line
    assert "modskel_container_pid" not in line


def test_non_idempotent_task_fails_and_is_named(container_project: Path, tmp_path: Path) -> None:
    project = clone(container_project, tmp_path)
    tasks = project / "tasks" / "main.yml"
    bad_task = "\n- name: Stamp the time\n  ansible.builtin.command: date\n  changed_when: true\n"
    tasks.write_text(tasks.read_text() + bad_task)
    done = tox(project, "integration")
    assert done.returncode != 0
    assert "not idempotent on debian12" in done.stdout
    assert "Stamp the time [changed]" in done.stdout
    assert "1 failed, 6 passed" in done.stdout


def test_failing_testinfra_assertion_fails(container_project: Path, tmp_path: Path) -> None:
    project = clone(container_project, tmp_path)
    test_role = project / "tests" / "integration" / "test_role.py"
    test_role.write_text(test_role.read_text().replace('"port = 9090"', '"port = 1234"'))
    done = tox(project, "integration")
    assert done.returncode != 0
    assert (
        "FAILED tests/integration/test_role.py::test_config_is_rendered_from_variables[debian12]"
        in done.stdout
    )


def test_engine_that_cannot_run_containers_gets_one_line(container_project: Path) -> None:
    done = tox(container_project, "integration", MODSKEL_ENGINE="docker")
    assert done.returncode != 0
    assert "no container engine can run containers: `docker info` failed" in done.stdout
    assert (
        "Install podman (apt-get install podman) or start Docker, or set MODSKEL_ENGINE"
        in done.stdout
    )


def test_unknown_engine_name_lists_the_known_ones(container_project: Path) -> None:
    done = tox(container_project, "integration", MODSKEL_ENGINE="lxc")
    assert done.returncode != 0
    assert (
        "MODSKEL_ENGINE='lxc' is not a known engine: set it to one of podman, docker" in done.stdout
    )


def test_missing_image_gets_one_line(container_project: Path, tmp_path: Path) -> None:
    project = clone(container_project, tmp_path)
    platforms = project / "tests" / "integration" / "platforms.yml"
    image = "localhost/modskel-missing/debian:none"
    platforms.write_text(platforms.read_text().replace("docker.io/library/debian:bookworm", image))
    done = tox(project, "integration")
    assert done.returncode != 0
    assert f"image {image} is not available and `podman pull` failed" in done.stdout


def test_unknown_platform_selection_lists_the_known_ones(container_project: Path) -> None:
    done = tox(container_project, "integration", "--platforms", "centos5")
    assert done.returncode != 0
    assert "unknown platform centos5: choose from debian12" in done.stdout + done.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_run_removes_its_container(
    container_project: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    project = clone(container_project, tmp_path)
    tox(project, "integration", "--co", "-q")  # create the env first: interrupt the tests only
    before = set(labelled_containers())
    returncode, output = interrupt_tox(
        project, "integration", lambda: bool(set(labelled_containers()) - before), signum
    )
    assert returncode != 0, output
    assert containers_left(before) == set(), output


DRIVER_PACKAGE = '''\
"""A third-party modskel driver: kind "box", a podman container started its own way."""

import os
from contextlib import contextmanager
from pathlib import Path

from pytest_modskel.drivers import container
from pytest_modskel.drivers.base import Driver


def _log(line):
    with Path(os.environ["MODSKEL_BOX_LOG"]).open("a") as log:
        log.write(line + "\\n")


def preflight(platforms):
    _log("preflight " + ",".join(p.id for p in platforms))


@contextmanager
def started(platform, workdir, session):
    _log("start " + platform.id)
    with container.started(platform, workdir, session) as box:
        yield box
    _log("removed " + platform.id)


DRIVER = Driver(summary="a box from a third party", preflight=preflight, start=started)
'''
DRIVER_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "modskel-box"
version = "1.0"
dependencies = ["pytest-modskel"]

[project.entry-points."modskel.drivers"]
box = "modskel_box:DRIVER"
"""


def test_third_party_driver_is_picked_by_kind(container_project: Path, tmp_path: Path) -> None:
    source = tmp_path / "modskel-box"
    source.mkdir()
    (source / "modskel_box.py").write_text(DRIVER_PACKAGE)
    (source / "pyproject.toml").write_text(DRIVER_PYPROJECT)
    build_harness(Path(os.environ["UV_FIND_LINKS"]), source)  # beside pytest-modskel's wheel
    project = clone(container_project, tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    text = text.replace("integration = [\n", 'integration = [\n  "modskel-box==1.0",\n')
    image = "docker.io/library/debian:bookworm"
    box = f'[tool.modskel.platforms.boxed]\nkind = "box"\nimage = "{image}"\nsystemd = true'
    pyproject.write_text(f"{text}\n{box}\n")
    log = tmp_path / "box.log"
    done = tox(project, "integration", "--platforms", "boxed", MODSKEL_BOX_LOG=str(log))
    assert done.returncode == 0, done.stdout[-4000:]
    assert "7 passed" in done.stdout
    assert "modskel: boxed: start " in done.stdout
    assert log.read_text().splitlines() == ["preflight boxed", "start boxed", "removed boxed"]
