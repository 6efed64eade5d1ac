"""The driver contract: what a driver provides, and the machine it hands back.

A driver is one :class:`Driver` object, registered under a platform kind in
the ``modskel.drivers`` entry-point group::

    [project.entry-points."modskel.drivers"]
    lxd = "modskel_lxd:DRIVER"

A platform with ``kind: lxd`` is then started by it; modskel needs no change.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from testinfra.host import Host

    from pytest_modskel.platforms import Platform

RUN_ENV = "MODSKEL_RUN_ID"  # one test run: shared by its controller and xdist workers


class Target(Protocol):
    """A machine under test, however it was started (container, VM, given host)."""

    @property
    def name(self) -> str:
        """The machine's name in the inventory."""

    @property
    def python(self) -> str:
        """The Python interpreter Ansible uses on it."""

    def sh(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a shell command on the machine as root."""

    def inventory_line(self) -> str:
        """Return the machine's line in an Ansible INI inventory."""

    def testinfra_host(self) -> Host:
        """Return a testinfra host on the machine."""

    def with_python(self, python: str) -> Target:
        """Return the same machine, with Ansible using ``python``."""


@dataclass(frozen=True)
class Session:
    """One test session's identity: which project, which run (shared by xdist workers)."""

    project: str
    run_id: str
    token: str = field(default_factory=lambda: secrets.token_hex(3))

    def name(self, platform_id: str) -> str:
        """Return a unique name for this session's machine of ``platform_id``."""
        return f"modskel-{self.project}-{platform_id}-{self.token}"


def _nothing() -> None:
    """Leave everything as it is (drivers that start nothing)."""


@dataclass(frozen=True)
class Driver:
    """How machines of one platform kind are checked, started and torn down.

    Attributes:
        summary: one line for ``modskel drivers`` and the docs.
        preflight: checks tools and images for these platforms before anything
            starts; raises a ModskelError naming the fix.
        start: a context manager that yields a running :class:`Target` for a
            platform (in a work folder, for a session) and always cleans up.
        remove_live: tears down what this process started (Ctrl-C, SIGTERM).
    """

    summary: str
    preflight: Callable[[list[Platform]], None]
    start: Callable[[Platform, Path, Session], AbstractContextManager[Target]]
    remove_live: Callable[[], None] = _nothing
