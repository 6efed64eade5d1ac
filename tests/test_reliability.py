"""Nothing leaks, pre-flight answers in one line, platforms run in parallel."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import TYPE_CHECKING

import pytest

from tests.helpers import (
    BIN,
    LABEL,
    add_platform,
    clone,
    labelled_containers,
    tox,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.usefixtures("no_container_left"),
]
IMAGE = "docker.io/library/debian:bookworm"


def test_failed_converge_removes_container_and_names_the_task(
    container_project: Path, tmp_path: Path
) -> None:
    project = clone(container_project, tmp_path)
    tasks = project / "tasks" / "main.yml"
    tasks.write_text(
        tasks.read_text()
        + "\n- name: Refuse to continue\n  ansible.builtin.fail:\n    msg: planted\n"
    )
    done = tox(project, "integration")
    assert done.returncode != 0
    assert done.stdout.count("converge failed on debian12:\n") == 1  # reported once, in full
    assert done.stdout.count("see the first error of debian12 above") == 6
    assert "Refuse to continue [failed] (tasks/main.yml:" in done.stdout  # project-relative
    assert "(tasks/main.yml:" in done.stdout
    assert "): planted" in done.stdout  # the task's own message


def test_engine_error_mid_run_removes_container(container_project: Path, tmp_path: Path) -> None:
    shim = tmp_path / "bin"
    shim.mkdir()
    real = subprocess.run(
        ["which", "podman"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (shim / "podman").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = exec ]; then echo "Error: OCI runtime error: simulated" >&2; exit 125; fi\n'
        f'exec {real} "$@"\n'
    )
    (shim / "podman").chmod(0o755)
    path = f"{shim}{os.pathsep}{os.environ['PATH']}"
    # The engine's exec, not nsenter (which needs no engine), reaches the container.
    done = tox(container_project, "integration", PATH=path, MODSKEL_CONNECTION="exec")
    assert done.returncode != 0
    assert "debian12: could not reach systemd in modskel-sample_role-debian12-" in done.stdout
    assert ": Error: OCI runtime error: simulated" in done.stdout


def test_clean_removes_stale_labelled_containers(container_project: Path) -> None:
    cmd = ["podman", "run", "-d", "--label", f"{LABEL}=stale", IMAGE, "sleep", "infinity"]
    stale = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    done = tox(container_project, "clean")
    assert done.returncode == 0, done.stdout
    assert "removed 1 container(s) labelled io.modskel.harness" in done.stdout
    inspect = subprocess.run(["podman", "container", "exists", stale], check=False)
    assert inspect.returncode != 0


def test_preflight_checks_every_image_before_any_converge(
    container_project: Path, tmp_path: Path
) -> None:
    project = clone(container_project, tmp_path)
    platforms = project / "tests" / "integration" / "platforms.yml"
    missing = "localhost/modskel-missing/other:none"
    platforms.write_text(
        platforms.read_text()
        + f"- id: other\n  name: Other\n  image: {missing}\n  bootstrap: apt\n"
    )
    done = tox(project, "integration")
    assert done.returncode != 0
    assert f"image {missing} is not available" in done.stdout
    assert " passed" not in done.stdout, "no platform may converge before pre-flight passes"


def test_two_platforms_run_in_parallel(container_project: Path, tmp_path: Path) -> None:
    project = clone(container_project, tmp_path)
    add_platform(project, "debian12b")
    done = tox(project, "integration", "-n", "2", "--dist", "loadgroup")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "14 passed" in done.stdout
    # figures gathered in the workers reach the controller's summary
    assert "modskel: debian12: start " in done.stdout
    assert "modskel: debian12b: start " in done.stdout


def test_killed_xdist_worker_leaves_no_container(container_project: Path, tmp_path: Path) -> None:
    project = clone(container_project, tmp_path)
    add_platform(project, "debian12b")
    tox(project, "integration", "--co", "-q")
    before = set(labelled_containers())
    xdist = ["-n", "2", "--dist", "loadgroup", "--max-worker-restart=0"]
    with subprocess.Popen(
        [str(BIN / "tox"), "-e", "integration", "--", *xdist],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as run:
        try:
            deadline = time.monotonic() + 120
            while len(set(labelled_containers()) - before) < 2:
                assert run.poll() is None, "the run ended before both containers started"
                assert time.monotonic() < deadline, "containers did not start"
                time.sleep(0.2)
            worker = "sys.stdin.readline"  # xdist: python -c "...exec(eval(sys.stdin.readline()))"
            found = subprocess.run(
                ["pgrep", "-s", str(run.pid), "-f", worker],
                capture_output=True,
                text=True,
                check=False,
            )
            assert found.stdout.split(), found
            for pid in found.stdout.split():  # every worker dies; the controller must clean up
                os.kill(int(pid), signal.SIGKILL)
            output, _ = run.communicate(timeout=300)
            assert run.returncode != 0, output
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGTERM)
                run.wait(timeout=60)


def test_a_platform_that_cannot_start_fails_alone(container_project: Path, tmp_path: Path) -> None:
    empty = "localhost/modskel-tests/empty:latest"  # an image with no `sleep` to run
    if subprocess.run(["podman", "image", "exists", empty], check=False).returncode != 0:
        tar = subprocess.run(
            ["tar", "-cf", "-", "-T", "/dev/null"], capture_output=True, check=True
        )
        subprocess.run(["podman", "import", "-q", "-", empty], input=tar.stdout, check=True)
    project = clone(container_project, tmp_path)
    add_platform(project, "empty", empty)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "prepare = false\n")  # start it as it is
    done = tox(project, "integration")
    assert done.returncode != 0
    assert "7 passed, 7 errors" in done.stdout, done.stdout[-3000:]
    assert f"empty: could not start {empty} with podman" in done.stdout
