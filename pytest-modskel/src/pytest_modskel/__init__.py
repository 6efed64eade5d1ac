"""pytest-modskel: the test harness of modskel-generated Ansible roles.

A pytest plugin (entry point ``pytest11: modskel``) that gets one machine per
platform (a container, a qemu VM, or a machine you name), converges the role
twice (the second run must change nothing), and hands testinfra a ``host`` to
verify; plus the ``modskel`` command line for reports and upkeep.

Layout, from the plugin down:

- :mod:`pytest_modskel.plugin`: hooks and fixtures (``host``, ``converge``, ...);
- :mod:`pytest_modskel.drivers`: machines by platform kind, from the
  ``modskel.drivers`` entry points (container, vm, ssh);
- :mod:`pytest_modskel.runner`: ansible-playbook and its structured results;
- :mod:`pytest_modskel.images`: offline images built with debootstrap;
- :mod:`pytest_modskel.commands`: ``modskel`` subcommands (coverage, docs, ...);
- :mod:`pytest_modskel.project`, :mod:`pytest_modskel.platforms`: the project
  and its platforms, checked against their schemas;
- :mod:`pytest_modskel.errors`: the one exception tree.

Public API for tests of a role::

    from pytest_modskel import Converge, Project, assert_idempotent
"""

from __future__ import annotations

__version__ = "0.2.0"

from pytest_modskel.errors import ModskelError
from pytest_modskel.plugin.fixtures import Converge, assert_idempotent
from pytest_modskel.project import Project, Role
from pytest_modskel.runner.ansible import ansible_bin, ansible_env

__all__ = [
    "Converge",
    "ModskelError",
    "Project",
    "Role",
    "__version__",
    "ansible_bin",
    "ansible_env",
    "assert_idempotent",
]
