"""What every driver hands the harness: a machine to converge and verify."""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from testinfra.host import Host


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


@dataclass(frozen=True)
class Session:
    """One test session's identity: which project, which run (shared by xdist workers)."""

    project: str
    run_id: str
    token: str = field(default_factory=lambda: secrets.token_hex(3))

    def name(self, platform_id: str) -> str:
        """Return a unique name for this session's machine of ``platform_id``."""
        return f"modskel-{self.project}-{platform_id}-{self.token}"
