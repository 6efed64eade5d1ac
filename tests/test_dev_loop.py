"""The author's loop (``tox -e dev``) on a generated project: real podman, real keepers.

One project serves the container tests (its tox env is made once); each test
starts with no kept machine and leaves none. The VM test boots the Debian 12 guest.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers import clone, guests_left, interrupt_tox, qemu_guests, tox

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RUN_LABEL = "io.modskel.run"
CONFIG_DIR_MODE = 'group: "{{ sample_role_group }}"\n    mode: "0750"\n\n- name: Render'


def kept_containers(project: Path) -> list[str]:
    """Return the containers labelled as kept for ``project`` (never another run's)."""
    label = f"label={RUN_LABEL}=kept:{project.resolve()}"
    cmd = ["podman", "ps", "-a", "--filter", label, "--format", "{{.Names}}"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()


def keepers(project: Path) -> list[int]:
    """Return the pids of keeper processes of ``project``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:  # ended while we looked
            continue
        if b"pytest_modskel.commands.keeper" in argv and str(project).encode() in argv:
            found.append(int(cmdline.parent.name))
    return found


def container_id(name: str) -> str:
    """Return a container's id."""
    cmd = ["podman", "inspect", "--format", "{{.Id}}", name]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()


def modskel(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the project's ``modskel`` from its tox env (as `tox -e dev` does, without tox)."""
    cmd = [str(project / ".tox" / "dev" / "bin" / "modskel"), *args]
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=False)


def kept_name(output: str, platform: str = "debian12") -> str:
    """Return the machine name ``up`` printed."""
    found = re.search(rf"^modskel dev: {platform}: kept (\S+): ", output, re.MULTILINE)
    assert found, output
    return found[1]


@pytest.fixture(scope="module")
def project(
    default_project: Path, tmp_path_factory: pytest.TempPathFactory, seeded_debian12: str
) -> Iterator[Path]:
    """A copy of the default project with its tox env made (`tox -e dev` lists nothing)."""
    assert seeded_debian12
    copy = clone(default_project, tmp_path_factory.mktemp("dev-loop"))
    done = tox(copy, "dev")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "modskel dev: no kept machine: tox -e dev -- up PLATFORM keeps one" in done.stdout
    yield copy
    modskel(copy, "dev", "destroy", "--all")


@pytest.fixture
def nothing_kept_after(project: Path) -> Iterator[None]:
    """Start with no kept machine; fail if the test leaves a container, record or keeper."""
    modskel(project, "dev", "destroy", "--all")
    yield
    assert kept_containers(project) == []
    assert keepers(project) == []
    assert not list((project / ".modskel" / "machines").glob("*/machine.json"))


@pytest.mark.usefixtures("nothing_kept_after")
def test_up_converge_edit_verify_login_destroy(project: Path) -> None:
    up = tox(project, "dev", "up")
    assert up.returncode == 0, up.stdout[-3000:]
    name = kept_name(up.stdout)
    login_line = f"log in: tox -e dev -- login debian12  (or podman exec -it {name} bash)"
    assert f"modskel dev: debian12: {login_line}" in up.stdout
    first = tox(project, "dev", "converge")
    assert first.returncode == 0, first.stdout[-3000:]
    assert "modskel dev: debian12: converge: 8 changed, 4 ok" in first.stdout
    box = container_id(name)

    again = modskel(project, "dev", "converge", "debian12")
    assert again.returncode == 0, again.stdout
    assert "modskel dev: debian12: converge: 0 changed, 10 ok" in again.stdout
    assert re.search(r"^modskel dev: debian12: converge [\d.]+ s$", again.stdout, re.MULTILINE)
    assert "start" not in again.stdout  # no machine started, no Python installed
    assert container_id(name) == box

    tasks = project / "tasks" / "main.yml"
    original = tasks.read_text()
    assert original.count(CONFIG_DIR_MODE) == 1
    tasks.write_text(original.replace(CONFIG_DIR_MODE, CONFIG_DIR_MODE.replace("0750", "0755")))
    try:
        edited = modskel(project, "dev", "converge")
    finally:
        tasks.write_text(original)
    assert edited.returncode == 0, edited.stdout
    assert "modskel dev: debian12: converge: 1 changed, 9 ok" in edited.stdout
    assert "Create the configuration directory [changed] (tasks/main.yml:" in edited.stdout
    assert '      +    "mode": "0755",' in edited.stdout  # its diff

    verify = tox(project, "dev", "verify")
    assert verify.returncode == 0, verify.stdout[-3000:]
    assert "4 passed, 3 deselected" in verify.stdout  # the converge checks judge fresh machines

    login = tox(project, "dev", "login", "debian12", "--", "cat", "/etc/os-release")
    assert login.returncode == 0, login.stdout[-3000:]
    assert "VERSION_CODENAME=bookworm" in login.stdout

    subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, check=True)
    stale = "modskel dev: debian12: kept machine is gone (removed outside modskel); forgot it"
    assert modskel(project, "dev", "list").stdout.splitlines()[0] == stale
    assert stale not in modskel(project, "dev", "list").stdout  # once

    up = modskel(project, "dev", "up")
    assert up.returncode == 0, up.stdout
    destroy = tox(project, "dev", "destroy")
    assert destroy.returncode == 0, destroy.stdout[-3000:]
    assert f"modskel dev: debian12: destroyed {kept_name(up.stdout)} (container/podman)" in (
        destroy.stdout
    )


@pytest.mark.usefixtures("nothing_kept_after")
def test_failing_gate_keeps_its_machine(project: Path) -> None:
    planted = project / "tests" / "integration" / "test_planted.py"
    planted.write_text("def test_port_is_open(host):\n    assert host.socket('tcp://0.0.0.0:1')"
                       ".is_listening\n")  # fmt: skip
    try:
        done = tox(project, "integration", "--keep=failure")
    finally:
        planted.unlink()
    assert done.returncode != 0
    found = re.search(r"^modskel: debian12: kept (\S+) \(a test failed\): log in with "
                      r"`tox -e dev -- login debian12`, remove it with "
                      r"`tox -e dev -- destroy debian12`$", done.stdout, re.MULTILINE)  # fmt: skip
    assert found, done.stdout[-3000:]
    assert kept_containers(project) == [found[1]]
    login = tox(project, "dev", "login", "debian12", "--", "cat", "/etc/os-release")
    assert login.returncode == 0, login.stdout[-3000:]
    assert "VERSION_CODENAME=bookworm" in login.stdout
    destroy = modskel(project, "dev", "destroy")
    assert f"destroyed {found[1]}" in destroy.stdout


@pytest.mark.usefixtures("nothing_kept_after")
def test_ctrl_c_during_up_leaves_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Through the engine's exec, systemd is asked every 0.5 s: `up` lasts long enough to
    # be interrupted (through nsenter it is done about 0.5 s after the container exists).
    monkeypatch.setenv("MODSKEL_CONNECTION", "exec")
    returncode, output = interrupt_tox(
        project, "dev", lambda: bool(kept_containers(project)), signal.SIGINT, "up", settle=0.5
    )
    assert returncode != 0, output
    assert "modskel dev: interrupted" in output
    assert "kept modskel-" not in output
    assert kept_containers(project) == []  # removed before `up` returned
    assert keepers(project) == []
    assert not (project / ".modskel" / "machines" / "debian12").exists()


@pytest.mark.usefixtures("nothing_kept_after")
def test_ctrl_c_during_converge_keeps_the_machine_and_clean_removes_it(
    project: Path, tmp_path: Path
) -> None:
    name = kept_name(modskel(project, "dev", "up").stdout)
    results = project / ".modskel" / "machines" / "debian12" / "converge" / "results-0.jsonl"
    results.unlink(missing_ok=True)
    returncode, output = interrupt_tox(
        project, "dev", results.exists, signal.SIGINT, "converge", settle=2
    )
    assert returncode != 0, output
    assert kept_containers(project) == [name]
    listed = modskel(project, "dev", "list").stdout
    assert listed.startswith("debian12         up "), listed
    assert "kept machine is gone" not in listed

    # `modskel clean` also sweeps every harness-labelled container: other runs may share this
    # host, so this podman answers that sweep with nothing (the unit tests cover it).
    shim = tmp_path / "bin"
    shim.mkdir()
    real = subprocess.run(["which", "podman"], capture_output=True, text=True, check=True)
    (shim / "podman").write_text(
        "#!/bin/sh\n"
        'case "$*" in "ps -a --filter label=io.modskel.harness --format"*) exit 0 ;; esac\n'
        f'exec {real.stdout.strip()} "$@"\n'
    )
    (shim / "podman").chmod(0o755)
    clean = tox(project, "clean", PATH=f"{shim}{os.pathsep}{os.environ['PATH']}")
    assert clean.returncode == 0, clean.stdout[-3000:]
    assert f"destroyed 1 kept machine(s) (tox -e dev): {name}" in clean.stdout


@pytest.mark.vm
def test_vm_up_converge_destroy(vm_project: Path, tmp_path: Path) -> None:
    project = clone(vm_project, tmp_path)
    before = set(qemu_guests())
    try:
        up = tox(project, "dev", "up", "debian12-vm")
        assert up.returncode == 0, up.stdout[-3000:]
        assert "modskel dev: debian12-vm: log in: tox -e dev -- login debian12-vm  (or ssh -F " in (
            up.stdout
        )
        converge = modskel(project, "dev", "converge", "debian12-vm")
        assert converge.returncode == 0, converge.stdout[-3000:]
        assert "modskel dev: debian12-vm: converge: 8 changed" in converge.stdout, converge.stdout
        login = modskel(project, "dev", "login", "debian12-vm", "--", "systemctl", "is-active",
                        "sample_role")  # fmt: skip
        assert login.stdout.strip() == "active", login.stdout + login.stderr
    finally:
        destroy = modskel(project, "dev", "destroy", "debian12-vm")
    assert "modskel dev: debian12-vm: destroyed modskel-sample_role-debian12-vm-" in destroy.stdout
    assert guests_left(before) == set()
    assert list((project / ".modskel").rglob("*.qcow2")) == []
    assert keepers(project) == []
