"""The qemu driver: one throw-away virtual machine per test session and VM platform.

The base image is never written: each run starts a copy-on-write qcow2 overlay
and forwards a free port on 127.0.0.1 to the guest's ssh. Images modskel builds
are resumed from a guest saved once per machine (drivers/resume.py: about 2 s
instead of an 18 s boot under TCG); other images boot with a new ed25519 key
from a cloud-init NoCloud seed. On the way out (pass, failure, Ctrl-C) qemu is
ended and the overlay deleted: nothing of the guest is kept, so it needs no
shutdown.

Acceleration: KVM where a hardware-backed KVM module is loaded and /dev/kvm is
writable, else TCG. MODSKEL_VM_ACCEL=kvm|tcg forces one; MODSKEL_VM_BOOT_TIMEOUT
(seconds) bounds the wait for ssh; MODSKEL_VM_MEMORY (MiB) and MODSKEL_VM_CPUS
size the guest. The same settings can live in ``[tool.modskel.vm]``
(``accel``, ``boot_timeout``, ``memory``, ``cpus``); the variables win.

``modskel vm up PLATFORM_ID`` boots one VM and keeps it until Ctrl-C, printing
how to log in (to debug a role by hand, or to try the ssh driver).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_modskel.drivers.base import Driver, Session
from pytest_modskel.drivers.ssh import Address, SshTarget, wait_for_ssh
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.images.debootstrap import CACHE
from pytest_modskel.images.vm import PREFIX, BuiltImage
from pytest_modskel.platforms import Platform
from pytest_modskel.text import last_line

if TYPE_CHECKING:
    from pytest_modskel.drivers.resume import Saved

QEMU = "qemu-system-x86_64"
ACCEL_VAR = "MODSKEL_VM_ACCEL"
TIMEOUT_VAR = "MODSKEL_VM_BOOT_TIMEOUT"
MEMORY_VAR = "MODSKEL_VM_MEMORY"
CPUS_VAR = "MODSKEL_VM_CPUS"
KVM_CRASH = "KVM internal error"
_LIVE: dict[int, Path] = {}  # qemu pids this process started -> their overlays


def accel(env: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """Return the accelerator to use and why."""
    forced = env.get(ACCEL_VAR, "").strip().lower()
    if forced in ("kvm", "tcg"):
        return forced, f"{ACCEL_VAR}={forced}"
    if forced and forced != "auto":
        msg = f"{ACCEL_VAR}={forced!r} is not an accelerator: set it to kvm or tcg, or unset it"
        raise ConfigError(msg)
    hardware = any(Path(f"/sys/module/{m}").exists() for m in ("kvm_intel", "kvm_amd"))
    if hardware and os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "kvm", "hardware-backed /dev/kvm"
    # A /dev/kvm served by nested or paravirtual modules (kvm_pvm) crashes guests.
    return "tcg", "no hardware-backed KVM: no kvm_intel/kvm_amd module or /dev/kvm not writable"


@dataclass(frozen=True)
class Boot:
    """What qemu boots: a disk and, for images without a boot loader, a kernel."""

    disk: Path
    kernel: Path | None = None
    initrd: Path | None = None


def _download(url: str) -> Path:
    name = url.rstrip("/").rsplit("/", 1)[-1]
    target = CACHE / "vm-downloads" / f"{hashlib.sha256(url.encode()).hexdigest()[:12]}-{name}"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    try:
        with urllib.request.urlopen(url, timeout=60) as answer, partial.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(answer, out)
    except OSError as error:
        msg = (
            f"could not download VM image {url} ({error}): download it and set `image` to its path"
        )
        raise SetupError(msg) from None
    partial.rename(target)
    return target


def resolve(platform: Platform) -> Boot:
    """Find (or download) the platform's disk, kernel and initrd."""
    if platform.image.startswith(PREFIX):
        built = BuiltImage.of(platform.image.removeprefix(PREFIX))
        if not built.ready:
            msg = f"VM image {platform.image} of {platform.id} is not built: run `tox -e vm-image`"
            raise SetupError(msg)
        return Boot(built.disk, built.kernel, built.initrd)
    if platform.image.partition("://")[0] in ("http", "https", "file"):
        disk = _download(platform.image)
    else:
        disk = Path(platform.image).expanduser()
    kernel, initrd = (
        Path(p).expanduser() if p else None for p in (platform.kernel, platform.initrd)
    )
    missing = [path for path in (disk, kernel, initrd) if path and not path.is_file()]
    if missing:
        msg = (
            f"VM image file {missing[0]} of {platform.id} not found: "
            "fix the path in [tool.modskel.platforms] of pyproject.toml or use built:<suite>"
        )
        raise SetupError(msg)
    return Boot(disk, kernel, initrd)


def preflight(platforms: list[Platform]) -> None:
    """Check the tools and images the VM platforms need, before anything boots."""
    if not platforms:
        return
    for tool, package in ((QEMU, "qemu-system-x86"), ("qemu-img", "qemu-utils"),
                          ("ssh", "openssh-client"), ("ssh-keygen", "openssh-client")):  # fmt: skip
        if shutil.which(tool) is None:
            msg = f"{tool} is not installed, needed for VM platforms: apt-get install {package}"
            raise SetupError(msg)
    accel()
    for platform in platforms:
        resolve(platform)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed_iso(path: Path, public_key: str, hostname: str) -> None:
    """Write a cloud-init NoCloud seed (an ISO labelled cidata) with the key for root."""
    import pycdlib  # noqa: PLC0415 - only VM platforms need it

    user_data = "#cloud-config\n" + json.dumps({
        "disable_root": False, "users": [], "ssh_authorized_keys": [public_key],
        "ssh_deletekeys": False, "ssh_pwauth": False,
    })  # fmt: skip
    meta_data = f"instance-id: {path.stem}\nlocal-hostname: {hostname}\n"
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="cidata")
    for name, text in (("user-data", user_data), ("meta-data", meta_data)):
        data = text.encode()
        iso.add_fp(io.BytesIO(data), len(data), f"/{name.upper().replace('-', '_')}.;1",
                   rr_name=name, joliet_path=f"/{name}")  # fmt: skip
    iso.write(str(path))
    iso.close()


def _tool(cmd: list[str], what: str) -> str:
    """Run a qemu or ssh tool; return its output, or raise one line saying what failed."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = f"could not {what}: {last_line(done.stderr or done.stdout)}"
        raise SetupError(msg)
    return done.stdout


def make_overlay(base: Path, overlay: Path) -> None:
    """Create a qcow2 overlay over ``base``, which stays unmodified."""
    info = _tool(["qemu-img", "info", "--output=json", str(base)], f"read the disk image {base}")
    fmt = json.loads(info)
    create = [
        "qemu-img",
        "create",
        "-q",
        "-f",
        "qcow2",
        "-F",
        fmt["format"],
        "-b",
        str(base.resolve()),
    ]
    _tool([*create, str(overlay)], f"create an overlay over {base}")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no orphaned guest


def kernel_args(public_key: str, hostname: str) -> str:
    """Return the kernel arguments that give a built image its ssh key and host name.

    Images modskel builds read ``modskel.ssh_key`` (images/guest/); systemd
    reads ``systemd.hostname``. Other images ignore both and use the seed.
    """
    kind, blob = public_key.split()[:2]
    return f"modskel.ssh_key={kind}:{blob} systemd.hostname={hostname}"


def qemu_command(  # noqa: PLR0913 - one guest's disks, port, name and kernel arguments
    boot: Boot, overlay: Path, seed: Path, port: int, name: str, *, extra: str = ""
) -> list[str]:
    """Return the qemu command line for one guest (``extra``: kernel arguments)."""
    how = accel()[0]
    cpus = str(int(_number(os.environ, CPUS_VAR, min(2, os.cpu_count() or 1))))
    memory = str(int(_number(os.environ, MEMORY_VAR, 1024)))
    cmd = [QEMU, "-name", name, "-machine", "q35", "-m", memory, "-smp", cpus]
    cmd += ["-accel", "kvm", "-cpu", "host"] if how == "kvm" else ["-accel", "tcg,thread=multi"]
    cmd += [
        "-display", "none", "-monitor", "none", "-no-reboot",
        "-serial", f"file:{overlay.with_suffix('.console')}",
        "-drive", f"file={overlay},if=virtio,format=qcow2",
        "-drive", f"file={seed},if=virtio,format=raw,readonly=on",
        "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{port}-:22",
        "-device", "virtio-net-pci,netdev=net0",
    ]  # fmt: skip
    if boot.kernel:
        append = f"root=/dev/vda rw console=ttyS0 {extra}".strip()
        cmd += ["-kernel", str(boot.kernel), "-append", append]
        cmd += ["-initrd", str(boot.initrd)] if boot.initrd else []
    return cmd


def _tail(path: Path) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return last_line(text, default="nothing", limit=200)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = -1
    if not math.isfinite(value) or value <= 0:
        msg = f"{name}={raw!r} is not a positive number: fix or unset it"
        raise ConfigError(msg)
    return value


def wait_until_up(
    proc: subprocess.Popen[bytes], target: SshTarget, log: Path, console: Path, interval: float = 1
) -> float:
    """Wait for ssh in the guest; return the seconds it took. Fails fast on a dead qemu."""
    timeout = _number(os.environ, TIMEOUT_VAR, 300)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            msg = f"qemu exited ({proc.returncode}) while booting {target.name}: {_tail(log)}"
            raise SetupError(msg)
        if KVM_CRASH in log.read_text(errors="replace"):
            msg = f"the guest {target.name} crashed under KVM ({KVM_CRASH}): set {ACCEL_VAR}=tcg"
            raise SetupError(msg)
        if wait_for_ssh(target) is None:
            return time.monotonic() - started
        time.sleep(interval)
    msg = (
        f"{target.name}: no ssh after {timeout:.0f} s ({accel()[0]}); last console line: "
        f"{_tail(console)}: raise {TIMEOUT_VAR} or check that the image boots"
    )
    raise SetupError(msg)


def halt(proc: subprocess.Popen[bytes]) -> None:
    """End qemu (SIGTERM, then SIGKILL if it lingers)."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)
    _LIVE.pop(proc.pid, None)


def stop(proc: subprocess.Popen[bytes], overlay: Path) -> None:
    """End qemu and delete the guest's overlay."""
    halt(proc)
    overlay.unlink(missing_ok=True)


def remove_live() -> None:
    """Kill every guest this process started and delete its overlay (Ctrl-C)."""
    for pid, overlay in list(_LIVE.items()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        overlay.unlink(missing_ok=True)
        _LIVE.pop(pid, None)


def keygen(key: Path, comment: str) -> None:
    """Write a new ed25519 key pair at ``key`` (and ``key``.pub)."""
    cmd = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)]
    _tool(cmd, "generate the guest's ssh key")


def launch(cmd: list[str], overlay: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start qemu (``cmd``), its output to ``log``; it dies with this process."""
    with log.open("wb") as err:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
            start_new_session=True, preexec_fn=_die_with_parent,  # noqa: PLW1509
        )  # fmt: skip
    _LIVE[proc.pid] = overlay
    return proc


def start(
    boot: Boot, hostname: str, name: str, workdir: Path, saved: Saved | None = None
) -> tuple[subprocess.Popen[bytes], SshTarget]:
    """Start one guest on an overlay (resuming ``saved`` if given); return it reachable."""
    overlay = workdir / f"{name}.qcow2"
    if saved is None:
        key, seed, base = workdir / "id_ed25519", workdir / "seed.iso", boot.disk
        keygen(key, name)
        seed_iso(seed, key.with_suffix(".pub").read_text().strip(), hostname)
    else:
        key, seed, base = saved.key, saved.seed, saved.disk
    public = key.with_suffix(".pub").read_text().strip()
    make_overlay(base, overlay)
    port, log = free_port(), overlay.with_suffix(".log")
    address = Address("127.0.0.1", "root", port, str(key))
    target = SshTarget.configured(hostname, address, workdir).with_python("/usr/bin/python3")
    cmd = qemu_command(boot, overlay, seed, port, name, extra=kernel_args(public, hostname))
    with qmp_socket() as sock:
        proc = launch([*cmd, *(saved.incoming(sock) if saved else [])], overlay, log)
        try:
            if saved is not None:
                saved.wait_loaded(sock, proc)
            wait_until_up(proc, target, log, overlay.with_suffix(".console"), 0.2 if saved else 1)
            if saved is not None:
                set_clock(target)
        except BaseException:
            stop(proc, overlay)
            raise
    return proc, target


@contextmanager
def qmp_socket() -> Iterator[Path]:
    """Yield a path for qemu's QMP socket: short enough for a unix address, removed afterwards.

    A socket beside the overlay would exceed the 108 bytes of ``sun_path`` in deep
    folders (pytest's ``--basetemp``); qemu keeps serving after the path is gone.
    """
    folder = tempfile.mkdtemp(prefix="modskel-qmp-")
    try:
        yield Path(folder) / "qmp"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def set_clock(target: SshTarget) -> None:
    """Give a resumed guest the current time (its clock stopped when it was saved)."""
    target.sh(f"date -u -s @{time.time():.3f} >/dev/null", timeout=30)


@contextmanager
def booted(platform: Platform, workdir: Path, session: Session) -> Iterator[SshTarget]:
    """Resume (or boot) ``platform`` on an overlay; yield it reachable over ssh as root."""
    from pytest_modskel.drivers import resume  # noqa: PLC0415 - it builds on this module

    boot, name = resolve(platform), session.name(platform.id)
    saved = resume.prepare(boot, platform.id, workdir) if resume.wanted(platform) else None
    try:
        proc, target = start(boot, platform.id, name, workdir, saved)
    except SetupError:
        if saved is None:
            raise
        resume.forget(saved)  # a state that will not load: boot, save a new one next run
        proc, target = start(boot, platform.id, name, workdir)
    try:
        yield target
    finally:
        stop(proc, workdir / f"{name}.qcow2")


DRIVER = Driver(
    summary="a qemu virtual machine (resumed or booted) on a throw-away overlay, ended afterwards",
    preflight=preflight,
    start=booted,
    remove_live=remove_live,
)
