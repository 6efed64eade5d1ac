"""The pytest plugin: registered through the ``pytest11`` entry point as ``modskel``.

It is active in a role project (a folder with ``meta/main.yml``) and inert
elsewhere. Tests ask for ``host`` (a testinfra host on a converged machine);
the harness does the rest, once per platform: start the machine with the
driver of the platform's kind, install Python if it lacks it, converge the
role twice, and always clean up what it started. See :mod:`.fixtures`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest

from pytest_modskel import drivers
from pytest_modskel.drivers import container, qemu, ssh
from pytest_modskel.drivers.base import RUN_ENV
from pytest_modskel.errors import ModskelError
from pytest_modskel.platforms import Platform, load, select
from pytest_modskel.plugin import fixtures
from pytest_modskel.plugin.report import note
from pytest_modskel.plugin.state import ACTIVE, NARROWED, PLATFORMS, PROJECT, SELECTED, platform_of
from pytest_modskel.project import Project

pytest_plugins = ["pytest_modskel.plugin.report", "pytest_modskel.plugin.keep"]
# [tool.modskel.vm] settings, handed to the drivers (and xdist workers) as these variables.
VM_VARIABLES = {"accel": qemu.ACCEL_VAR, "boot_timeout": qemu.TIMEOUT_VAR,
                "memory": qemu.MEMORY_VAR, "cpus": qemu.CPUS_VAR}  # fmt: skip


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the harness's command-line options."""
    group = parser.getgroup("modskel", "modskel integration harness")
    group.addoption(
        "--platforms",
        default=os.environ.get("MODSKEL_PLATFORMS", ""),
        help="comma-separated platform ids to test (default: all; env MODSKEL_PLATFORMS)",
    )
    # --hosts, --ssh-config and --ssh-identity-file are testinfra's own options:
    # the harness converges the machines they name (the ssh driver).


def _terminate(signum: int, _frame: object) -> NoReturn:
    signal.signal(signum, signal.SIG_IGN)  # once: let the clean-up that follows finish
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    """In a role project: turn SIGTERM into KeyboardInterrupt and share a run id."""
    try:
        project = Project.find(config.rootpath)
    except ModskelError:
        config.stash[ACTIVE] = False  # not a role project: stay out of the way
        return
    config.stash[ACTIVE], config.stash[PROJECT] = True, project
    importable(project)
    # Registered now, after every entry-point plugin: its ``host`` is the one
    # tests get, not testinfra's (whose --hosts options the harness still uses).
    config.pluginmanager.register(fixtures, "modskel.fixtures")
    signal.signal(signal.SIGTERM, _terminate)
    os.environ.setdefault(RUN_ENV, secrets.token_hex(6))  # workers inherit it
    if ssh_config := config.getoption("ssh_config", None):
        os.environ[ssh.CONFIG_VAR] = str(os.path.abspath(ssh_config))  # noqa: PTH100
    try:
        for key, variable in VM_VARIABLES.items():
            if (value := project.setting("vm", key)) is not None:
                os.environ.setdefault(variable, str(value))
        platforms_of(config)  # a bad platform or option is a usage error, said once
    except ModskelError as error:
        raise pytest.UsageError(str(error)) from None


def importable(project: Project) -> None:
    """In a collection, make ``ansible_collections.<namespace>.<name>`` importable by tests.

    Unit tests import the collection's modules and plugins by that name, as
    Ansible does. The project is linked in the tox env (``TOX_ENV_DIR``), the
    folder ``modskel collections`` links it in and tox puts on
    ``ANSIBLE_COLLECTIONS_PATH``, or in a temporary folder outside tox.
    """
    if project.kind.id != "collection":
        return
    folder = Path(os.environ.get("TOX_ENV_DIR") or tempfile.mkdtemp(prefix="modskel-"))
    parent = str(project.install(folder).parents[2])  # the folder above ansible_collections
    if parent not in sys.path:
        sys.path.insert(0, parent)


def given_hosts(config: pytest.Config) -> str:
    """Return testinfra's ``--hosts`` (or MODSKEL_HOSTS): machines for the ssh driver."""
    return str(config.getoption("hosts", None) or os.environ.get("MODSKEL_HOSTS", ""))


def platforms_of(config: pytest.Config) -> list[Platform]:
    """Return the platforms this run tests: given hosts, or the selected platforms (once)."""
    if PLATFORMS not in config.stash:
        if hosts := given_hosts(config):
            key = config.getoption("ssh_identity_file", None) or ""
            config.stash[PLATFORMS] = ssh.hosts_as_platforms(hosts, key)
        else:
            selected = select(load(config.stash[PROJECT]), config.getoption("platforms"))
            config.stash[PLATFORMS] = selected
    return config.stash[PLATFORMS]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize tests that use a platform over the selected platforms."""
    if "platform" not in metafunc.fixturenames or not metafunc.config.stash.get(ACTIVE, False):
        return
    try:
        platforms = platforms_of(metafunc.config)
    except ModskelError as error:
        raise pytest.UsageError(str(error)) from None
    metafunc.parametrize("platform", platforms, ids=[p.id for p in platforms], scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep each platform's tests on one xdist worker; run tests using ``verified`` last."""
    if not config.stash.get(ACTIVE, False):
        return
    for item in items:
        if (platform := platform_of(item)) is not None:
            xdist_group(item, platform.id)
    items.sort(key=lambda item: "verified" in getattr(item, "fixturenames", ()))  # stable
    picked = any("::" in arg or os.path.isfile(arg.partition("::")[0]) for arg in config.args)  # noqa: PTH113
    config.stash[NARROWED] = config.stash.get(NARROWED, False) or picked


def xdist_group(item: pytest.Item, name: str) -> None:
    """Mark ``item`` for xdist's group ``name`` (``--dist loadgroup`` keeps a group on one worker).

    pytest-xdist 3.8 tells its scheduler the group by appending ``@name`` to the
    node id through an attribute pytest 9 no longer reads (its ids are
    ``NodeId`` objects); the id gets the suffix here then, as xdist means it to.
    """
    item.add_marker(pytest.mark.xdist_group(name))
    node_id = getattr(item, "_id", None)
    grouped = item.config.getoption("loadgroup", default=False)  # xdist's, if installed
    if grouped and node_id is not None and "@" not in item.nodeid:
        item._id = type(node_id).parse(f"{item.nodeid}@{name}")  # noqa: SLF001 - see above


def pytest_deselected(items: list[pytest.Item]) -> None:
    """A run that leaves tests out (-k, -m, --deselect, --lf) is narrowed."""
    if items:
        items[0].config.stash[NARROWED] = True


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember the platforms the selected tests use; say how VMs among them will run."""
    used = {p.id: p for item in session.items if (p := platform_of(item)) is not None}
    session.config.stash[SELECTED] = list(used.values())
    if any(p.kind == "vm" for p in used.values()):
        with contextlib.suppress(ModskelError):  # pre-flight reports a bad setting once
            how, why = qemu.accel()
            note(session.config, f"virtual machines use {how.upper()} ({why})")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In the controlling process, remove what a dead xdist worker left behind."""
    config = session.config
    distributed = getattr(config.option, "dist", "no") != "no"  # xdist: workers collect
    if hasattr(config, "workerinput") or not config.stash.get(ACTIVE, False):
        return
    selected: list[Platform] = config.stash.get(SELECTED, [])
    if not (distributed or selected):
        return
    with contextlib.suppress(ModskelError):
        container.clean(container.detect(), run_id=os.environ[RUN_ENV])


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt() -> None:
    """On Ctrl-C or SIGTERM, remove machines before anything else can fail.

    Further interrupts are ignored (tox forwards one), and removal happens before
    pytest prints: if tox has died, printing raises BrokenPipeError.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    drivers.remove_live()
