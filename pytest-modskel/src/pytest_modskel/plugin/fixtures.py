"""The fixtures tests use: ``platform``, ``instance``, ``converge``, ``host``, ``systemd``.

``platform`` is parametrized by the plugin over the selected platforms, one
session-scoped machine each. A machine that fails to start fails the tests of
its own platform; the other platforms go on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_modskel import drivers
from pytest_modskel.commands import task_coverage
from pytest_modskel.drivers.base import RUN_ENV, Session, Target
from pytest_modskel.errors import ModskelError, SetupError
from pytest_modskel.platforms import Platform
from pytest_modskel.plugin import keep
from pytest_modskel.plugin.converge import (
    Converge,
    assert_idempotent,
    opted_out_note,
    report_failure_once,
)
from pytest_modskel.plugin.report import add_time, note, progress, timed
from pytest_modskel.plugin.state import NARROWED, PROJECT, SELECTED, VERIFIED, platform_of
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import run_playbook
from pytest_modskel.text import last_line

if TYPE_CHECKING:
    from testinfra.host import Host


@pytest.fixture(scope="session")
def modskel_project(pytestconfig: pytest.Config) -> Project:
    """The role project under test."""
    return pytestconfig.stash[PROJECT]


@pytest.fixture(scope="session")
def preflight(pytestconfig: pytest.Config) -> None:
    """Check every selected platform's driver, tools and image before any machine starts.

    A failure stops the session with one line: nothing could run anyway.
    Machines kept by ``modskel dev`` (``--modskel-kept``) are up already.
    """
    if keep.attached_mode(pytestconfig):
        return
    try:
        drivers.preflight(pytestconfig.stash.get(SELECTED, []))
    except ModskelError as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)


def ensure_python(target: Target, platform: Platform) -> Target:
    """Install Python with the platform's bootstrap if missing; record its path."""
    found = target.sh("command -v python3")
    if found.returncode != 0:
        boot = target.sh(platform.bootstrap_command)
        if boot.returncode != 0:
            msg = f"could not install Python on {platform.id}: {last_line(boot.stderr)}"
            raise SetupError(msg)
        found = target.sh("command -v python3")
    # A known interpreter spares Ansible its discovery round trip on every run.
    return target.with_python(found.stdout.strip() or "auto_silent")


@pytest.fixture(scope="session")
def instance(
    preflight: None,  # noqa: ARG001 - pre-flight must pass first
    platform: Platform,
    modskel_project: Project,
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Target]:
    """A machine of ``platform`` with Python, cleaned up afterwards (unless kept: see keep.py)."""
    session = Session(modskel_project.role.name, os.environ[RUN_ENV])
    workdir = tmp_path_factory.mktemp(f"machine-{platform.id}")
    started = time.monotonic()
    phase = "attach" if keep.attached_mode(pytestconfig) else "start"
    progress(pytestconfig, platform.id, phase)
    try:
        with keep.machine(pytestconfig, platform, workdir, session) as target:
            ready = ensure_python(target, platform)
            add_time(pytestconfig, platform.id, phase, time.monotonic() - started)
            yield ready
    except ModskelError as error:
        msg = f"{platform.id}: {error}"
        raise pytest.fail.Exception(msg, pytrace=False) from None


@pytest.fixture(scope="session")
def converged(
    instance: Target,
    platform: Platform,
    modskel_project: Project,
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
) -> Converge:
    """Converge the role on ``instance``, and again in --diff mode if the first passed.

    On a machine ``modskel dev`` keeps (``--modskel-kept``): its last converges, as recorded.
    """
    if (kept := keep.recorded(pytestconfig, platform, instance)) is not None:
        return kept
    workdir = tmp_path_factory.mktemp(f"converge-{platform.id}")
    inventory = workdir / "inventory.ini"
    inventory.write_text(f"{instance.inventory_line()}\n", encoding="utf-8")
    progress(pytestconfig, platform.id, "converge")
    with timed(pytestconfig, platform.id, "converge"):
        first = run_playbook(modskel_project, inventory, workdir)
    task_coverage.save(modskel_project, platform.id, first.results)
    if first.returncode != 0:
        keep.record(pytestconfig, platform, first, None)
        return Converge(platform, instance, first, None)
    progress(pytestconfig, platform.id, "idempotence")
    with timed(pytestconfig, platform.id, "idempotence"):
        second = run_playbook(modskel_project, inventory, workdir, diff=True)
    task_coverage.save(modskel_project, platform.id, first.results + second.results)
    keep.record(pytestconfig, platform, first, second)
    result = Converge(platform, instance, first, second)
    if line := opted_out_note(result):
        note(pytestconfig, line)
    progress(pytestconfig, platform.id, "verify")
    return result


@pytest.fixture
def converge(converged: Converge, pytestconfig: pytest.Config) -> Converge:
    """The converges of this platform; a failed first converge is an error, reported once."""
    if converged.failed:
        report_failure_once(pytestconfig, converged)
    return converged


@pytest.fixture
def host(converge: Converge) -> Host:
    """A testinfra host for the converged machine of this platform."""
    return converge.target.testinfra_host()


@pytest.fixture
def systemd(platform: Platform) -> None:
    """Skip a test on platforms where systemd is not PID 1 (containers)."""
    if not platform.systemd:
        pytest.skip(
            f"{platform.id} does not run systemd: set systemd = true in "
            f"[tool.modskel.platforms.{platform.id}] of pyproject.toml to check services"
        )


@pytest.fixture
def verified(
    converge: Converge,  # noqa: ARG001 - a failed converge is the error to report
    platform: Platform,
    pytestconfig: pytest.Config,
) -> list[str]:
    """The tests that used this platform's ``host`` so far (the plugin runs users last).

    In a run narrowed with -k, -m or test ids, a platform nobody verified is
    not a failure: the test using this fixture is skipped instead.
    """
    ran = pytestconfig.stash.get(VERIFIED, {}).get(platform.id, [])
    if not ran and pytestconfig.stash.get(NARROWED, False):
        pytest.skip(f"{platform.id}: no testinfra test selected in this narrowed run")
    return ran


def unverified(platform: Platform) -> str:
    """Say that no testinfra test checked ``platform``, and where to write one."""
    return (
        f"no testinfra test checked {platform.id} after converging: write one in "
        "tests/integration/test_role.py, a function taking `host` "
        "(e.g. `assert host.service('nginx').is_running`); see docs/harness.md"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Record each verify test (a test using ``host``) and add its time to its platform."""
    platform = platform_of(item)
    if platform is None or "host" not in getattr(item, "fixturenames", ()):
        return (yield)
    item.config.stash.setdefault(VERIFIED, {}).setdefault(platform.id, []).append(item.nodeid)
    with timed(item.config, platform.id, "verify"):
        return (yield)


__all__ = ["Converge", "assert_idempotent", "unverified"]
