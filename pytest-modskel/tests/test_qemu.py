"""The qemu driver: acceleration, sizes, images, the command line, boot and stop (all faked)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, cast

import pycdlib
import pytest
from conftest import (
    FAKE_QEMU,
    QEMU_IMG,
    Clock,
    FakeBin,
    FakeQmp,
    Launched,
    exactly,
    pin_qmp,
    saved_state,
)
from pytest_modskel.drivers import qemu, resume
from pytest_modskel.drivers.base import Session
from pytest_modskel.drivers.qemu import Boot
from pytest_modskel.drivers.ssh import Address, SshTarget
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.images import debootstrap
from pytest_modskel.images.vm import BuiltImage
from pytest_modskel.platforms import Platform

TCG_WHY = "no hardware-backed KVM: no kvm_intel/kvm_amd module or /dev/kvm not writable"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("kvm", ("kvm", "MODSKEL_VM_ACCEL=kvm")), (" TCG ", ("tcg", "MODSKEL_VM_ACCEL=tcg"))],
    ids=["kvm", "tcg-any-case"],
)
def test_accel_forced(value: str, expected: tuple[str, str]) -> None:
    assert qemu.accel({qemu.ACCEL_VAR: value}) == expected


@pytest.mark.parametrize("value", ["hvf", "xen"], ids=["hvf", "xen"])
def test_accel_unknown(value: str) -> None:
    with pytest.raises(
        ConfigError,
        match=rf"^MODSKEL_VM_ACCEL='{value}' is not an accelerator: set it to kvm or tcg, "
        r"or unset it$",
    ):
        qemu.accel({qemu.ACCEL_VAR: value})


class _FakeModules:
    """Stands in for ``Path`` in ``accel``: these /sys/module entries exist."""

    present: ClassVar[set[str]] = set()

    def __init__(self, path: str) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.removeprefix("/sys/module/") in self.present


@pytest.mark.parametrize(
    ("modules", "writable", "expected"),
    [
        ({"kvm_intel"}, True, ("kvm", "hardware-backed /dev/kvm")),
        ({"kvm_amd"}, True, ("kvm", "hardware-backed /dev/kvm")),
        ({"kvm_pvm"}, True, ("tcg", TCG_WHY)),
        ({"kvm_intel"}, False, ("tcg", TCG_WHY)),
        (set(), False, ("tcg", TCG_WHY)),
    ],
    ids=["intel", "amd", "paravirtual-only", "kvm-not-writable", "no-kvm"],
)
@pytest.mark.parametrize("env", [{}, {qemu.ACCEL_VAR: "auto"}], ids=["unset", "auto"])
def test_accel_auto(
    monkeypatch: pytest.MonkeyPatch,
    modules: set[str],
    writable: bool,  # noqa: FBT001
    expected: tuple[str, str],
    env: dict[str, str],
) -> None:
    monkeypatch.setattr(_FakeModules, "present", modules)
    monkeypatch.setattr(qemu, "Path", _FakeModules)
    monkeypatch.setattr(os, "access", lambda path, _mode: writable and path == "/dev/kvm")
    assert qemu.accel(env) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", 7.0), ("2048", 2048.0), (" 1.5 ", 1.5)],
    ids=["unset", "int", "float"],
)
def test_number(raw: str, expected: float) -> None:
    assert qemu._number({"X": raw}, "X", 7) == expected
    assert qemu._number({}, "X", 7) == 7


@pytest.mark.parametrize(
    "raw",
    ["abc", "0", "-5", "2G", "inf", "nan"],
    ids=["word", "zero", "negative", "unit", "infinite", "not-a-number"],
)
def test_number_rejects(raw: str) -> None:
    with pytest.raises(
        ConfigError, match=rf"^MODSKEL_VM_MEMORY='{raw}' is not a positive number: fix or unset it$"
    ):
        qemu._number({qemu.MEMORY_VAR: raw}, qemu.MEMORY_VAR, 1024)


def _option(cmd: list[str], flag: str) -> list[str]:
    """Return the values that follow each ``flag`` in ``cmd``."""
    return [cmd[i + 1] for i, arg in enumerate(cmd) if arg == flag]


def test_qemu_command_tcg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(qemu.ACCEL_VAR, "tcg")
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    overlay, seed = tmp_path / "vm.qcow2", tmp_path / "seed.iso"
    cmd = qemu.qemu_command(Boot(tmp_path / "disk.qcow2"), overlay, seed, 2222, "modskel-x")
    assert cmd[:10] == ["qemu-system-x86_64", "-name", "modskel-x", "-machine", "q35",
                        "-m", "1024", "-smp", "2", "-accel"]  # fmt: skip
    assert _option(cmd, "-accel") == ["tcg,thread=multi"]
    assert "-cpu" not in cmd
    assert _option(cmd, "-drive") == [
        f"file={overlay},if=virtio,format=qcow2",
        f"file={seed},if=virtio,format=raw,readonly=on",
    ]
    assert _option(cmd, "-netdev") == ["user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22"]
    assert _option(cmd, "-serial") == [f"file:{tmp_path / 'vm.console'}"]
    assert "-kernel" not in cmd


def test_qemu_command_kvm_sizes_and_kernel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(qemu.ACCEL_VAR, "kvm")
    monkeypatch.setenv(qemu.MEMORY_VAR, "4096")
    monkeypatch.setenv(qemu.CPUS_VAR, "3")
    boot = Boot(tmp_path / "disk.raw", tmp_path / "vmlinuz", tmp_path / "initrd.img")
    cmd = qemu.qemu_command(boot, tmp_path / "o.qcow2", tmp_path / "s.iso", 1, "n")
    assert (_option(cmd, "-m"), _option(cmd, "-smp")) == (["4096"], ["3"])
    assert (_option(cmd, "-accel"), _option(cmd, "-cpu")) == (["kvm"], ["host"])
    assert _option(cmd, "-kernel") == [str(tmp_path / "vmlinuz")]
    assert _option(cmd, "-append") == ["root=/dev/vda rw console=ttyS0"]
    assert _option(cmd, "-initrd") == [str(tmp_path / "initrd.img")]


def test_kernel_args_carry_the_key_and_host_name() -> None:
    args = qemu.kernel_args("ssh-ed25519 AAAAC3Nza/+x= modskel-web-vm12-1", "vm12")
    assert args == "modskel.ssh_key=ssh-ed25519:AAAAC3Nza/+x= systemd.hostname=vm12"


def test_qemu_command_appends_kernel_args(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(qemu.ACCEL_VAR, "tcg")
    boot = Boot(Path("d"), Path("k"))
    cmd = qemu.qemu_command(boot, Path("o"), Path("s"), 1, "n", extra="systemd.hostname=vm")
    assert _option(cmd, "-append") == ["root=/dev/vda rw console=ttyS0 systemd.hostname=vm"]


def test_qemu_command_kernel_without_initrd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(qemu.ACCEL_VAR, "tcg")
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    cmd = qemu.qemu_command(Boot(Path("d"), Path("k")), Path("o"), Path("s"), 1, "n")
    assert _option(cmd, "-kernel") == ["k"]
    assert "-initrd" not in cmd
    assert _option(cmd, "-smp") == ["1"]


def test_qemu_command_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(qemu.ACCEL_VAR, "tcg")
    monkeypatch.setenv(qemu.CPUS_VAR, "many")
    with pytest.raises(ConfigError, match=r"^MODSKEL_VM_CPUS='many' is not a positive number"):
        qemu.qemu_command(Boot(Path("d")), Path("o"), Path("s"), 1, "n")


def _vm(image: str, *, kernel: str = "", initrd: str = "") -> Platform:
    return Platform("vm12", image, kind="vm", systemd=True, kernel=kernel, initrd=initrd)


def test_resolve_paths(tmp_path: Path) -> None:
    for name in ("disk.qcow2", "vmlinuz", "initrd.img"):
        (tmp_path / name).touch()
    platform = _vm(
        str(tmp_path / "disk.qcow2"),
        kernel=str(tmp_path / "vmlinuz"),
        initrd=str(tmp_path / "initrd.img"),
    )
    assert qemu.resolve(platform) == Boot(
        tmp_path / "disk.qcow2", tmp_path / "vmlinuz", tmp_path / "initrd.img"
    )
    assert qemu.resolve(_vm(str(tmp_path / "disk.qcow2"))) == Boot(tmp_path / "disk.qcow2")


def test_resolve_expands_the_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "disk.raw").touch()
    assert qemu.resolve(_vm("~/disk.raw")).disk == tmp_path / "disk.raw"


@pytest.mark.parametrize("missing", ["disk.qcow2", "vmlinuz", "initrd.img"])
def test_resolve_missing_file(tmp_path: Path, missing: str) -> None:
    for name in {"disk.qcow2", "vmlinuz", "initrd.img"} - {missing}:
        (tmp_path / name).touch()
    platform = _vm(
        str(tmp_path / "disk.qcow2"),
        kernel=str(tmp_path / "vmlinuz"),
        initrd=str(tmp_path / "initrd.img"),
    )
    expected = (
        f"VM image file {tmp_path / missing} of vm12 not found: fix the path in "
        "[tool.modskel.platforms] of pyproject.toml or use built:<suite>"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        qemu.resolve(platform)


def test_resolve_built_image() -> None:
    with pytest.raises(
        SetupError,
        match=r"^VM image built:bookworm of vm12 is not built: run `tox -e vm-image`$",
    ):
        qemu.resolve(_vm("built:bookworm"))
    built = BuiltImage.of("bookworm")
    built.disk.parent.mkdir(parents=True)
    for path in (built.disk, built.kernel, built.initrd):
        path.touch()
    assert qemu.resolve(_vm("built:bookworm")) == Boot(built.disk, built.kernel, built.initrd)


def test_resolve_downloads_once(tmp_path: Path) -> None:
    source = tmp_path / "served" / "debian-12.qcow2"
    source.parent.mkdir()
    source.write_bytes(b"QFI\xfb disk")
    boot = qemu.resolve(_vm(source.as_uri()))
    assert boot.disk.parent == debootstrap.CACHE / "vm-downloads"
    assert boot.disk.name.endswith("-debian-12.qcow2")
    assert boot.disk.read_bytes() == b"QFI\xfb disk"
    assert not list(boot.disk.parent.glob("*.partial"))
    source.unlink()  # the cached copy is used from now on
    assert qemu.resolve(_vm(source.as_uri())) == boot


def test_resolve_download_fails(tmp_path: Path) -> None:
    url = (tmp_path / "nowhere.qcow2").as_uri()
    with pytest.raises(
        SetupError,
        match=rf"^could not download VM image {url} \(.+\): "
        r"download it and set `image` to its path$",
    ):
        qemu.resolve(_vm(url))


@pytest.fixture
def vm_tools(fake_bin: FakeBin) -> FakeBin:
    """Fake qemu, qemu-img, ssh and ssh-keygen on PATH."""
    for tool in (qemu.QEMU, "qemu-img", "ssh", "ssh-keygen"):
        fake_bin.add(tool)
    return fake_bin


def test_preflight(vm_tools: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    qemu.preflight([])
    monkeypatch.setenv(qemu.ACCEL_VAR, "tcg")
    (tmp_path / "disk.raw").touch()
    qemu.preflight([_vm(str(tmp_path / "disk.raw"))])
    assert vm_tools.calls() == []  # found on PATH, none run
    with pytest.raises(SetupError, match=r"^VM image file .*nowhere.raw of vm12 not found"):
        qemu.preflight([_vm(str(tmp_path / "disk.raw")), _vm(str(tmp_path / "nowhere.raw"))])
    monkeypatch.setenv(qemu.ACCEL_VAR, "whpx")
    with pytest.raises(ConfigError, match=r"^MODSKEL_VM_ACCEL='whpx' is not an accelerator"):
        qemu.preflight([_vm(str(tmp_path / "disk.raw"))])


@pytest.mark.parametrize(
    ("tool", "package"),
    [("qemu-system-x86_64", "qemu-system-x86"), ("qemu-img", "qemu-utils"),
     ("ssh", "openssh-client"), ("ssh-keygen", "openssh-client")],
    ids=["qemu", "qemu-img", "ssh", "ssh-keygen"],
)  # fmt: skip
def test_preflight_missing_tool(vm_tools: FakeBin, tool: str, package: str) -> None:
    (vm_tools.folder / tool).unlink()
    with pytest.raises(
        SetupError,
        match=rf"^{tool} is not installed, needed for VM platforms: apt-get install {package}$",
    ):
        qemu.preflight([_vm("disk.raw")])


def test_free_port() -> None:
    port = qemu.free_port()
    assert 0 < port < 65536
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_seed_iso(tmp_path: Path) -> None:
    seed = tmp_path / "seed.iso"
    qemu.seed_iso(seed, "ssh-ed25519 AAAAkey modskel", "vm12")
    iso = pycdlib.PyCdlib()
    iso.open(str(seed))
    try:
        assert iso.pvd.volume_identifier.decode().strip() == "cidata"
        files = {}
        for name in ("user-data", "meta-data"):
            out = tmp_path / name
            iso.get_file_from_iso(str(out), rr_path=f"/{name}")
            files[name] = out.read_text(encoding="utf-8")
    finally:
        iso.close()
    head, _, body = files["user-data"].partition("\n")
    assert head == "#cloud-config"
    assert json.loads(body)["ssh_authorized_keys"] == ["ssh-ed25519 AAAAkey modskel"]
    assert files["meta-data"] == "instance-id: seed\nlocal-hostname: vm12\n"


def test_make_overlay(fake_bin: FakeBin, tmp_path: Path) -> None:
    fake_bin.add("qemu-img", QEMU_IMG)
    base, overlay = tmp_path / "disk.raw", tmp_path / "vm.qcow2"
    qemu.make_overlay(base, overlay)
    assert overlay.exists()
    assert fake_bin.calls() == [
        f"qemu-img info --output=json {base}",
        f"qemu-img create -q -f qcow2 -F raw -b {base.resolve()} {overlay}",
    ]


def test_make_overlay_of_a_broken_image_is_one_line(fake_bin: FakeBin, tmp_path: Path) -> None:
    fake_bin.add("qemu-img", "echo \"qemu-img: Could not open 'x': Image is corrupt\" >&2; exit 1")
    base = tmp_path / "disk.raw"
    with pytest.raises(
        SetupError,
        match=exactly(
            f"could not read the disk image {base}: qemu-img: Could not open 'x': Image is corrupt"
        ),
    ):
        qemu.make_overlay(base, tmp_path / "vm.qcow2")


def test_tail(tmp_path: Path) -> None:
    console = tmp_path / "vm.console"
    assert qemu._tail(console) == "nothing"
    console.write_bytes(b"Booting\n\xff login: \n\n")
    assert qemu._tail(console) == "\ufffd login:"
    console.write_text("x" * 500, encoding="utf-8")
    assert qemu._tail(console) == "x" * 200


NO_PID = 2**22 + 1  # above the largest pid_max Linux allows: never a process


class FakeProc:
    """A qemu process that has exited (``returncode``) or keeps running (None).

    A running one ends on SIGTERM, unless it ``lingers``: then only SIGKILL ends it.
    """

    def __init__(self, returncode: int | None = None, *, lingers: bool = False) -> None:
        self.returncode = returncode
        self.lingers = lingers
        self.pid = NO_PID
        self.terminated = self.killed = False

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self.terminated and not self.lingers:
            self.returncode = -15
        if self.returncode is None:
            raise subprocess.TimeoutExpired(["qemu"], timeout or 0)
        return self.returncode

    def terminate(self) -> None:
        self.terminated = True

    def kill(self) -> None:
        self.killed, self.returncode = True, -9


def _popen(proc: FakeProc) -> subprocess.Popen[bytes]:
    return cast("subprocess.Popen[bytes]", proc)


@pytest.fixture
def guest(tmp_path: Path) -> SshTarget:
    return SshTarget.configured("vm12", Address("127.0.0.1", "root", 2222), tmp_path)


def test_wait_until_up(fake_bin: FakeBin, guest: SshTarget, tmp_path: Path) -> None:
    fake_bin.add("ssh")
    log = tmp_path / "vm.log"
    log.touch()
    assert 0 <= qemu.wait_until_up(_popen(FakeProc()), guest, log, tmp_path / "c") < 5


def test_wait_until_up_qemu_exits(guest: SshTarget, tmp_path: Path) -> None:
    log = tmp_path / "vm.log"
    log.write_text("qemu-system-x86_64: -drive file=x: Could not open 'x'\n", encoding="utf-8")
    with pytest.raises(
        SetupError,
        match=r"^qemu exited \(1\) while booting vm12: qemu-system-x86_64: -drive file=x: "
        r"Could not open 'x'$",
    ):
        qemu.wait_until_up(_popen(FakeProc(1)), guest, log, tmp_path / "c")


def test_wait_until_up_kvm_crash(guest: SshTarget, tmp_path: Path) -> None:
    log = tmp_path / "vm.log"
    log.write_text("error: KVM internal error. Suberror: 1\n", encoding="utf-8")
    with pytest.raises(
        SetupError,
        match=r"^the guest vm12 crashed under KVM \(KVM internal error\): "
        r"set MODSKEL_VM_ACCEL=tcg$",
    ):
        qemu.wait_until_up(_popen(FakeProc()), guest, log, tmp_path / "c")


def test_wait_until_up_timeout(
    fake_bin: FakeBin, guest: SshTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_bin.add("ssh", "echo 'Connection refused' >&2; exit 255")
    monkeypatch.setenv(qemu.TIMEOUT_VAR, "0.05")
    monkeypatch.setenv(qemu.ACCEL_VAR, "tcg")
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    log, console = tmp_path / "vm.log", tmp_path / "vm.console"
    log.touch()
    console.write_text("[  OK  ] Reached target Basic System.\n", encoding="utf-8")
    expected = (
        "vm12: no ssh after 0 s (tcg); last console line: [  OK  ] Reached target Basic System.: "
        "raise MODSKEL_VM_BOOT_TIMEOUT or check that the image boots"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        qemu.wait_until_up(_popen(FakeProc()), guest, log, console)
    assert fake_bin.calls("ssh")


@pytest.mark.parametrize("interval", [None, 0.2], ids=["default-1s", "resumed-0.2s"])
def test_wait_until_up_polls_at_the_interval(
    fake_bin: FakeBin,
    guest: SshTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    interval: float | None,
) -> None:
    tries = tmp_path / "tries"
    tries.write_text("0\n", encoding="utf-8")
    fake_bin.add(
        "ssh", f"read -r n < '{tries}'; echo $((n + 1)) > '{tries}'; [ $n -ge 2 ] || exit 255"
    )
    monkeypatch.setenv(qemu.TIMEOUT_VAR, "10")  # a fake that never logs in fails at once
    clock = Clock()
    monkeypatch.setattr(qemu, "time", clock)  # this module's only: subprocess sleeps too
    log = tmp_path / "vm.log"
    log.touch()
    proc = _popen(FakeProc())
    if interval is None:
        qemu.wait_until_up(proc, guest, log, tmp_path / "c")
    else:
        qemu.wait_until_up(proc, guest, log, tmp_path / "c", interval)
    assert clock.sleeps == [interval or 1] * 2
    assert len(fake_bin.calls("ssh")) == 3


def test_stop_terminates_qemu(fake_bin: FakeBin, tmp_path: Path) -> None:
    proc, overlay = FakeProc(), tmp_path / "vm.qcow2"
    overlay.touch()
    qemu._LIVE[proc.pid] = overlay
    qemu.stop(_popen(proc), overlay)
    assert (proc.terminated, proc.killed, proc.returncode) == (True, False, -15)
    assert not overlay.exists()
    assert qemu._LIVE == {}
    assert fake_bin.calls() == []  # no ssh: nothing of the guest is kept, so no shutdown


def test_stop_kills_a_lingering_guest(fake_bin: FakeBin, tmp_path: Path) -> None:
    proc, overlay = FakeProc(lingers=True), tmp_path / "vm.qcow2"
    overlay.touch()
    qemu._LIVE[proc.pid] = overlay
    qemu.stop(_popen(proc), overlay)
    assert (proc.terminated, proc.killed, proc.returncode) == (True, True, -9)
    assert not overlay.exists()
    assert qemu._LIVE == {}
    assert fake_bin.calls() == []


def test_stop_exited_guest(tmp_path: Path) -> None:
    proc = FakeProc(0)
    qemu.stop(_popen(proc), tmp_path / "vm.qcow2")
    assert (proc.terminated, proc.killed, proc.returncode) == (False, False, 0)


def test_halt_keeps_the_overlay(tmp_path: Path) -> None:
    proc, overlay = FakeProc(), tmp_path / "vm.qcow2"
    overlay.touch()
    qemu._LIVE[proc.pid] = overlay
    qemu.halt(_popen(proc))
    assert proc.terminated
    assert overlay.exists()
    assert qemu._LIVE == {}


def test_remove_live(tmp_path: Path) -> None:
    proc = subprocess.Popen(["/bin/sleep", "30"])
    overlay = tmp_path / "vm.qcow2"
    overlay.touch()
    qemu._LIVE[proc.pid] = overlay
    qemu.DRIVER.remove_live()
    assert proc.wait(timeout=5) == -9
    assert not overlay.exists()
    assert qemu._LIVE == {}


def test_remove_live_gone(tmp_path: Path) -> None:
    overlay = tmp_path / "vm.qcow2"
    overlay.touch()
    qemu._LIVE[NO_PID] = overlay  # the guest died already: nothing raised
    qemu.remove_live()
    assert qemu._LIVE == {}
    assert not overlay.exists()


@pytest.fixture
def bootable(tmp_path: Path) -> Platform:
    """A VM platform whose disk exists."""
    disk = tmp_path / "disk.qcow2"
    disk.touch()
    return _vm(str(disk))


@pytest.mark.usefixtures("vm_guest_tools")
def test_booted(bootable: Platform, fake_bin: FakeBin, tmp_path: Path, qemus: Launched) -> None:
    work = tmp_path / "work"
    work.mkdir()
    session = Session("web", "run1", "abc123")
    with qemu.DRIVER.start(bootable, work, session) as target:  # not built: booted, not resumed
        assert isinstance(target, SshTarget)
        assert target.python == "/usr/bin/python3"
        assert target.address.key == str(work / "id_ed25519")
        assert target.address.host == "127.0.0.1"
        assert f"Port {target.address.port}" in target.ssh_config.read_text(encoding="utf-8")
        (pid, overlay), *_ = qemu._LIVE.items()
        assert overlay == work / "modskel-web-vm12-abc123.qcow2"
        assert overlay.exists()
    assert qemu._LIVE == {}
    assert not overlay.exists()
    assert (work / "seed.iso").stat().st_size > 0
    (started,) = fake_bin.calls(qemu.QEMU)
    assert "-name modskel-web-vm12-abc123" in started
    assert "-accel tcg,thread=multi" in started
    assert fake_bin.calls("ssh-keygen") == [
        f"ssh-keygen -q -t ed25519 -N  -C modskel-web-vm12-abc123 -f {work / 'id_ed25519'}"
    ]
    assert "-incoming" not in started
    assert fake_bin.calls("ssh") == [f"ssh -F {work / 'ssh_config'} vm12 true"]  # no poweroff
    assert [proc.returncode for proc in qemus] == [-signal.SIGTERM]  # qemu was ended
    assert not (debootstrap.CACHE / "vm-states").exists()  # nothing saved
    assert pid > 0


@pytest.mark.usefixtures("vm_guest_tools")
def test_booted_qemu_fails(
    bootable: Platform, fake_bin: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_bin.add(qemu.QEMU, "echo 'qemu-system-x86_64: failed to initialize kvm' >&2; exit 1")
    fake_bin.add("ssh", "exit 255")
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    with (
        pytest.raises(
            SetupError,
            match=r"^qemu exited \(1\) while booting vm12: "
            r"qemu-system-x86_64: failed to initialize kvm$",
        ),
        qemu.booted(bootable, tmp_path, Session("web", "run1", "abc123")),
    ):
        pytest.fail("a guest that never booted must not be yielded")
    assert qemu._LIVE == {}
    assert not (tmp_path / "modskel-web-vm12-abc123.qcow2").exists()


def test_driver() -> None:
    assert qemu.DRIVER.summary.startswith("a qemu virtual machine")
    assert qemu.DRIVER.start is qemu.booted


QmpServer = Callable[[Path], FakeQmp]
NAME = "modskel-web-vm12-abc123"
RUNNING = {"return": {"status": "running", "running": True}}


@pytest.fixture
def intervals(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The intervals ``start`` asks ``wait_until_up`` to poll ssh at."""
    asked: list[float] = []
    real = qemu.wait_until_up

    def recorded(
        proc: subprocess.Popen[bytes], target: SshTarget, log: Path, console: Path, interval: float
    ) -> float:
        asked.append(interval)
        return real(proc, target, log, console, interval)

    monkeypatch.setattr(qemu, "wait_until_up", recorded)
    return asked


@pytest.mark.usefixtures("vm_guest_tools")
def test_start_fresh(
    fake_bin: FakeBin, tmp_path: Path, short_dir: Path, intervals: list[float]
) -> None:
    disk = tmp_path / "disk.raw"
    proc, target = qemu.start(Boot(disk, tmp_path / "vmlinuz"), "vm12", NAME, short_dir)
    overlay = short_dir / f"{NAME}.qcow2"
    try:
        assert target.address.key == str(short_dir / "id_ed25519")
        assert target.python == "/usr/bin/python3"
        assert {proc.pid: overlay} == qemu._LIVE
    finally:
        qemu.stop(proc, overlay)
    assert (short_dir / "seed.iso").stat().st_size > 0
    assert fake_bin.calls("ssh-keygen") == [
        f"ssh-keygen -q -t ed25519 -N  -C {NAME} -f {short_dir / 'id_ed25519'}"
    ]
    assert f"-b {disk.resolve()} {overlay}" in fake_bin.calls("qemu-img")[-1]
    (started,) = fake_bin.calls(qemu.QEMU)
    assert "modskel.ssh_key=ssh-ed25519:AAAAfake systemd.hostname=vm12" in started
    assert f"-drive file={short_dir / 'seed.iso'},if=virtio" in started
    assert "-incoming" not in started
    assert "-qmp" not in started
    assert fake_bin.calls("ssh") == [f"ssh -F {short_dir / 'ssh_config'} vm12 true"]  # no clock set
    assert intervals == [1]


@pytest.mark.usefixtures("vm_guest_tools")
def test_start_resumed(  # noqa: PLR0913, PLR0917 - fixtures
    fake_bin: FakeBin,
    tmp_path: Path,
    short_dir: Path,
    qmp_server: QmpServer,
    intervals: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved = saved_state(tmp_path / "state")
    sock = short_dir / f"{NAME}.qmp"
    pin_qmp(monkeypatch, sock)
    guest = qmp_server(sock).answer("query-status", {"return": {"status": "inmigrate"}})
    guest.answer("query-status", {"event": "RESUME"}, RUNNING)
    before = time.time()
    proc, target = qemu.start(Boot(tmp_path / "disk.raw", tmp_path / "vmlinuz"), "vm12", NAME,
                              short_dir, saved)  # fmt: skip
    overlay = short_dir / f"{NAME}.qcow2"
    try:
        assert target.address.key == str(saved.key)
        assert {proc.pid: overlay} == qemu._LIVE
    finally:
        qemu.stop(proc, overlay)
    assert fake_bin.calls("ssh-keygen") == []  # the saved guest's key
    assert not (short_dir / "seed.iso").exists()
    assert f"-b {saved.disk.resolve()} {overlay}" in fake_bin.calls("qemu-img")[-1]
    (started,) = fake_bin.calls(qemu.QEMU)
    assert started.endswith(
        f" -incoming exec:cat {saved.memory} -qmp unix:{sock},server=on,wait=off"
    )
    assert "modskel.ssh_key=ssh-ed25519:AAAAsaved systemd.hostname=vm12" in started  # SAVED_KEY
    assert f"-drive file={saved.seed},if=virtio" in started
    assert guest.commands() == ["qmp_capabilities", "query-status"] * 2  # waited until running
    login, clock = fake_bin.calls("ssh")
    assert login == f"ssh -F {short_dir / 'ssh_config'} vm12 true"
    set_to = re.fullmatch(
        rf"ssh -F {short_dir}/ssh_config vm12 date -u -s @(\d+\.\d{{3}}) >/dev/null", clock
    )
    assert set_to
    assert before - 1 <= float(set_to[1]) <= time.time() + 1
    assert intervals == [0.2]
    assert saved.ready  # the saved guest is kept as it was
    assert saved.memory.read_text(encoding="utf-8") == "saved memory.state\n"


@pytest.fixture
def built() -> Platform:
    """A VM platform of a built image (whose files exist)."""
    image = BuiltImage.of("bookworm")
    image.disk.parent.mkdir(parents=True)
    for path in (image.disk, image.kernel, image.initrd):
        path.touch()
    return _vm("built:bookworm")


@pytest.fixture
def prepared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[Boot, str, Path]]:
    """``resume.prepare``, faked: it returns a saved state; return its calls."""
    calls: list[tuple[Boot, str, Path]] = []
    saved = saved_state(tmp_path / "state")

    def prepare(boot: Boot, hostname: str, workdir: Path) -> resume.Saved:
        calls.append((boot, hostname, workdir))
        return saved

    monkeypatch.setattr(resume, "prepare", prepare)
    return calls


def _args(proc: subprocess.Popen[bytes]) -> list[str]:
    """Return the command line ``proc`` was started with."""
    return cast("list[str]", proc.args)


@pytest.mark.usefixtures("vm_guest_tools")
def test_booted_resumes_a_built_image(  # noqa: PLR0913, PLR0917 - fixtures
    built: Platform,
    prepared: list[tuple[Boot, str, Path]],
    qemus: Launched,
    tmp_path: Path,
    short_dir: Path,
    qmp_server: QmpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pin_qmp(monkeypatch, short_dir / f"{NAME}.qmp")
    guest = qmp_server(short_dir / f"{NAME}.qmp").answer("query-status", RUNNING)
    with qemu.booted(built, short_dir, Session("web", "run1", "abc123")) as target:
        assert target.address.key == str(tmp_path / "state" / "id_ed25519")
        assert qemu._LIVE
    assert prepared == [(qemu.resolve(built), "vm12", short_dir)]
    (started,) = qemus
    assert _args(started)[-4:-2] == ["-incoming", f"exec:cat {tmp_path / 'state' / 'memory.state'}"]
    assert started.returncode == -signal.SIGTERM
    assert guest.commands() == ["qmp_capabilities", "query-status"]
    assert qemu._LIVE == {}
    assert not (short_dir / f"{NAME}.qcow2").exists()


# A qemu that cannot load a saved guest (another qemu's, or a broken one).
WONT_LOAD = """\
case "$*" in
  *-incoming*) echo 'qemu-system-x86_64: load of migration failed: Invalid argument' >&2; exit 1 ;;
esac
"""


@pytest.mark.usefixtures("vm_guest_tools")
def test_booted_boots_when_the_saved_guest_will_not_load(
    built: Platform,
    prepared: list[tuple[Boot, str, Path]],
    fake_bin: FakeBin,
    tmp_path: Path,
    qemus: Launched,
) -> None:
    fake_bin.add(qemu.QEMU, WONT_LOAD + FAKE_QEMU)
    with qemu.booted(built, tmp_path, Session("web", "run1", "abc123")) as target:
        assert target.address.key == str(tmp_path / "id_ed25519")  # a new key: booted
        assert len(qemu._LIVE) == 1
    assert len(prepared) == 1
    resumed, booted = qemus
    assert "-incoming" in _args(resumed)
    assert "-incoming" not in _args(booted)
    assert (resumed.returncode, booted.returncode) == (1, -signal.SIGTERM)
    assert not (tmp_path / "state").exists()  # forgotten: the next run saves it again
    assert qemu._LIVE == {}


@pytest.mark.usefixtures("vm_guest_tools", "prepared")
def test_booted_fails_when_the_fresh_boot_after_a_saved_guest_fails(
    built: Platform, fake_bin: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_bin.add(qemu.QEMU, "echo 'qemu-system-x86_64: -accel tcg: no memory' >&2; exit 1")
    fake_bin.add("ssh", "exit 255")
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    expected = "qemu exited (1) while booting vm12: qemu-system-x86_64: -accel tcg: no memory"
    with (
        pytest.raises(SetupError, match=exactly(expected)),
        qemu.booted(built, tmp_path, Session("web", "run1", "abc123")),
    ):
        pytest.fail("a guest that never booted must not be yielded")
    assert len(fake_bin.calls(qemu.QEMU)) == 2  # resumed, then booted
    assert not (tmp_path / "state").exists()
    assert qemu._LIVE == {}


@pytest.mark.usefixtures("vm_guest_tools")
def test_booted_reraises_without_a_saved_guest(
    built: Platform, fake_bin: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(resume.RESUME_VAR, "0")
    monkeypatch.setattr(resume, "prepare", lambda *_: pytest.fail("resuming is off"))
    fake_bin.add(qemu.QEMU, "echo 'qemu-system-x86_64: -accel tcg: no memory' >&2; exit 1")
    fake_bin.add("ssh", "exit 255")
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    with (
        pytest.raises(
            SetupError,
            match=exactly(
                "qemu exited (1) while booting vm12: qemu-system-x86_64: -accel tcg: no memory"
            ),
        ),
        qemu.booted(built, tmp_path, Session("web", "run1", "abc123")),
    ):
        pytest.fail("a guest that never booted must not be yielded")
    assert len(fake_bin.calls(qemu.QEMU)) == 1  # no second try
    assert qemu._LIVE == {}


def test_qmp_socket_is_short_and_removed() -> None:
    with qemu.qmp_socket() as sock:
        assert len(str(sock)) < 108  # fits a unix socket address
        assert sock.parent.is_dir()
        assert not sock.exists()  # qemu creates it
        (sock.parent / "qmp").touch()
    assert not sock.parent.exists()
