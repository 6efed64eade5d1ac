"""The container driver: podman or docker, and the lifecycle of one test container.

``modskel clean`` removes every container the harness labelled (left behind by
a killed machine, say).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_modskel.drivers import nsenter
from pytest_modskel.drivers.base import Driver, Session
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.images import prepared
from pytest_modskel.text import last_line

if TYPE_CHECKING:
    from testinfra.host import Host

    from pytest_modskel.platforms import Platform

ENV_VAR = "MODSKEL_ENGINE"
LABEL = "io.modskel.harness"
RUN_LABEL = "io.modskel.run"  # one test run: the controller and all its xdist workers
_LIVE: dict[str, Engine] = {}  # containers this process started and has not removed


@dataclass(frozen=True)
class Engine:
    """A container engine CLI and how Ansible and testinfra reach its containers."""

    binary: str
    ansible_connection: str
    testinfra_backend: str
    remove_args: tuple[str, ...]
    systemd_args: tuple[str, ...] = ()  # how to run systemd as PID 1

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the engine CLI with ``args``; never raises on a non-zero exit."""
        return subprocess.run(
            [self.binary, *args], capture_output=True, text=True, timeout=timeout, check=False
        )

    def problem(self) -> str | None:
        """Return why this engine cannot run containers here, or None if it can."""
        if shutil.which(self.binary) is None:
            return f"{self.binary} is not installed"
        try:
            info = self.run("info", timeout=20)
        except subprocess.TimeoutExpired:
            return f"`{self.binary} info` did not answer in 20 s"
        if info.returncode != 0:
            return f"`{self.binary} info` failed ({last_line(info.stderr)})"
        return None


ENGINES: dict[str, Engine] = {
    "podman": Engine(
        "podman", "containers.podman.podman", "podman", ("rm", "-f", "-t", "0"),
        systemd_args=("--systemd=always",),
    ),
    # Docker has no systemd mode: systemd needs the host's cgroup tree, writable,
    # and tmpfs on /run (see docs/platforms.md for the caveats).
    "docker": Engine(
        "docker", "community.docker.docker", "docker", ("rm", "-f"),
        systemd_args=("--privileged", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                      "--tmpfs", "/run", "--tmpfs", "/run/lock"),
    ),
}  # fmt: skip
SYSTEMD_TIMEOUT = 90  # seconds for systemd in a container to finish booting
ENGINE_FAILURE = 125  # exec's exit codes from 125 up are the engine's own errors


def detect(env: Mapping[str, str] = os.environ) -> Engine:
    """Return the engine named by MODSKEL_ENGINE, else the first that works."""
    wanted = env.get(ENV_VAR, "").strip()
    if wanted and wanted not in ENGINES:
        msg = f"{ENV_VAR}={wanted!r} is not a known engine: set it to one of {', '.join(ENGINES)}"
        raise ConfigError(msg)
    candidates = [ENGINES[wanted]] if wanted else list(ENGINES.values())
    problems = []
    for engine in candidates:
        problem = engine.problem()
        if problem is None:
            return engine
        problems.append(problem)
    msg = (
        f"no container engine can run containers: {'; '.join(problems)}. "
        f"Install podman (apt-get install podman) or start Docker, or set {ENV_VAR}"
    )
    raise SetupError(msg)


def ensure_image(engine: Engine, image: str) -> None:
    """Make sure ``image`` is present locally, pulling it if needed."""
    if engine.run("image", "inspect", image).returncode == 0:
        return
    pull = engine.run("pull", "--quiet", image, timeout=600)
    if pull.returncode != 0:
        msg = (
            f"image {image} is not available and `{engine.binary} pull` failed "
            f"({last_line(pull.stderr)}): pull or import it, then rerun"
        )
        raise SetupError(msg)


@dataclass(frozen=True)
class Container:
    """A running test container and the Python Ansible should use in it."""

    engine: Engine
    name: str
    python: str = "auto_silent"

    def sh(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a shell command in the container."""
        return self.engine.run("exec", self.name, "sh", "-c", command, timeout=timeout)

    def with_python(self, python: str) -> Container:
        """Return the same container, with Ansible using ``python``."""
        return replace(self, python=python)

    def pid(self, env: Mapping[str, str] = os.environ) -> int | None:
        """Return the PID to enter the container by (the fast path), or None to use exec."""
        if not nsenter.usable(env):
            return None
        found = self.engine.run("inspect", "--format", "{{.State.Pid}}", self.name)
        pid = found.stdout.strip()
        return int(pid) if found.returncode == 0 and pid.isdigit() and pid != "0" else None

    def inventory_line(self, env: Mapping[str, str] = os.environ) -> str:
        """Return this container's line in an Ansible INI inventory.

        The harness's own connection pipelines: one nsenter or one engine exec
        per task (see drivers/nsenter.py); MODSKEL_CONNECTION=collection uses
        the engine's Ansible collection instead.
        """
        if nsenter.mode(env) == "collection":
            connection = f"ansible_connection={self.engine.ansible_connection}"
        else:
            pid = self.pid(env)
            connection = (
                f"ansible_connection=modskel_container modskel_engine={self.engine.binary} "
                "ansible_pipelining=true" + (f" modskel_container_pid={pid}" if pid else "")
            )
        return f"{self.name} {connection} ansible_python_interpreter={self.python}"

    def testinfra_host(self) -> Host:
        """Return a testinfra host on this container (entering it directly when it can)."""
        import testinfra.host  # noqa: PLC0415 - only integration tests need testinfra

        pid = self.pid()
        if pid is None:
            return testinfra.get_host(f"{self.engine.testinfra_backend}://{self.name}")
        from pytest_modskel.drivers.nsenter_testinfra import NsenterBackend  # noqa: PLC0415

        backend = NsenterBackend(self.name, pid, self.engine.binary)
        host = testinfra.host.Host(backend)
        backend.set_host(host)
        return host


def remove_live() -> None:
    """Remove every container this process started; safe to call more than once."""
    for name, engine in list(_LIVE.items()):
        engine.run(*engine.remove_args, name)
        _LIVE.pop(name, None)


# Last resort when the interpreter exits without unwinding (e.g. a broken pipe).
atexit.register(remove_live)


def preflight(platforms: list[Platform]) -> None:
    """Check for an engine that runs containers; pull and prepare every platform's image."""
    if platforms:
        engine = detect()
        for platform in platforms:
            ensure_image(engine, platform.image)
            prepared.prepare(engine, platform)


@contextmanager
def started(platform: Platform, workdir: Path, session: Session) -> Iterator[Container]:  # noqa: ARG001
    """The container driver: a labelled container of ``platform``, always removed."""
    name, engine = session.name(platform.id), detect()
    image = prepared.prepare(engine, platform)
    with running(
        engine, image, name, session.project, session.run_id, systemd=platform.systemd
    ) as box:
        yield box


def system_state(box: Container, pid: int | None) -> subprocess.CompletedProcess[str]:
    """Ask systemd in ``box`` how far it has booted (entering the container when ``pid``)."""
    if pid is None:
        return box.sh("systemctl is-system-running")
    cmd = nsenter.argv(pid, ["systemctl", "is-system-running"])
    env = nsenter.environment(box.engine.binary, pid)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=30, check=False)


def wait_for_systemd(box: Container, timeout: float = SYSTEMD_TIMEOUT) -> None:
    """Wait until systemd in ``box`` has booted (running, or degraded: some unit failed).

    Polled every 50 ms when the harness can enter the container (a poll costs
    under 10 ms), else every 0.5 s through the engine's exec (0.2 s each).
    """
    deadline, state, pid = time.monotonic() + timeout, "unknown", box.pid()
    while time.monotonic() < deadline:
        asked = system_state(box, pid)
        if asked.returncode >= ENGINE_FAILURE or asked.stderr.startswith("nsenter:"):
            msg = f"could not reach systemd in {box.name}: {last_line(asked.stderr)}"
            raise SetupError(msg)
        state = asked.stdout.strip() or "unknown"
        if state in ("running", "degraded"):
            return
        time.sleep(0.5 if pid is None else 0.05)
    msg = (
        f"systemd in {box.name} did not finish booting in {timeout:.0f} s (state: {state}): "
        "check the image runs /lib/systemd/systemd, or set systemd = false for the platform"
    )
    raise SetupError(msg)


@contextmanager
def running(  # noqa: PLR0913 - the container, its labels and its init
    engine: Engine,
    image: str,
    name: str,
    project: str = "",
    run_id: str = "",
    *,
    systemd: bool = False,
) -> Iterator[Container]:
    """Start a labelled container from ``image`` (systemd as PID 1 if asked); always remove it."""
    ensure_image(engine, image)
    labels = ("--label", f"{LABEL}={project}", "--label", f"{RUN_LABEL}={run_id}")
    init = (
        (*engine.systemd_args, image, "/lib/systemd/systemd")
        if systemd
        else (image, "sleep", "infinity")
    )
    _LIVE[name] = engine
    try:
        started = engine.run("run", "-d", "--name", name, *labels, *init)
        if started.returncode != 0:
            msg = f"could not start {image} with {engine.binary}: {last_line(started.stderr)}"
            raise SetupError(msg)
        box = Container(engine, name)
        if systemd:
            wait_for_systemd(box)
        yield box
    finally:
        engine.run(*engine.remove_args, name)
        _LIVE.pop(name, None)


def clean(engine: Engine, run_id: str = "") -> list[str]:
    """Remove the harness's containers (of one run, if given); return their names."""
    label = f"{RUN_LABEL}={run_id}" if run_id else LABEL
    listed = engine.run("ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}")
    names = listed.stdout.split()
    for name in names:
        engine.run(*engine.remove_args, name)
    return names


DRIVER = Driver(
    summary="a podman or docker container, removed afterwards",
    preflight=preflight,
    start=started,
    remove_live=remove_live,
)
