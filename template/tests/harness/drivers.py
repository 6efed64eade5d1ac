"""Drivers, by platform kind: how the harness gets a machine to test.

Each driver checks its prerequisites before anything starts (``preflight``),
starts or reaches one machine per platform and session (``start``, a context
manager that always cleans up), and on Ctrl-C tears down what this process
started (``remove_live``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from harness import engines, qemu, ssh
from harness.errors import HarnessError
from harness.platforms import Platform
from harness.targets import Session, Target


@dataclass(frozen=True)
class Driver:
    """How machines of one platform kind are started, checked and torn down."""

    summary: str
    preflight: Callable[[list[Platform]], None]
    start: Callable[[Platform, Path, Session], AbstractContextManager[Target]]
    remove_live: Callable[[], None]


DRIVERS: dict[str, Driver] = {
    "container": Driver(
        "a podman or docker container, removed afterwards",
        engines.preflight, engines.started, engines.remove_live,
    ),
    "vm": Driver(
        "a qemu virtual machine on a throw-away overlay, powered off afterwards",
        qemu.preflight, qemu.booted, qemu.remove_live,
    ),
    "ssh": Driver(
        "a machine you already have, reached over ssh; left as it is",
        ssh.preflight, ssh.reached, lambda: None,
    ),
}  # fmt: skip


def driver(platform: Platform) -> Driver:
    """Return the driver of ``platform``'s kind."""
    try:
        return DRIVERS[platform.kind]
    except KeyError:
        msg = (
            f"platform {platform.id} has unknown kind {platform.kind!r}: "
            f"use one of {', '.join(DRIVERS)} in platforms.yml"
        )
        raise HarnessError(msg) from None


def preflight(platforms: list[Platform]) -> None:
    """Run every driver's pre-flight check on the platforms of its kind."""
    kinds = {p.kind: driver(p) for p in platforms}
    for kind, found in kinds.items():
        found.preflight([p for p in platforms if p.kind == kind])


def remove_live() -> None:
    """Tear down every machine this process started (Ctrl-C, SIGTERM)."""
    for found in DRIVERS.values():
        found.remove_live()
