"""The names tests used from the vendored harness (``tests/harness``), before v0.2.0.

Roles generated before the harness became this package have author-owned
tests that import ``from harness.ansible import PROJECT_ROOT, Role, ansible_bin,
ansible_env``. The v0.2.0 migration points those imports here, so the tests
keep working unchanged; new tests use :mod:`pytest_modskel` instead.
"""

from __future__ import annotations

from pathlib import Path

from pytest_modskel.project import Project
from pytest_modskel.project import Role as _Role
from pytest_modskel.runner import ansible
from pytest_modskel.runner.ansible import ansible_bin

PROJECT_ROOT = Project.find().root


class Role(_Role):
    """The role under test, with the old ``Role.from_meta()`` constructor."""

    @classmethod
    def from_meta(cls, root: Path = PROJECT_ROOT) -> Role:
        """Read the role's namespace and name from ``meta/main.yml``."""
        role = Project(root).role
        return cls(role.namespace, role.name)


def ansible_env(workdir: Path, role: _Role | None = None) -> dict[str, str]:  # noqa: ARG001
    """Return the environment for ansible commands (the role comes from meta/main.yml)."""
    return ansible.ansible_env(Project(PROJECT_ROOT), workdir)


__all__ = ["PROJECT_ROOT", "Role", "ansible_bin", "ansible_env"]
