"""Kept machines in a pytest run: ``--keep`` for the gate, ``--modskel-kept`` for ``modskel dev``.

``--keep=never|failure|always`` (env MODSKEL_KEEP; default never): each
platform's machine comes from a keeper process (see ``modskel dev``), so it can
outlive the run. At the end, under ``failure``, the machine of a platform
whose tests all passed is destroyed; every machine still kept is named with
the commands that log in to it and destroy it.

``--modskel-kept`` (what ``modskel dev verify`` runs): tests use the machine
``modskel dev`` keeps, as the last ``modskel dev converge`` left it. Nothing
is converged, and the template's converge checks (``test_idempotence.py``,
which judge a fresh machine) are deselected.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pytest_modskel import drivers
from pytest_modskel.commands.dev import lifecycle
from pytest_modskel.commands.dev.state import GATE, Runs, slot, slots
from pytest_modskel.drivers.base import RUN_ENV, Session, Target
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.platforms import Platform
from pytest_modskel.plugin.converge import Converge
from pytest_modskel.plugin.report import note
from pytest_modskel.plugin.state import ACTIVE, PROJECT, platform_of
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import PlaybookRun

KEEP_VAR = "MODSKEL_KEEP"
MODES = ("never", "failure", "always")
CONVERGE_CHECKS = "test_idempotence.py"  # the template's checks of a fresh machine


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--keep`` and ``--modskel-kept``."""
    group = parser.getgroup("modskel")
    group.addoption(
        "--keep",
        choices=MODES,
        default=None,
        help="keep each platform's machine after the run: never (default), on failure, or "
        f"always; log in with `tox -e dev -- login ID` (env {KEEP_VAR})",
    )
    group.addoption(
        "--modskel-kept",
        action="store_true",
        help="test the machines `modskel dev` keeps, as last converged (modskel dev verify)",
    )


def keep_mode(config: pytest.Config) -> str:
    """Return the ``--keep`` mode (the option, else MODSKEL_KEEP, else never)."""
    value = config.getoption("keep", None) or os.environ.get(KEEP_VAR, "").strip() or "never"
    if value not in MODES:
        msg = f"{KEEP_VAR}={value!r} is not a keep mode: set it to never, failure or always"
        raise ConfigError(msg)
    return str(value)


def attached_mode(config: pytest.Config) -> bool:
    """Whether tests use the machines ``modskel dev`` keeps (``--modskel-kept``)."""
    return bool(config.getoption("modskel_kept", default=False))


def keeping(config: pytest.Config, platform: Platform) -> bool:
    """Whether this run gets ``platform``'s machine from a keeper (ssh hosts are never kept)."""
    return not attached_mode(config) and keep_mode(config) != "never" and platform.kind != "ssh"


@pytest.hookimpl(trylast=True)  # after the plugin's own: it finds the project
def pytest_configure(config: pytest.Config) -> None:
    """Refuse a bad MODSKEL_KEEP once, as a usage error."""
    if not config.stash.get(ACTIVE, False):
        return
    try:
        mode = keep_mode(config)
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    dist = getattr(config.option, "dist", "no")
    if mode != "never" and dist not in ("no", "loadgroup"):
        msg = (
            f"--keep={mode} needs each platform's tests on one worker, not --dist {dist}: "
            "add --dist loadgroup"
        )
        raise pytest.UsageError(msg)


def _attached(project: Project, platform: Platform) -> Target:
    """Return the machine ``modskel dev`` keeps for ``platform``."""
    kept = lifecycle.current(slot(project, platform.id))
    if kept is None:
        msg = f"{platform.id} has no kept machine: start one with tox -e dev -- up {platform.id}"
        raise SetupError(msg)
    return kept.attach()


def _kept_by_this_run(config: pytest.Config, project: Project, platform: Platform) -> Target:
    """Start ``platform``'s machine in a keeper, replacing one kept before."""
    place = slot(project, platform.id)
    if (earlier := lifecycle.current(place)) is not None:
        lifecycle.destroy(place, earlier)
        note(
            config,
            f"{platform.id}: destroyed {earlier.name} (kept before): this run keeps its own",
        )
    return lifecycle.spawn(project, platform, f"{GATE}{os.environ[RUN_ENV]}").attach()


@contextmanager
def machine(
    config: pytest.Config, platform: Platform, workdir: Path, session: Session
) -> Iterator[Target]:
    """Yield ``platform``'s machine: kept by ``modskel dev``, kept by this run, or started here."""
    project: Project = config.stash[PROJECT]
    if attached_mode(config):
        yield _attached(project, platform)
    elif keeping(config, platform):
        yield _kept_by_this_run(config, project, platform)
    else:
        with drivers.driver(platform).start(platform, workdir, session) as target:
            yield target


def recorded(config: pytest.Config, platform: Platform, target: Target) -> Converge | None:
    """With ``--modskel-kept``: the converges ``modskel dev`` recorded; else None."""
    if not attached_mode(config):
        return None
    runs = slot(config.stash[PROJECT], platform.id).runs()
    if runs.converge is None:
        msg = (
            f"nothing converged on the kept machine of {platform.id} yet: "
            f"run tox -e dev -- converge {platform.id}"
        )
        raise pytest.fail.Exception(msg, pytrace=False)
    return Converge(platform, target, runs.converge, runs.idempotence)


def record(
    config: pytest.Config, platform: Platform, first: PlaybookRun, second: PlaybookRun | None
) -> None:
    """Record a gate run's converges on a machine it keeps (for ``modskel dev verify``)."""
    if keeping(config, platform):
        slot(config.stash[PROJECT], platform.id).save_runs(Runs(first, second))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--modskel-kept``, deselect the converge checks: they judge a fresh machine."""
    if not (config.stash.get(ACTIVE, False) and attached_mode(config)):
        return
    left_out = [item for item in items if item.path.name == CONVERGE_CHECKS]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.path.name != CONVERGE_CHECKS]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Mark a kept platform failed when one of its tests fails (xdist workers share the files)."""
    report = yield
    platform = platform_of(item) if report.failed else None
    if platform is not None and keeping(item.config, platform):
        place = slot(item.config.stash[PROJECT], platform.id)
        if place.folder.is_dir():
            place.failed_marker.touch()
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In the controlling process: destroy or name each machine this run kept."""
    config = session.config
    if hasattr(config, "workerinput") or not config.stash.get(ACTIVE, False):
        return
    mode = keep_mode(config)
    if mode == "never" or attached_mode(config):
        return
    origin = f"{GATE}{os.environ.get(RUN_ENV, '')}"
    for place in slots(config.stash[PROJECT]):
        kept = place.read()
        if kept is None or kept.origin != origin:
            continue
        failed = place.failed_marker.exists()
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        if mode == "failure" and not (failed or interrupted):
            lifecycle.destroy(place, kept)
            note(config, f"{kept.platform}: its tests passed: destroyed the kept {kept.name}")
            continue
        why = "a test failed" if failed else "interrupted" if interrupted else "--keep=always"
        note(config, f"{kept.platform}: kept {kept.name} ({why}): log in with "
                     f"`tox -e dev -- login {kept.platform}`, remove it with "
                     f"`tox -e dev -- destroy {kept.platform}`")  # fmt: skip
