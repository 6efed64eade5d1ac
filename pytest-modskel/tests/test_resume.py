"""Saved guests: which platforms resume, where a state lives, QMP, saving and loading (faked)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from conftest import (
    QEMU_VERSION,
    Clock,
    FakeBin,
    FakeQmp,
    Launched,
    exactly,
    pin_qmp,
    saved_state,
)
from pytest_modskel.drivers import qemu, resume
from pytest_modskel.drivers.qemu import Boot
from pytest_modskel.drivers.resume import Saved
from pytest_modskel.errors import SetupError
from pytest_modskel.platforms import Platform

QmpServer = Callable[[Path], FakeQmp]
RUNNING = {"return": {"status": "running", "running": True}}
INMIGRATE = {"return": {"status": "inmigrate", "running": False}}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock of ``resume``, faked: waiting takes no time."""
    fake = Clock()
    monkeypatch.setattr(resume, "time", fake)
    return fake


@pytest.mark.parametrize(
    ("image", "value", "expected"),
    [
        ("built:bookworm", None, True),
        ("built:bookworm", "", True),
        ("built:trixie", "1", True),
        ("built:bookworm", "yes", True),
        ("built:bookworm", "0", False),
        ("built:bookworm", "no", False),
        ("built:bookworm", "false", False),
        ("built:bookworm", " OFF ", False),
        ("/srv/images/debian-12.qcow2", None, False),
        ("https://cloud.debian.org/debian-12-genericcloud-amd64.qcow2", "1", False),
    ],
    ids=["built", "built-empty", "built-1", "built-yes", "built-0", "built-no", "built-false",
         "built-off-any-case", "disk-path", "cloud-url"],
)  # fmt: skip
def test_wanted(image: str, value: str | None, expected: bool) -> None:  # noqa: FBT001
    platform = Platform("vm12", image, kind="vm", systemd=True)
    env = {} if value is None else {resume.RESUME_VAR: value}
    assert resume.wanted(platform, env) is expected


def test_wanted_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    platform = Platform("vm12", "built:bookworm", kind="vm")
    assert resume.wanted(platform)
    monkeypatch.setenv(resume.RESUME_VAR, "off")
    assert not resume.wanted(platform)


def test_saved_paths(tmp_path: Path) -> None:
    state = Saved(tmp_path / "vm12-0123456789ab")
    assert (state.disk, state.memory, state.key, state.seed) == (
        tmp_path / "vm12-0123456789ab" / "disk.qcow2",
        tmp_path / "vm12-0123456789ab" / "memory.state",
        tmp_path / "vm12-0123456789ab" / "id_ed25519",
        tmp_path / "vm12-0123456789ab" / "seed.iso",
    )


def test_saved_ready(tmp_path: Path) -> None:
    state = Saved(tmp_path / "state")
    assert not state.ready  # no folder
    state.folder.mkdir()
    for path in (state.disk, state.memory, state.key, state.seed):
        path.touch()
    assert not state.ready  # everything but the mark written last
    (state.folder / "state.json").mkdir()
    assert not state.ready  # not a file
    (state.folder / "state.json").rmdir()
    (state.folder / "state.json").write_text("{}\n", encoding="utf-8")
    assert state.ready


def test_saved_public(tmp_path: Path) -> None:
    state = saved_state(tmp_path / "state")
    state.key.with_suffix(".pub").write_text("ssh-ed25519 AAAAk modskel-vm12\n\n", encoding="utf-8")
    assert state.public() == "ssh-ed25519 AAAAk modskel-vm12"


def test_saved_incoming(tmp_path: Path) -> None:
    state, sock = Saved(tmp_path / "states" / "vm12-abc"), tmp_path / "vm.qmp"
    assert state.incoming(sock) == [
        "-incoming", f"exec:cat {state.memory}",
        "-qmp", f"unix:{sock},server=on,wait=off",
    ]  # fmt: skip


def test_saved_incoming_quotes_the_path(tmp_path: Path) -> None:
    state = Saved(tmp_path / "it's a $HOME; rm -rf")
    load = state.incoming(tmp_path / "vm.qmp")[1]
    assert load == f"exec:cat '{tmp_path}/it'\"'\"'s a $HOME; rm -rf/memory.state'"
    assert shlex.split(load.removeprefix("exec:")) == ["cat", str(state.memory)]  # qemu's sh -c


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (f"{QEMU_VERSION}\nCopyright (c) 2003-2023 Fabrice Bellard", QEMU_VERSION),
        ("  QEMU emulator version 9.1.0  \n", "QEMU emulator version 9.1.0"),
        ("", "unknown"),
        ("\nQEMU emulator version 9.1.0\n", "unknown"),
    ],
    ids=["first-line", "stripped", "no-output", "first-line-empty"],
)
def test_qemu_version(fake_bin: FakeBin, output: str, expected: str) -> None:
    fake_bin.add(qemu.QEMU, f"printf '%s' {shlex.quote(output)}")
    assert resume.qemu_version() == expected
    assert fake_bin.calls() == [f"{qemu.QEMU} --version"]


@pytest.fixture
def image(vm_guest_tools: FakeBin, tmp_path: Path) -> Boot:  # noqa: ARG001 - qemu --version
    """A disk and kernel to boot (the VM tools faked, TCG)."""
    disk = tmp_path / "disk.raw"
    disk.write_bytes(b"disk")
    return Boot(disk, tmp_path / "vmlinuz")


def test_state_for(image: Boot, tmp_path: Path) -> None:
    state = resume.state_for(image, "vm12")
    assert state.folder.parent == tmp_path / "cache" / "vm-states"  # the (sealed) cache
    name, digest = state.folder.name.rsplit("-", 1)
    assert name == "vm12"
    assert len(digest) == 12
    assert int(digest, 16) >= 0
    assert resume.state_for(image, "vm12") == state  # the same inputs: the same state
    (tmp_path / "link.raw").symlink_to(image.disk)  # the same file by another name
    assert resume.state_for(Boot(tmp_path / "link.raw", image.kernel), "vm12") == state


def _change(what: str, image: Boot, monkeypatch: pytest.MonkeyPatch, fake_bin: FakeBin) -> Boot:
    """Change one input of ``state_for``; return the image to ask about."""
    if what == "memory":
        monkeypatch.setenv(qemu.MEMORY_VAR, "2048")
    elif what == "cpus":
        monkeypatch.setenv(qemu.CPUS_VAR, "3")
    elif what == "accelerator":
        monkeypatch.setenv(qemu.ACCEL_VAR, "kvm")
    elif what == "disk-mtime":
        mtime = image.disk.stat().st_mtime_ns
        os.utime(image.disk, ns=(mtime, mtime + 1))
    elif what == "disk-size":
        mtime = image.disk.stat().st_mtime_ns
        image.disk.write_bytes(b"disk2")
        os.utime(image.disk, ns=(mtime, mtime))
    elif what == "qemu-version":
        fake_bin.add(qemu.QEMU, "echo 'QEMU emulator version 9.1.0'")
    elif what == "kernel":
        return Boot(image.disk, image.disk.with_name("vmlinuz-6.12"))
    return image


@pytest.mark.parametrize(
    "what",
    ["memory", "cpus", "accelerator", "disk-mtime", "disk-size", "qemu-version", "kernel"],
)
def test_state_for_changes_with(
    image: Boot, monkeypatch: pytest.MonkeyPatch, fake_bin: FakeBin, what: str
) -> None:
    before = resume.state_for(image, "vm12")
    after = resume.state_for(_change(what, image, monkeypatch, fake_bin), "vm12")
    assert after != before
    assert after.folder.parent == before.folder.parent
    assert after.folder.name.startswith("vm12-")


def test_state_for_changes_with_the_hostname(image: Boot) -> None:
    vm12, vm13 = resume.state_for(image, "vm12"), resume.state_for(image, "vm13")
    assert vm13.folder.name.startswith("vm13-")
    assert vm12.folder.name.split("-")[1] != vm13.folder.name.split("-")[1]  # in the command too


def test_qmp(short_dir: Path, qmp_server: QmpServer) -> None:
    server = qmp_server(short_dir / "vm.qmp")
    server.answer("qmp_capabilities", {"event": "NIC_RX_FILTER_CHANGED"}, {"return": {}})
    server.answer("query-status", {"event": "STOP"}, {"event": "RESUME"}, RUNNING)
    server.answer("query-name", {"return": {"name": "vm12"}})
    answers = resume.qmp(
        short_dir / "vm.qmp", {"execute": "query-status"}, {"execute": "query-name"}
    )
    assert answers == [RUNNING, {"return": {"name": "vm12"}}]
    assert server.received == [
        {"execute": "qmp_capabilities"}, {"execute": "query-status"}, {"execute": "query-name"},
    ]  # fmt: skip


def test_qmp_without_qemu(short_dir: Path) -> None:
    with pytest.raises(FileNotFoundError):
        resume.qmp(short_dir / "vm.qmp", {"execute": "query-status"})


def _migrating(server: FakeQmp, *states: dict[str, Any]) -> None:
    """Script a migration: accepted, then ``query-migrate`` answers ``states`` in turn."""
    server.answer("migrate", {"return": {}})
    for state in states:
        server.answer("query-migrate", {"return": state})


def test_migrate(short_dir: Path, qmp_server: QmpServer, clock: Clock, tmp_path: Path) -> None:
    server = qmp_server(short_dir / "vm.qmp")
    _migrating(server, {}, {"status": "active"}, {"status": "completed", "total-time": 812})
    memory = tmp_path / "a state" / "memory.state"
    resume.migrate(short_dir / "vm.qmp", memory)
    assert server.received[1] == {
        "execute": "migrate", "arguments": {"uri": f"exec:cat > '{memory}'"},
    }  # fmt: skip
    assert server.commands()[2:] == ["qmp_capabilities", "query-migrate"] * 3
    assert clock.sleeps == [0.2, 0.2]


@pytest.mark.parametrize(
    ("state", "why"),
    [
        ({"status": "failed", "error-desc": "Unable to write to command: Broken pipe"},
         "Unable to write to command: Broken pipe"),
        ({"status": "failed"}, "failed"),
        ({"status": "cancelled"}, "cancelled"),
    ],
    ids=["failed-with-error", "failed", "cancelled"],
)  # fmt: skip
def test_migrate_fails(
    short_dir: Path,
    qmp_server: QmpServer,
    clock: Clock,
    state: dict[str, str],
    why: str,
) -> None:
    _migrating(qmp_server(short_dir / "vm.qmp"), {"status": "active"}, state)
    memory = short_dir / "memory.state"
    expected = (
        f"could not save the guest to {memory}: {why}; set MODSKEL_VM_RESUME=0 to boot every time"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        resume.migrate(short_dir / "vm.qmp", memory)
    assert clock.sleeps == [0.2]  # no waiting after it failed


@pytest.mark.parametrize("timeout", [1.0, 0.0], ids=["still-active", "no-time"])
def test_migrate_times_out(
    short_dir: Path, qmp_server: QmpServer, clock: Clock, tmp_path: Path, timeout: float
) -> None:
    server = qmp_server(short_dir / "vm.qmp")
    _migrating(server, {"status": "active"})
    memory = tmp_path / "memory.state"
    expected = (
        f"could not save the guest to {memory}: not done in {timeout:.0f} s; "
        "set MODSKEL_VM_RESUME=0 to boot every time"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        resume.migrate(short_dir / "vm.qmp", memory, timeout=timeout)
    assert sum(clock.sleeps) == pytest.approx(timeout)
    assert server.commands().count("query-migrate") == len(clock.sleeps)


class FakeProc:
    """A qemu process: running (None) or exited (its code)."""

    def __init__(self, returncode: int | None = None) -> None:
        self.returncode = returncode

    def poll(self) -> int | None:
        return self.returncode


def _popen(returncode: int | None = None) -> subprocess.Popen[bytes]:
    return cast("subprocess.Popen[bytes]", FakeProc(returncode))


def test_wait_loaded(short_dir: Path, qmp_server: QmpServer, clock: Clock) -> None:
    server = qmp_server(short_dir / "vm.qmp")
    server.answer("query-status", INMIGRATE)
    server.answer("query-status", {"error": {"class": "GenericError", "desc": "busy"}})
    server.answer("query-status", {"event": "RESUME"}, RUNNING)
    Saved(Path("vm12-abc")).wait_loaded(short_dir / "vm.qmp", _popen())
    assert server.commands() == ["qmp_capabilities", "query-status"] * 3
    assert clock.sleeps == [0.05, 0.05]


def test_wait_loaded_until_qemu_listens(
    short_dir: Path, qmp_server: QmpServer, clock: Clock
) -> None:
    servers: list[FakeQmp] = []

    def qemu_listens() -> None:
        if not servers:
            servers.append(qmp_server(short_dir / "vm.qmp").answer("query-status", RUNNING))

    clock.on_sleep = qemu_listens
    Saved(Path("vm12-abc")).wait_loaded(short_dir / "vm.qmp", _popen())
    assert clock.sleeps == [0.05]  # no socket at first
    assert servers[0].commands() == ["qmp_capabilities", "query-status"]


def test_wait_loaded_qemu_exits(short_dir: Path, qmp_server: QmpServer, clock: Clock) -> None:
    proc = FakeProc()
    server = qmp_server(short_dir / "vm.qmp").answer("query-status", INMIGRATE)
    clock.on_sleep = lambda: setattr(proc, "returncode", 1)
    with pytest.raises(
        SetupError, match=exactly("the saved guest vm12-abc did not resume (qemu: 1)")
    ):
        Saved(Path("states") / "vm12-abc").wait_loaded(
            short_dir / "vm.qmp", cast("subprocess.Popen[bytes]", proc)
        )
    assert server.commands() == ["qmp_capabilities", "query-status"]  # asked once


def test_wait_loaded_times_out(short_dir: Path, qmp_server: QmpServer, clock: Clock) -> None:
    qmp_server(short_dir / "vm.qmp").answer("query-status", INMIGRATE)
    with pytest.raises(
        SetupError, match=exactly("the saved guest vm12-abc did not resume (qemu: None)")
    ):
        Saved(Path("vm12-abc")).wait_loaded(short_dir / "vm.qmp", _popen(), timeout=0.475)
    assert clock.sleeps == [0.05] * 10


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A session's work folder."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def migrations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, Path]]:
    """``resume.migrate``, faked (it writes the memory file); return its calls."""
    calls: list[tuple[Path, Path]] = []

    def migrate(sock: Path, memory: Path) -> None:
        calls.append((sock, memory))
        memory.write_text("memory\n", encoding="utf-8")

    monkeypatch.setattr(resume, "migrate", migrate)
    return calls


def test_save(
    image: Boot,
    work: Path,
    fake_bin: FakeBin,
    qemus: Launched,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pin_qmp(monkeypatch, work / "qmp.sock")
    state = resume.state_for(image, "vm12")
    partial = state.folder.with_name(f"{state.folder.name}.{os.getpid()}.partial")
    partial.mkdir(parents=True)
    (partial / "left-over").touch()  # by a run of the same pid that died
    seen: list[list[str]] = []

    def migrate(sock: Path, memory: Path) -> None:
        assert sock == work / "qmp.sock"
        assert memory == partial / "memory.state"
        assert not state.folder.exists()  # nothing at the state's name while it is written
        assert qemus[-1].poll() is None  # the guest runs while it is saved
        seen.append(sorted(path.name for path in partial.iterdir()))
        memory.write_text("memory\n", encoding="utf-8")

    monkeypatch.setattr(resume, "migrate", migrate)
    resume.save(image, "vm12", state, work)
    assert seen == [["disk.qcow2", "id_ed25519", "id_ed25519.pub", "seed.iso"]]
    assert state.ready
    assert sorted(path.name for path in state.folder.iterdir()) == [
        "disk.qcow2", "id_ed25519", "id_ed25519.pub", "memory.state", "seed.iso", "state.json",
    ]  # fmt: skip
    assert list(state.folder.parent.iterdir()) == [state.folder]  # no partial folder left
    assert json.loads((state.folder / "state.json").read_text()) == {"disk": str(image.disk)}
    assert state.public() == "ssh-ed25519 AAAAfake modskel-vm12"
    assert fake_bin.calls("ssh-keygen") == [
        f"ssh-keygen -q -t ed25519 -N  -C modskel-vm12 -f {partial / 'id_ed25519'}"
    ]
    assert f"-b {image.disk.resolve()} {partial / 'disk.qcow2'}" in fake_bin.calls("qemu-img")[-1]
    started = fake_bin.calls(qemu.QEMU)[-1]
    assert "-name modskel-save-vm12 " in started
    assert "modskel.ssh_key=ssh-ed25519:AAAAfake systemd.hostname=vm12" in started
    assert f"-drive file={partial / 'disk.qcow2'},if=virtio" in started
    assert started.endswith(f" -qmp unix:{work / 'qmp.sock'},server=on,wait=off")
    config = work / "save" / "ssh_config"
    assert fake_bin.calls("ssh") == [
        f"ssh -F {config} vm12 true",
        f"ssh -F {config} vm12 {resume.SETTLE}",
    ]
    assert f"IdentityFile {partial / 'id_ed25519'}" in config.read_text(encoding="utf-8")
    assert [proc.returncode for proc in qemus] == [-signal.SIGTERM]  # halted
    assert qemu._LIVE == {}


def test_save_when_another_run_saved_first(
    image: Boot, work: Path, qemus: Launched, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = resume.state_for(image, "vm12")

    def migrate(_sock: Path, memory: Path) -> None:
        memory.write_text("ours\n", encoding="utf-8")
        saved_state(state.folder)  # another run (or worker) finished first
        state.memory.write_text("theirs\n", encoding="utf-8")

    monkeypatch.setattr(resume, "migrate", migrate)
    resume.save(image, "vm12", state, work)
    assert state.ready
    assert state.memory.read_text(encoding="utf-8") == "theirs\n"  # the first state is kept
    assert list(state.folder.parent.iterdir()) == [state.folder]  # ours is removed
    assert [proc.returncode for proc in qemus] == [-signal.SIGTERM]


def test_save_halts_qemu_when_it_cannot_save(
    image: Boot, work: Path, qemus: Launched, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = resume.state_for(image, "vm12")
    expected = f"could not save the guest to {state.memory}: failed; set MODSKEL_VM_RESUME=0"

    def migrate(_sock: Path, _memory: Path) -> None:
        raise SetupError(expected)

    monkeypatch.setattr(resume, "migrate", migrate)
    with pytest.raises(SetupError, match=exactly(expected)):
        resume.save(image, "vm12", state, work)
    assert [proc.returncode for proc in qemus] == [-signal.SIGTERM]
    assert qemu._LIVE == {}
    assert not state.ready
    assert not state.folder.exists()
    assert list(state.folder.parent.iterdir()) == []  # no half state left behind


def test_migrate_when_qemu_is_gone(short_dir: Path) -> None:
    memory = short_dir / "memory.state"
    expected = (
        f"could not save the guest to {memory}: qemu did not answer ([Errno 2] No such file or "
        "directory); set MODSKEL_VM_RESUME=0 to boot every time"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        resume.migrate(short_dir / "vm.qmp", memory)


def test_prepare_saves_once(
    image: Boot,
    short_dir: Path,
    qmp_server: QmpServer,
    qemus: Launched,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pin_qmp(monkeypatch, short_dir / "qmp.sock")
    server = qmp_server(short_dir / "qmp.sock")  # the saving qemu's QMP
    _migrating(server, {"status": "completed"})
    state = resume.prepare(image, "vm12", short_dir)
    assert state == resume.state_for(image, "vm12")
    assert state.ready
    uri = server.received[1]["arguments"]["uri"]
    assert uri == f"exec:cat > {state.folder}.{os.getpid()}.partial/memory.state"
    assert [proc.returncode for proc in qemus] == [-signal.SIGTERM]
    assert resume.prepare(image, "vm12", short_dir) == state  # ready: not saved again
    assert len(qemus) == 1
    assert len(server.received) == 4  # migrate, query-migrate: each after qmp_capabilities


@pytest.mark.usefixtures("migrations")
def test_prepare_ready(image: Boot, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = saved_state(resume.state_for(image, "vm12").folder)
    monkeypatch.setattr(resume, "save", lambda *_: pytest.fail("a ready state is not saved"))
    assert resume.prepare(image, "vm12", work) == state


def test_prepare_not_ready(image: Boot, work: Path, migrations: list[tuple[Path, Path]]) -> None:
    state = resume.state_for(image, "vm12")
    state.folder.mkdir(parents=True)  # an empty folder without its mark: not ready
    assert resume.prepare(image, "vm12", work) == state
    assert len(migrations) == 1
    assert state.ready  # saved in its place


def test_forget(tmp_path: Path) -> None:
    state = saved_state(tmp_path / "states" / "vm12-abc")
    resume.forget(state)
    assert not state.folder.exists()
    assert (tmp_path / "states").is_dir()
    resume.forget(state)  # already gone: nothing raised


def test_prune_removes_states_of_images_that_are_gone(tmp_path: Path) -> None:
    image = tmp_path / "disk.raw"
    image.touch()
    states = tmp_path / "vm-states"
    for name, disk in (("kept", image), ("gone", tmp_path / "old" / "disk.raw")):
        (states / name).mkdir(parents=True)
        (states / name / "state.json").write_text(json.dumps({"disk": str(disk)}) + "\n")
    for name, text in (("broken", "not json"), ("no-disk", "{}"), ("a-list", "[]")):
        (states / name).mkdir()
        (states / name / "state.json").write_text(f"{text}\n", encoding="utf-8")
    (states / "saving.123.partial").mkdir()  # no mark yet: another run is saving it
    resume.prune(states)
    left = sorted(p.name for p in states.iterdir())
    assert left == ["a-list", "broken", "kept", "no-disk", "saving.123.partial"]
