"""Kept machines: a target written down, so that another process can reach it again.

``modskel dev`` keeps a machine in a keeper process (:mod:`pytest_modskel.commands.keeper`);
every other command attaches to it from its record. A record describes the
target, not how it was started:

- a container: the engine's binary, its name, the Python Ansible uses;
- a machine over ssh (a qemu guest, a given host): the fields of
  :class:`~pytest_modskel.drivers.ssh.SshTarget`.

>>> from pytest_modskel.drivers.container import ENGINES, Container
>>> describe(Container(ENGINES["podman"], "box", "/usr/bin/python3"))
{'type': 'container', 'engine': 'podman', 'name': 'box', 'python': '/usr/bin/python3'}
>>> attach(_) == Container(ENGINES["podman"], "box", "/usr/bin/python3")
True
"""

from __future__ import annotations

import shlex
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pytest_modskel.drivers.base import Target
from pytest_modskel.drivers.container import ENGINES, Container
from pytest_modskel.drivers.ssh import Address, SshTarget
from pytest_modskel.errors import ConfigError

KEPT_PREFIX = "kept:"  # the run label of kept machines: kept:<project root>


def run_id(root: Path) -> str:
    """Return the run label of the machines kept for the project at ``root``."""
    return f"{KEPT_PREFIX}{root.resolve()}"


def describe(target: Target) -> dict[str, Any]:
    """Return what another process needs to reach ``target`` (JSON-ready)."""
    if isinstance(target, Container):
        return {
            "type": "container",
            "engine": target.engine.binary,
            "name": target.name,
            "python": target.python,
        }
    if isinstance(target, SshTarget):
        return {
            "type": "ssh",
            "name": target.name,
            "ssh_config": str(target.ssh_config),
            "address": asdict(target.address),
            "python": target.python,
            "become": target.become,
        }
    msg = (
        f"machine {target.name} is a {type(target).__name__}, which modskel dev cannot keep "
        "(it keeps containers and machines reached over ssh): test it with tox -e integration"
    )
    raise ConfigError(msg)


def attach(described: dict[str, Any]) -> Target:
    """Return the target ``described`` (by :func:`describe`)."""
    kind = described.get("type")
    if kind == "container" and described.get("engine") in ENGINES:
        engine = ENGINES[described["engine"]]
        return Container(engine, str(described["name"]), str(described["python"]))
    if kind == "ssh":
        return SshTarget(
            str(described["name"]),
            Path(described["ssh_config"]),
            Address(**described["address"]),
            str(described["python"]),
            bool(described["become"]),
        )
    msg = (
        f"a kept machine's record describes an unknown machine {described!r}: "
        "remove it with modskel dev destroy --all"
    )
    raise ConfigError(msg)


# Bash where the machine has it, else sh.
SHELL = "command -v bash >/dev/null && exec bash -l || exec sh -l"


def login_command(target: Target, command: list[str] | None = None) -> list[str]:
    """Return the command that opens a shell on ``target``, or runs ``command`` there."""
    if isinstance(target, Container):
        run = command or ["sh", "-c", SHELL]
        return [target.engine.binary, "exec", "-i" if command else "-it", target.name, *run]
    if isinstance(target, SshTarget):
        return ["ssh", "-F", str(target.ssh_config), target.name, *(command or [])]
    describe(target)  # raises: not a machine modskel keeps
    raise AssertionError  # pragma: no cover - describe raised


def login_hint(target: Target) -> str:
    """Return the login command to show a user (a container's shell: bash)."""
    if isinstance(target, Container):
        return f"{target.engine.binary} exec -it {target.name} bash"
    return shlex.join(login_command(target))


__all__ = ["KEPT_PREFIX", "SHELL", "attach", "describe", "login_command", "login_hint", "run_id"]
