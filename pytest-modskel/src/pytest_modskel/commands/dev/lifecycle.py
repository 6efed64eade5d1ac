"""Start, check and destroy kept machines: each lives in a keeper process of its own.

:func:`spawn` starts a keeper (:mod:`pytest_modskel.commands.keeper`) in a new
session, so a Ctrl-C in the terminal never reaches it, and waits for its
record. :func:`current` returns a platform's kept machine after checking that
its keeper and the machine are still there; a record whose machine is gone is
forgotten, with one line saying so. :func:`destroy` stops the keeper, which
removes the machine with its driver's own clean-up.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pytest_modskel.commands.dev.state import DEV, Kept, Slot, alive, slot, slots
from pytest_modskel.drivers import container
from pytest_modskel.drivers.base import Session
from pytest_modskel.drivers.kept import run_id
from pytest_modskel.errors import (
    EXIT_ENVIRONMENT,
    EXIT_USAGE,
    ConfigError,
    ModskelError,
    SetupError,
)
from pytest_modskel.platforms import Platform
from pytest_modskel.project import Project
from pytest_modskel.text import last_line

Say = Callable[[str], None]
STOP_TIMEOUT = 90  # seconds a keeper may take to remove its machine (a VM powers off)
POLL = 0.1
KEEPER = ("-m", "pytest_modskel.commands.keeper")  # how Python runs the keeper


def _nothing(_line: str) -> None:
    """Say nothing."""


def launch(cmd: list[str], log: Path) -> int:
    """Start ``cmd`` in a session of its own, output to ``log``; return its pid.

    Not a Popen: the keeper outlives the object (and this process), so nothing
    should warn that it is still running.
    """
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        return os.posix_spawn(
            cmd[0], cmd, os.environ,
            file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                          (os.POSIX_SPAWN_DUP2, fd, 1), (os.POSIX_SPAWN_DUP2, fd, 2)],
            setsid=True,
        )  # fmt: skip
    finally:
        os.close(fd)


def exit_code(pid: int) -> int | None:
    """Return the exit code of our child ``pid`` if it has ended (reaping it), else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child, or reaped already
        return None if alive(pid) else 0
    return os.waitstatus_to_exitcode(status) if done else None


def spawn(project: Project, platform: Platform, origin: str = DEV) -> Kept:
    """Start a keeper for ``platform``; return its record once the machine is up.

    If this process is interrupted meanwhile, or the keeper dies, nothing is left.
    """
    place = slot(project, platform.id)
    place.forget()
    place.workdir.mkdir(parents=True)
    token = secrets.token_hex(3)
    cmd = [sys.executable, *KEEPER, str(project.root), platform.id, token, origin]
    pid = launch(cmd, place.log)
    try:
        return _wait_for_record(pid, place)
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):  # tox forwards a second interrupt: ignore it
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if alive(pid):  # not once it has ended: its pid may be another process's by now
            _stop(pid)
        exit_code(pid)  # reap it
        name = Session(project.role.name, run_id(project.root), token).name(platform.id)
        _remove_container(name, platform.kind)
        place.forget(keep_log=not isinstance(error, KeyboardInterrupt))  # the log says why
        raise


def _wait_for_record(pid: int, place: Slot) -> Kept:
    """Wait for the keeper's record; raise its last line if it exits first."""
    while (code := exit_code(pid)) is None:
        kept = place.read()
        if kept is not None and kept.keeper == pid:
            return kept
        time.sleep(POLL)
    line = last_line(place.log.read_text(encoding="utf-8", errors="replace"))
    if code == EXIT_USAGE:  # the keeper's own one-line errors
        raise ConfigError(line)
    if code == EXIT_ENVIRONMENT:
        raise SetupError(line)
    msg = (
        f"the keeper of {place.platform} exited ({code}) before the machine was up: "
        f"{line}: see {place.log}"
    )
    raise SetupError(msg)


def _stop(pid: int) -> None:
    """Ask keeper ``pid`` to remove its machine; kill it if it takes too long."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while exit_code(pid) is None:
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = math.inf
        time.sleep(POLL)


def _remove_container(name: str, kind: str) -> None:
    """Remove the container ``name`` if it is still there (a keeper that was killed)."""
    if kind == "container":
        with contextlib.suppress(ModskelError):
            engine = container.detect()
            engine.run(*engine.remove_args, name)


def machine_alive(kept: Kept) -> bool:
    """Whether the kept machine still answers (an engine or ssh that hangs counts as alive)."""
    try:
        return kept.attach().sh("true", timeout=15).returncode == 0
    except subprocess.TimeoutExpired:
        return True


def destroy(place: Slot, kept: Kept) -> None:
    """Stop the keeper (it removes the machine), make sure a container is gone, forget it."""
    if alive(kept.keeper):
        _stop(kept.keeper)
    if kept.target.get("type") == "container":  # the keeper may have been killed
        engine = container.ENGINES.get(str(kept.target.get("engine")))
        if engine is not None:
            engine.run(*engine.remove_args, kept.name)
    place.forget()


def current(place: Slot, say: Say = _nothing) -> Kept | None:
    """Return the machine kept in ``place``, or None; forget it (saying so) if it is gone."""
    kept = place.read()
    if kept is None:
        return None
    if not alive(kept.keeper):
        destroy(place, kept)
        say(f"{kept.platform}: the keeper of the kept machine is gone (killed?); "
            "removed what was left and forgot it")  # fmt: skip
        return None
    if not machine_alive(kept):
        destroy(place, kept)
        say(f"{kept.platform}: kept machine is gone (removed outside modskel); forgot it")
        return None
    return kept


def kept_machines(project: Project, say: Say = _nothing) -> list[Kept]:
    """Return every machine kept for ``project`` that is still there."""
    return [kept for place in slots(project) if (kept := current(place, say)) is not None]


def orphans(project: Project, known: set[str]) -> list[str]:
    """Return containers labelled as kept for ``project`` that no record names."""
    try:
        engine = container.detect()
    except ModskelError:
        return []
    label = f"{container.RUN_LABEL}={run_id(project.root)}"
    listed = engine.run("ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}")
    return [name for name in listed.stdout.split() if name not in known]


def destroy_all(project: Project, say: Say = _nothing) -> list[str]:
    """Destroy every machine kept for ``project``, and kept containers without a record."""
    names = []
    for place in slots(project):
        kept = place.read()
        if kept is None:  # a record no keeper could have written: nothing to stop
            place.forget()
            continue
        destroy(place, kept)
        names.append(kept.name)
        say(f"{kept.platform}: destroyed {kept.name} ({kept.engine})")
    for name in orphans(project, set()):
        _remove_container(name, "container")
        names.append(name)
        say(f"removed {name}, a kept container without a record")
    return names
