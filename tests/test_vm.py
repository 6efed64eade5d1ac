"""VM platforms: the qemu driver boots a Debian guest here (TCG); the ssh driver reaches one."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers import (
    clone,
    drop_in,
    guests_left,
    interrupt_tox,
    qemu_guests,
    report,
    task_coverage,
    tox,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.vm]
VM_ENV = "integration-debian12-vm"


@pytest.fixture
def no_guest_left() -> Iterator[None]:
    """Fail the test if a qemu guest it started is still running afterwards."""
    before = set(qemu_guests())
    yield
    assert guests_left(before) == set()


def overlays(basetemp: Path) -> list[Path]:
    """Return the qcow2 overlays left under a pytest base temp directory."""
    return sorted(basetemp.rglob("*.qcow2"))


@pytest.mark.usefixtures("seeded_debian12", "no_container_left", "no_guest_left")
def test_container_and_vm_pass_and_their_task_coverage_merges(
    vm_project: Path, tmp_path: Path
) -> None:
    project, basetemp = clone(vm_project, tmp_path), tmp_path / "basetemp"
    done = tox(project, "integration", "--basetemp", str(basetemp))
    assert done.returncode == 0, done.stdout[-4000:]
    assert "14 passed" in done.stdout  # the service is checked in the container too
    assert "modskel: virtual machines use TCG (no hardware-backed KVM" in done.stdout
    assert "modskel: debian12-vm: start " in done.stdout
    assert overlays(basetemp) == []
    coverage = task_coverage(project)
    assert coverage.returncode == 0, coverage.stdout
    data = report(project)
    assert (data["executed"], data["total"], data["only_skipped"]) == (10, 10, [])
    statuses = {
        kind: {
            row["task"].rsplit(" : ", 1)[-1]: row["status"]
            for row in json.loads((project / ".task-coverage" / f"{kind}.json").read_text())[
                "results"
            ]
        }
        for kind in ("debian12", "debian12-vm")
    }
    for kind in ("debian12", "debian12-vm"):  # systemd in the container and in the VM
        assert statuses[kind]["Enable and start the service"] in ("ok", "changed")


@pytest.mark.usefixtures("no_guest_left")
def test_failing_verify_leaves_no_guest_and_no_overlay(vm_project: Path, tmp_path: Path) -> None:
    project, basetemp = clone(vm_project, tmp_path), tmp_path / "basetemp"
    test_role = project / "tests" / "integration" / "test_role.py"
    test_role.write_text(test_role.read_text().replace("127.0.0.1:9090", "127.0.0.1:9091"))
    done = tox(project, VM_ENV, "--basetemp", str(basetemp))
    assert done.returncode != 0
    assert (
        "FAILED tests/integration/test_role.py::test_service_is_enabled_and_listening[debian12-vm]"
        in done.stdout
    )
    assert "6 passed" in done.stdout
    assert overlays(basetemp) == []


@pytest.mark.usefixtures("no_guest_left")
def test_ctrl_c_during_boot_leaves_no_guest_and_no_overlay(
    vm_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODSKEL_VM_RESUME", "0")  # a boot (a resumed guest is up in 3 s)
    project, basetemp = clone(vm_project, tmp_path), tmp_path / "basetemp"
    tox(project, VM_ENV, "--co", "-q")  # create the env first: interrupt the boot only
    before = set(qemu_guests())

    returncode, output = interrupt_tox(
        project,
        VM_ENV,
        lambda: bool(set(qemu_guests()) - before and overlays(basetemp)),
        signal.SIGINT,
        "--basetemp",
        str(basetemp),
        settle=2,  # mid-boot
    )
    assert returncode != 0, output
    assert guests_left(before) == set(), output
    assert overlays(basetemp) == [], output


@pytest.mark.usefixtures("no_guest_left")
def test_ssh_driver_converges_and_verifies_a_given_machine(
    vm_project: Path, tmp_path: Path
) -> None:
    # A fixture role (users, files, loops, block/rescue, become_user) on the
    # Debian 12 VM guest: the VM platform's image passes a role we did not write.
    project = drop_in(vm_project, tmp_path, "users_files")
    tox(project, VM_ENV, "--co", "-q")
    modskel = project / ".tox" / VM_ENV / "bin" / "modskel"
    up = subprocess.Popen(  # a VM the test owns: the ssh driver must not start or stop it
        [str(modskel), "vm", "up", "debian12-vm"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert up.stdout is not None
        lines = [up.stdout.readline(), up.stdout.readline()]
        assert lines[0].startswith("debian12-vm is up: ssh -F "), lines
        url, _, key = lines[1].split()[:3]
        done = tox(project, "integration", "--hosts", url, "--ssh-identity-file", key)
        assert done.returncode == 0, done.stdout[-4000:]
        assert " failed" not in done.stdout
        assert re.search(r"^=+ \d+ passed", done.stdout, re.MULTILINE), done.stdout[-2000:]
        assert f"modskel: 127.0.0.1-{url.rsplit(':', 1)[1]}: start" in done.stdout
        assert up.poll() is None, "the ssh driver stopped a machine it did not start"
    finally:
        up.send_signal(signal.SIGINT)
        up.communicate(timeout=60)


def path_without(tmp_path: Path, program: str) -> str:
    """Return a PATH whose programs are the current ones less ``program``."""
    shim = tmp_path / "path"
    shim.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for entry in Path(folder).glob("*") if Path(folder).is_dir() else []:
            link = shim / entry.name
            if entry.name != program and not link.exists():
                link.symlink_to(entry)
    return str(shim)


@pytest.mark.usefixtures("no_guest_left")
@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        pytest.param(
            {"MODSKEL_VM_BOOT_TIMEOUT": "3", "MODSKEL_VM_RESUME": "0"},  # a boot, not a resume
            (),
            "debian12-vm: no ssh after 3 s (tcg); last console line: ",
            id="ssh-wait-runs-out",
        ),
        pytest.param(
            {"MODSKEL_VM_ACCEL": "hvf"},
            (),
            "MODSKEL_VM_ACCEL='hvf' is not an accelerator: set it to kvm or tcg, or unset it",
            id="unknown-accelerator",
        ),
        pytest.param(
            {},
            ("--hosts", "ssh://root@127.0.0.1:1"),
            "cannot log in to 127.0.0.1-1 over ssh (",
            id="unreachable-host",
        ),
        pytest.param(
            {},
            ("--hosts", "ftp://lab1"),
            "host 'ftp://lab1' is not an ssh address: write ssh://[user@]host[:port]",
            id="not-an-ssh-address",
        ),
    ],
)
def test_vm_and_ssh_problems_get_one_line(
    vm_project: Path, env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    done = tox(vm_project, VM_ENV, *args, **env)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert message in output, output[-3000:]
    assert "Traceback" not in output


def test_missing_qemu_gets_one_line(vm_project: Path, tmp_path: Path) -> None:
    done = tox(vm_project, VM_ENV, PATH=path_without(tmp_path, "qemu-system-x86_64"))
    assert done.returncode != 0
    assert (
        "qemu-system-x86_64 is not installed, needed for VM platforms: "
        "apt-get install qemu-system-x86" in done.stdout
    )


def test_missing_vm_image_gets_one_line(vm_project: Path, tmp_path: Path) -> None:
    project = clone(vm_project, tmp_path)
    pyproject = project / "pyproject.toml"
    override = '\n[tool.modskel.platforms.debian12-vm]\nimage = "/srv/none/debian.qcow2"\n'
    pyproject.write_text(pyproject.read_text() + override)
    done = tox(project, VM_ENV)
    assert done.returncode != 0
    assert (
        "VM image file /srv/none/debian.qcow2 of debian12-vm not found: fix the path in "
        "[tool.modskel.platforms] of pyproject.toml or use built:<suite>" in done.stdout
    )
