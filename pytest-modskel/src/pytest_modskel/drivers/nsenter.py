"""Run commands in a container by entering its namespaces: the fast path.

``podman exec`` costs about 0.2 s per call here (conmon, the OCI runtime's
exec), and a converge makes one call per task, testinfra one per check.
Entering the namespaces of the container's PID 1 with util-linux's
``nsenter`` costs under 10 ms. It needs root on the host (rootful podman or
docker) and ``nsenter``; elsewhere the harness uses ``ENGINE exec -i`` with
pipelining. ``MODSKEL_CONNECTION`` chooses:

- ``auto`` (default): nsenter when it can, else the engine's exec;
- ``exec``: always the engine's exec, with pipelining;
- ``collection``: the engine's Ansible collection connection
  (``containers.podman.podman`` / ``community.docker.docker``), as before.

A command entered this way runs in the container's mount, PID, network, IPC,
UTS and cgroup namespaces with the environment of the container's init (the
image's ``ENV``), as root with root's full capabilities and no seccomp
filter, like root on a real machine (see docs/platforms.md).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from pytest_modskel.errors import ConfigError

MODE_VAR = "MODSKEL_CONNECTION"
MODES = ("auto", "exec", "collection")
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PROC = Path("/proc")


def mode(env: Mapping[str, str] = os.environ) -> str:
    """Return the connection mode MODSKEL_CONNECTION asks for (``auto`` if unset)."""
    wanted = env.get(MODE_VAR, "").strip() or "auto"
    if wanted not in MODES:
        msg = f"{MODE_VAR}={wanted!r} is not a connection mode: set it to one of {', '.join(MODES)}"
        raise ConfigError(msg)
    return wanted


def usable(env: Mapping[str, str] = os.environ) -> bool:
    """Whether commands may enter containers directly: auto mode, root, and nsenter present."""
    return mode(env) == "auto" and os.geteuid() == 0 and shutil.which("nsenter") is not None


def argv(pid: int, command: list[str]) -> list[str]:
    """Return the host command that runs ``command`` inside the namespaces of ``pid``."""
    return [shutil.which("nsenter") or "nsenter", "--target", str(pid), "--all", *command]


def environment(engine: str, pid: int | None = None, proc: Path = PROC) -> dict[str, str]:
    """Return the environment a command gets in the container, as the engine's exec gives it.

    That is the environment of the container's init (the image's ``ENV``, the
    engine's ``container=`` and ``-e`` variables), read from ``/proc``; the
    engine's defaults if it cannot be read.
    """
    try:
        raw = (proc / str(pid) / "environ").read_bytes() if pid else b""
    except OSError:
        raw = b""
    pairs = [item.partition("=") for item in raw.decode(errors="replace").split("\0") if item]
    found = {name: value for name, sep, value in pairs if sep and name}
    return found or {"PATH": CONTAINER_PATH, "HOME": "/root", "container": engine}
