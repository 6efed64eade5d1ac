"""Machines reached over ssh: the qemu driver's guests and machines you already have.

The ssh driver tests hosts given with ``--hosts`` (or MODSKEL_HOSTS): either
``ssh://[user@]host[:port]`` entries, comma-separated, or an Ansible inventory
file. It converges, checks idempotence and verifies; it never creates or
destroys the machine. ``--ssh-config`` (e.g. the output of ``vagrant
ssh-config``) and ``--ssh-identity-file`` say how to log in. These three are
testinfra's own options; the harness gives Ansible the same settings.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pytest_modskel.drivers.base import Driver, Session
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.platforms import Platform
from pytest_modskel.runner.ansible import ansible_bin
from pytest_modskel.text import last_line

if TYPE_CHECKING:
    from testinfra.host import Host

CONFIG_VAR = "MODSKEL_SSH_CONFIG"  # an ssh_config file to include (e.g. `vagrant ssh-config`)
# Throw-away test machines: their host keys are new on every boot.
OPTIONS = (
    "StrictHostKeyChecking no",
    "UserKnownHostsFile /dev/null",
    "LogLevel ERROR",
    "BatchMode yes",
    "ConnectTimeout 10",
    # One connection per machine, reused by every testinfra check.
    "ControlMaster auto",
    "ControlPath /tmp/modskel-ssh-%C",
    "ControlPersist 60s",
)


@dataclass(frozen=True)
class Address:
    """How to log in to one machine; empty fields are left to ssh's configuration."""

    host: str
    user: str = ""
    port: int = 0
    key: str = ""

    @property
    def url(self) -> str:
        """Return the address as ``ssh://[user@]host[:port]``."""
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6
        return f"ssh://{user}{host}{f':{self.port}' if self.port else ''}"

    def config(self, alias: str, include: Path | None = None) -> str:
        """Return an ssh_config block that makes ``alias`` reach this machine."""
        lines = [f"Include {include.resolve()}"] if include else []
        lines += [f"Host {alias}", f"  HostName {self.host}"]
        lines += [f"  User {self.user}"] if self.user else []
        lines += [f"  Port {self.port}"] if self.port else []
        lines += [f"  IdentityFile {self.key}", "  IdentitiesOnly yes"] if self.key else []
        return "\n".join([*lines, *(f"  {o}" for o in OPTIONS), ""])


@dataclass(frozen=True)
class SshTarget:
    """A machine Ansible and testinfra reach through one ssh_config file."""

    name: str
    ssh_config: Path
    address: Address
    python: str = "auto_silent"
    become: bool = False

    @classmethod
    def configured(
        cls, alias: str, address: Address, workdir: Path, include: Path | None = None
    ) -> SshTarget:
        """Write ``workdir/ssh_config`` for ``address`` under ``alias``; return the target."""
        config = workdir / "ssh_config"
        config.write_text(address.config(alias, include), encoding="utf-8")
        return cls(alias, config, address)

    def with_python(self, python: str) -> SshTarget:
        """Return the same machine, with Ansible using ``python``."""
        return replace(self, python=python)

    def sh(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a shell command on the machine (as root when ``become``)."""
        remote = f"sudo -n sh -c {shlex.quote(command)}" if self.become else command
        cmd = ["ssh", "-F", str(self.ssh_config), self.name, remote]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)

    def inventory_line(self) -> str:
        """Return this machine's line in an Ansible INI inventory."""
        become = " ansible_become=true" * self.become
        return (
            f"{self.name} ansible_connection=ssh ansible_ssh_pipelining=true "
            f"ansible_ssh_common_args='-F {self.ssh_config}' "
            f"ansible_python_interpreter={self.python}{become}"
        )

    def testinfra_host(self) -> Host:
        """Return a testinfra host on this machine."""
        import testinfra  # noqa: PLC0415 - only integration tests need testinfra

        return testinfra.get_host(
            f"ssh://{self.name}", ssh_config=str(self.ssh_config), sudo=self.become
        )


def parse_url(entry: str, key: str = "") -> Address:
    """Parse ``ssh://[user@]host[:port]`` into an Address."""
    url = urlsplit(entry if "://" in entry else f"ssh://{entry}")
    try:
        port = url.port or 0
    except ValueError:
        port = -1
    if url.scheme != "ssh" or not url.hostname or port < 0 or url.path not in ("", "/"):
        msg = f"host {entry!r} is not an ssh address: write ssh://[user@]host[:port]"
        raise ConfigError(msg)
    return Address(url.hostname, url.username or "", port, key)


def from_inventory(path: Path, key: str = "") -> list[tuple[str, Address]]:
    """Read hosts and their ssh settings from an Ansible inventory file."""
    done = subprocess.run(
        [ansible_bin("ansible-inventory"), "-i", str(path), "--list"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    hostvars = json.loads(done.stdout or "{}").get("_meta", {}).get("hostvars", {})
    if done.returncode != 0 or not hostvars:
        msg = f"inventory {path} lists no host: give hosts as ssh://user@host or fix the inventory"
        raise ConfigError(msg)
    return [
        (name, Address(
            str(v.get("ansible_host", name)), str(v.get("ansible_user", "")),
            int(v.get("ansible_port", 0)), str(v.get("ansible_ssh_private_key_file", key)),
        ))
        for name, v in hostvars.items()
    ]  # fmt: skip


def hosts_as_platforms(hosts: str, key: str = "") -> list[Platform]:
    """Turn ``--hosts`` into platforms of kind ``ssh``, one per machine."""
    path = Path(hosts)
    if "://" not in hosts and path.is_file():
        pairs = from_inventory(path, key)
    else:
        addresses = [parse_url(e.strip(), key) for e in hosts.split(",") if e.strip()]
        pairs = [(a.host if not a.port else f"{a.host}-{a.port}", a) for a in addresses]
    return [
        Platform(id=alias, name=alias, image=address.url, bootstrap="apt",
                 kind="ssh", systemd=True, key=address.key)
        for alias, address in pairs
    ]  # fmt: skip


def wait_for_ssh(target: SshTarget) -> str | None:
    """Try one login; return None when it works, else ssh's last error line."""
    try:
        done = target.sh("true", timeout=15)
    except subprocess.TimeoutExpired:
        return "no answer in 15 s"
    return None if done.returncode == 0 else last_line(done.stderr, f"exit {done.returncode}")


def preflight(platforms: list[Platform]) -> None:
    """Check that an ssh client is installed."""
    if platforms and shutil.which("ssh") is None:
        msg = "ssh is not installed, needed to reach test machines: apt-get install openssh-client"
        raise SetupError(msg)


@contextmanager
def reached(platform: Platform, workdir: Path, session: Session) -> Iterator[SshTarget]:  # noqa: ARG001
    """Reach a given machine; it is neither created nor destroyed."""
    include = os.environ.get(CONFIG_VAR)
    address = parse_url(platform.image, platform.key)
    target = SshTarget.configured(platform.id, address, workdir, Path(include) if include else None)
    if (problem := wait_for_ssh(target)) is not None:
        msg = (
            f"cannot log in to {platform.id} over ssh ({problem}): "
            "check --hosts and --ssh-identity-file"
        )
        raise SetupError(msg)
    user = target.sh("id -u").stdout.strip()
    yield replace(target, become=user != "0")


DRIVER = Driver(
    summary="a machine you already have, reached over ssh; left as it is",
    preflight=preflight,
    start=reached,
)
