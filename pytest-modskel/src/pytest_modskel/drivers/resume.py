"""Resume a saved guest instead of booting it: VM images modskel builds.

Under TCG a Debian guest needs about 18 s to reach ssh; loading its saved
memory takes about 2 s. The first run of an image on a machine boots it once,
waits until systemd has settled, and saves the guest with qemu's own
migration (its memory to a file) beside its frozen disk overlay, in
``~/.cache/modskel/vm-states``. Every run after that starts qemu with
``-incoming`` on a fresh overlay over that disk, so the saved guest stays
pristine, then sets the guest's clock. A state that will not load is removed
and the guest boots as before.

A resumed guest shares with every other guest of its state the ssh key (kept
in the cache, readable by its owner only), its ssh host keys, machine-id and
early random state: throw-away machines that listen on 127.0.0.1 only. A state
is keyed by the image file, qemu's version and the guest's command line
(memory, CPUs, accelerator, kernel arguments), so a change to any of them
saves a new one. ``MODSKEL_VM_RESUME=0`` boots every time. Images modskel did
not build (cloud images, which take their key from a cloud-init seed at boot)
always boot.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_modskel.drivers import qemu
from pytest_modskel.drivers.ssh import Address, SshTarget
from pytest_modskel.errors import SetupError
from pytest_modskel.images.debootstrap import CACHE
from pytest_modskel.images.vm import PREFIX
from pytest_modskel.platforms import Platform
from pytest_modskel.text import last_line

RESUME_VAR = "MODSKEL_VM_RESUME"
FORMAT = 1  # raise when what a state holds changes
SAVE_TIMEOUT = 300.0
# Run in the guest before saving it: boot finished, common files in the page cache.
SETTLE = (
    "systemctl is-system-running --wait >/dev/null; "
    "python3 -c 'import json, subprocess, locale, tempfile, datetime, platform, shlex, zipfile'; "
    "sync"
)


def wanted(platform: Platform, env: Mapping[str, str] = os.environ) -> bool:
    """Whether ``platform``'s guest is resumed from a saved state (built images, not disabled)."""
    off = env.get(RESUME_VAR, "").strip().lower() in ("0", "no", "false", "off")
    return platform.image.startswith(PREFIX) and not off


@dataclass(frozen=True)
class Saved:
    """One saved guest: its disk overlay, memory, ssh key and seed, in one folder."""

    folder: Path

    @property
    def disk(self) -> Path:
        """The disk as it was when the guest was saved (never written again)."""
        return self.folder / "disk.qcow2"

    @property
    def memory(self) -> Path:
        """The guest's memory and devices: qemu's migration stream."""
        return self.folder / "memory.state"

    @property
    def key(self) -> Path:
        """The private ssh key the guest accepts."""
        return self.folder / "id_ed25519"

    @property
    def seed(self) -> Path:
        """The seed disk the guest was saved with (the same device must be there)."""
        return self.folder / "seed.iso"

    @property
    def ready(self) -> bool:
        """Whether the state is complete (written last)."""
        return (self.folder / "state.json").is_file()

    def public(self) -> str:
        """Return the public half of the key."""
        return self.key.with_suffix(".pub").read_text(encoding="utf-8").strip()

    def incoming(self, sock: Path) -> list[str]:
        """Return the qemu arguments that load this state instead of booting (QMP at ``sock``)."""
        load = ["-incoming", f"exec:cat {shlex.quote(str(self.memory))}"]
        return [*load, "-qmp", f"unix:{sock},server=on,wait=off"]

    def wait_loaded(self, sock: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
        """Wait until qemu at ``sock`` runs the loaded guest (ssh stalls for seconds before)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                (answer,) = qmp(sock, {"execute": "query-status"}, timeout=5)
                if answer.get("return", {}).get("status") == "running":
                    return
            time.sleep(0.05)
        msg = f"the saved guest {self.folder.name} did not resume (qemu: {proc.poll()})"
        raise SetupError(msg)


def qemu_version() -> str:
    """Return qemu's version line (a state saved by another qemu may not load)."""
    done = subprocess.run([qemu.QEMU, "--version"], capture_output=True, text=True, check=False)
    return last_line(done.stdout.split("\n", 1)[0], default="unknown")


def state_for(boot: qemu.Boot, hostname: str) -> Saved:
    """Return where the state of this image, qemu and guest command line lives."""
    shape = qemu.qemu_command(
        boot, Path("DISK"), Path("SEED"), 0, "NAME", extra=qemu.kernel_args("k KEY", hostname)
    )
    image = boot.disk.resolve()
    disk = image.stat()
    identity = [FORMAT, str(image), disk.st_size, disk.st_mtime_ns, qemu_version()]
    digest = hashlib.sha256(json.dumps([*identity, *shape]).encode()).hexdigest()[:12]
    return Saved(CACHE / "vm-states" / f"{hostname}-{digest}")


def qmp(sock: Path, *commands: dict[str, Any], timeout: float = 30) -> list[dict[str, Any]]:
    """Send QMP commands to qemu at ``sock``; return each answer (events skipped)."""
    answers = []
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(timeout)
        conn.connect(str(sock))
        stream = conn.makefile("rw", encoding="utf-8")
        stream.readline()  # the greeting
        for command in ({"execute": "qmp_capabilities"}, *commands):
            stream.write(json.dumps(command) + "\n")
            stream.flush()
            answer = json.loads(stream.readline())
            while "event" in answer:
                answer = json.loads(stream.readline())
            answers.append(answer)
    return answers[1:]


def migrate(sock: Path, memory: Path, timeout: float = SAVE_TIMEOUT) -> None:
    """Save the running guest's memory to ``memory`` (the guest stays paused)."""
    uri = f"exec:cat > {shlex.quote(str(memory))}"
    deadline, status = time.monotonic() + timeout, {}
    try:
        qmp(sock, {"execute": "migrate", "arguments": {"uri": uri}})
        while time.monotonic() < deadline:
            (answer,) = qmp(sock, {"execute": "query-migrate"})
            status = answer.get("return", {})
            if status.get("status") == "completed":
                return
            if status.get("status") in ("failed", "cancelled"):
                break
            time.sleep(0.2)
        else:
            status = {}  # timed out: say so, not the last status (``active``)
    except (OSError, ValueError) as error:  # qemu went away mid-way
        status = {"status": f"qemu did not answer ({error})"}
    why = status.get("error-desc", status.get("status", f"not done in {timeout:.0f} s"))
    msg = f"could not save the guest to {memory}: {why}; set {RESUME_VAR}=0 to boot every time"
    raise SetupError(msg)


def save(boot: qemu.Boot, hostname: str, state: Saved, workdir: Path) -> None:
    """Boot the image once, let systemd settle, and save the guest as ``state``."""
    partial = Saved(state.folder.with_name(f"{state.folder.name}.{os.getpid()}.partial"))
    shutil.rmtree(partial.folder, ignore_errors=True)
    partial.folder.mkdir(parents=True)
    qemu.keygen(partial.key, f"modskel-{hostname}")
    public = partial.public()
    qemu.seed_iso(partial.seed, public, hostname)
    qemu.make_overlay(boot.disk, partial.disk)
    port, log = qemu.free_port(), workdir / "save.log"
    address = Address("127.0.0.1", "root", port, str(partial.key))
    (workdir / "save").mkdir(exist_ok=True)
    target = SshTarget.configured(hostname, address, workdir / "save")
    cmd = qemu.qemu_command(boot, partial.disk, partial.seed, port, f"modskel-save-{hostname}",
                            extra=qemu.kernel_args(public, hostname))  # fmt: skip
    with qemu.qmp_socket() as sock:
        proc = qemu.launch([*cmd, "-qmp", f"unix:{sock},server=on,wait=off"], partial.disk, log)
        try:
            qemu.wait_until_up(proc, target, log, partial.disk.with_suffix(".console"))
            target.sh(SETTLE, timeout=SAVE_TIMEOUT)
            migrate(sock, partial.memory)
        except BaseException:
            qemu.halt(proc)
            shutil.rmtree(partial.folder, ignore_errors=True)  # no half state left in the cache
            raise
        qemu.halt(proc)
    (partial.folder / "state.json").write_text(json.dumps({"disk": str(boot.disk)}) + "\n")
    try:
        partial.folder.rename(state.folder)
    except OSError:  # another run saved the same state first: keep that one
        shutil.rmtree(partial.folder, ignore_errors=True)
    prune(state.folder.parent)


def prune(states: Path) -> None:
    """Remove the saved guests whose image is gone (a rebuilt image removes its old one)."""
    for mark in states.glob("*/state.json"):
        with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
            disk = json.loads(mark.read_text(encoding="utf-8")).get("disk")
            if disk and not Path(disk).exists():
                shutil.rmtree(mark.parent, ignore_errors=True)


def prepare(boot: qemu.Boot, hostname: str, workdir: Path) -> Saved:
    """Return this guest's saved state, saving it first if this machine has none."""
    state = state_for(boot, hostname)
    if not state.ready:
        save(boot, hostname, state, workdir)
    return state


def forget(state: Saved) -> None:
    """Remove a state that would not load (the next run saves it again)."""
    shutil.rmtree(state.folder, ignore_errors=True)
