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

    from pytest_modskel import Converge, Project, assert_idempotent, render_template, unverified
"""

from __future__ import annotations

__version__ = "0.2.0"

from typing import TYPE_CHECKING

from pytest_modskel.errors import ModskelError
from pytest_modskel.project import Project, Role
from pytest_modskel.runner.ansible import ansible_bin, ansible_env

if TYPE_CHECKING:
    from pytest_modskel.modules import ModuleResult, run_module
    from pytest_modskel.plugin.fixtures import Converge, assert_idempotent, unverified
    from pytest_modskel.render import render_template

# The plugin's names import pytest: loaded on first use, so that the
# ``modskel`` command (run before every tox env) starts in a fraction of the time.
_FROM_PLUGIN = frozenset({"Converge", "assert_idempotent", "unverified"})


def __getattr__(name: str) -> object:
    if name == "render_template":
        from pytest_modskel import render  # noqa: PLC0415 - imports Ansible's plugin loader

        return render.render_template
    if name in _FROM_PLUGIN:
        from pytest_modskel.plugin import fixtures  # noqa: PLC0415 - see above

        return getattr(fixtures, name)
    if name in {"ModuleResult", "run_module"}:
        from pytest_modskel import modules  # noqa: PLC0415 - only unit tests of modules need it

        return getattr(modules, name)
    message = f"module 'pytest_modskel' has no attribute {name!r}"
    raise AttributeError(message)


__all__ = [
    "Converge",
    "ModskelError",
    "ModuleResult",
    "Project",
    "Role",
    "__version__",
    "ansible_bin",
    "ansible_env",
    "assert_idempotent",
    "render_template",
    "run_module",
    "unverified",
]
