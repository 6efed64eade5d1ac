"""Shared fixtures: tiny role projects, fake programs on PATH, a sealed environment.

Nothing here starts a container or a VM, needs the network or root, or writes
outside pytest's temporary folders: engines, qemu, ssh and the image tools are
shell scripts in ``tmp_path / "bin"``, which is then the whole of PATH.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_modskel.drivers import container, qemu, registry, resume
from pytest_modskel.images import container as container_images
from pytest_modskel.images import debootstrap, vm

pytest_plugins = ["pytester"]

# Every variable the package reads or sets: each test starts without them, and
# whatever a test (or a pytester run of the plugin) sets is undone afterwards.
VARIABLES = (
    "MODSKEL_RUN_ID",
    "MODSKEL_SSH_CONFIG",
    "MODSKEL_VM_ACCEL",
    "MODSKEL_VM_BOOT_TIMEOUT",
    "MODSKEL_VM_MEMORY",
    "MODSKEL_VM_CPUS",
    "MODSKEL_VM_RESUME",
    "MODSKEL_ENGINE",
    "MODSKEL_CONNECTION",
    "MODSKEL_PLATFORMS",
    "MODSKEL_HOSTS",
    "MODSKEL_RESULTS",
    "MODSKEL_SANITY_PIP",
    # pytest prints whole short-summary lines when it sees a CI: pytester runs must not.
    "CI",
    "BUILD_NUMBER",
)

META = "galaxy_info:\n  namespace: acme\n  role_name: web\n"
PLATFORMS = """\
- id: debian12
  name: Debian 12
  image: docker.io/library/debian:bookworm
- id: rocky9
  image: docker.io/library/rockylinux:9
  bootstrap: dnf
"""


def exactly(message: str) -> str:
    """Return a ``match=`` pattern that accepts ``message`` and nothing else."""
    return f"^{re.escape(message)}$"


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; return its output (a failure raises)."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def own_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *unset: str) -> None:
    """Give git a config of its own (identity, branch main); unset the variables ``unset``."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = t\n\temail = t@t.invalid\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in unset:
        monkeypatch.delenv(name, raising=False)


def write_project(
    root: Path,
    *,
    platforms: str | None = PLATFORMS,
    pyproject: str | None = None,
    meta: str = META,
) -> Path:
    """Write a minimal role project into ``root`` and return ``root``."""
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / "meta" / "main.yml").write_text(meta, encoding="utf-8")
    if platforms is not None:
        (root / "tests" / "integration").mkdir(parents=True, exist_ok=True)
        (root / "tests" / "integration" / "platforms.yml").write_text(platforms, encoding="utf-8")
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return root


@dataclass(frozen=True)
class FakeBin:
    """A folder of fake programs (the whole of PATH) that log every call."""

    folder: Path

    @property
    def log(self) -> Path:
        """The file each fake program appends ``name args...`` to."""
        return self.folder.parent / "calls.log"

    def add(self, name: str, body: str = "exit 0") -> Path:
        """Write a ``/bin/sh`` program ``name`` that logs its call, then runs ``body``."""
        script = self.folder / name
        script.write_text(
            f"#!/bin/sh\nprintf '%s\\n' \"{name} $*\" >> '{self.log}'\n{body}\n", encoding="utf-8"
        )
        script.chmod(0o755)
        return script

    def calls(self, name: str | None = None) -> list[str]:
        """Return the logged calls (of ``name`` only, if given), oldest first."""
        lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
        return [line for line in lines if name is None or line.split(" ", 1)[0] == name]


@pytest.fixture(autouse=True)
def sealed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Unset the harness's variables, send image caches to tmp, keep signal handlers."""
    for name in VARIABLES:
        # setenv first, so that monkeypatch also undoes what the code under test sets.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    cache = tmp_path / "cache"
    for module in (debootstrap, vm, qemu, resume, container_images):
        monkeypatch.setattr(module, "CACHE", cache)
    # Fresh registries of live machines: nothing a test adds reaches the atexit clean-up.
    monkeypatch.setattr(container, "_LIVE", {})
    monkeypatch.setattr(qemu, "_LIVE", {})
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in handlers.items():
        if handler is not None:
            signal.signal(sig, handler)


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBin:
    """An empty folder that is the whole of PATH: only the fakes a test adds exist."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return FakeBin(folder)


# The VM tools, faked: a guest that boots at once (qemu sleeps until it is ended;
# --version answers), ssh that always logs in, qemu-img that reports a raw base and
# writes the overlay, and ssh-keygen that writes a key pair.
QEMU_IMG = """\
case "$1" in
  info) echo '{"format": "raw", "virtual-size": 2147483648}' ;;
  create) eval out=\\${$#}; : > "$out" ;;
esac
"""
QEMU_VERSION = "QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)"
FAKE_QEMU = f"""\
[ "$1" = --version ] && {{ echo '{QEMU_VERSION}'; echo 'Copyright (c) 2003-2023'; exit 0; }}
exec /bin/sleep 30
"""
FAKE_KEYGEN = 'eval key=\\${$#}\necho "ssh-ed25519 AAAAfake $7" > "$key.pub"\n: > "$key"'


@pytest.fixture
def vm_guest_tools(fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch) -> FakeBin:
    """Fake qemu, qemu-img, ssh and ssh-keygen on PATH (and TCG, as KVM is no concern)."""
    monkeypatch.setenv(qemu.ACCEL_VAR, "tcg")
    fake_bin.add(qemu.QEMU, FAKE_QEMU)
    fake_bin.add("qemu-img", QEMU_IMG)
    fake_bin.add("ssh")
    fake_bin.add("ssh-keygen", FAKE_KEYGEN)
    return fake_bin


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """Forget the cached driver registry before and after the test."""
    registry.cache_clear()  # the cached function itself, even while a test replaces it
    yield
    registry.cache_clear()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A role project (two container platforms) that is the current folder."""
    root = write_project(tmp_path / "role")
    monkeypatch.chdir(root)
    return root


MakeProject = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakeProject:
    """Return a function that writes a role project (as ``write_project``) and enters it."""

    def _make(
        *, platforms: str | None = PLATFORMS, pyproject: str | None = None, meta: str = META
    ) -> Path:
        root = write_project(tmp_path / "role", platforms=platforms, pyproject=pyproject, meta=meta)
        monkeypatch.chdir(root)
        return root

    return _make


Launched = list[subprocess.Popen[bytes]]


@pytest.fixture
def qemus(monkeypatch: pytest.MonkeyPatch) -> Launched:
    """The qemu processes the driver launches, in order (ended ones have a returncode)."""
    launched: Launched = []
    real = qemu.launch

    def launch(cmd: list[str], overlay: Path, log: Path) -> subprocess.Popen[bytes]:
        launched.append(real(cmd, overlay, log))
        return launched[-1]

    monkeypatch.setattr(qemu, "launch", launch)
    return launched


@dataclass
class Clock:
    """A stand-in for the ``time`` module: sleeping moves the clock on at once."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)
    scale: float = 1.0  # how many seconds pass for each second slept
    on_sleep: Callable[[], object] = lambda: None  # runs at each sleep (the world moves on)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds * self.scale
        self.on_sleep()


QMP_GREETING = {"QMP": {"version": {"qemu": {"major": 8, "minor": 2, "micro": 2}}}}


class FakeQmp:
    """qemu's QMP on a unix socket, served by a thread: scripted answers, events between."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.received: list[dict[str, Any]] = []
        self._script: dict[str, list[list[dict[str, Any]]]] = {}
        self._server = socket.socket(socket.AF_UNIX)
        self._server.bind(str(path))
        self._server.listen()
        self._server.settimeout(0.02)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def answer(self, command: str, *messages: dict[str, Any]) -> FakeQmp:
        """Queue what ``command`` gets next: ``messages`` in order (events, then its answer).

        A command's last queued reply repeats; a command with none gets ``{"return": {}}``.
        """
        self._script.setdefault(command, []).append(list(messages))
        return self

    def commands(self) -> list[str]:
        """Return the commands received, in order."""
        return [command["execute"] for command in self.received]

    def _reply(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        queue = self._script.get(command["execute"], [[{"return": {}}]])
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def _serve(self) -> None:
        while not self._done.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            with (
                contextlib.suppress(OSError, ValueError),
                conn,
                conn.makefile("rw", encoding="utf-8") as stream,
            ):
                stream.write(json.dumps(QMP_GREETING) + "\n")
                stream.flush()
                for line in stream:
                    command = json.loads(line)
                    self.received.append(command)
                    stream.write("".join(json.dumps(m) + "\n" for m in self._reply(command)))
                    stream.flush()

    def close(self) -> None:
        """Stop serving (the thread ends within one accept timeout)."""
        self._done.set()
        self._thread.join(timeout=5)
        self._server.close()


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A new folder with a short path: a unix socket's path must fit in 108 bytes."""
    with tempfile.TemporaryDirectory(prefix="modskel-t-", dir="/tmp") as folder:
        yield Path(folder)


def pin_qmp(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Make the drivers put qemu's QMP socket at ``path`` (a fake QMP serves there)."""

    @contextlib.contextmanager
    def pinned() -> Iterator[Path]:
        yield path

    monkeypatch.setattr(qemu, "qmp_socket", pinned)


@pytest.fixture
def qmp_server() -> Iterator[Callable[[Path], FakeQmp]]:
    """Return a function that serves a fake QMP at a path; every server stops afterwards."""
    servers: list[FakeQmp] = []

    def _serve(path: Path) -> FakeQmp:
        servers.append(FakeQmp(path))
        return servers[-1]

    yield _serve
    for server in servers:
        server.close()


SAVED_KEY = "ssh-ed25519 AAAAsaved modskel-vm12"


def saved_state(folder: Path) -> resume.Saved:
    """Write a complete saved guest into ``folder`` (each file a stand-in) and return it."""
    state = resume.Saved(folder)
    folder.mkdir(parents=True)
    for path in (state.disk, state.memory, state.key, state.seed):
        path.write_text(f"saved {path.name}\n", encoding="utf-8")
    state.key.with_suffix(".pub").write_text(f"{SAVED_KEY}\n", encoding="utf-8")
    (folder / "state.json").write_text("{}\n", encoding="utf-8")
    return state
