"""pytest fixtures of the integration harness.

Tests ask for ``host`` (a testinfra host on a converged machine); the harness
does the rest, once per platform: start the machine with the driver of the
platform's kind (container, qemu VM, or a given ssh host), install Python if it
lacks it, converge the role twice, and always clean up what it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from harness import drivers, qemu, ssh
from harness.ansible import PROJECT_ROOT, PlaybookRun, Role, run_playbook
from harness.engines import RUN_ENV, clean, detect
from harness.errors import HarnessError
from harness.platforms import Platform, load_platforms, select
from harness.targets import Session, Target
from harness.task_coverage import RESULTS as TASK_RESULTS

if TYPE_CHECKING:
    from testinfra.host import Host

CONVERGE = PROJECT_ROOT / "tests" / "integration" / "converge.yml"
SELECTED = pytest.StashKey[list[Platform]]()  # platforms of the selected tests
TIMINGS: dict[str, dict[str, float]] = {}  # platform id -> phase -> seconds


@dataclass(frozen=True)
class Converge:
    """The two converges of one platform: the second must change nothing."""

    platform: Platform
    target: Target
    first: PlaybookRun
    second: PlaybookRun


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


def _platform_of(item: pytest.Item) -> Platform | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("platform") if callspec is not None else None


def _terminate(signum: int, _frame: object) -> NoReturn:
    signal.signal(signum, signal.SIG_IGN)  # once: let the clean-up that follows finish
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    """Turn SIGTERM into KeyboardInterrupt; give the run an id its xdist workers share."""
    signal.signal(signal.SIGTERM, _terminate)
    os.environ.setdefault(RUN_ENV, secrets.token_hex(6))  # workers inherit it
    if ssh_config := config.getoption("ssh_config", None):
        os.environ[ssh.CONFIG_VAR] = str(Path(ssh_config).resolve())


def given_hosts(config: pytest.Config) -> str:
    """Return testinfra's ``--hosts`` (or MODSKEL_HOSTS): machines for the ssh driver."""
    return str(config.getoption("hosts", None) or os.environ.get("MODSKEL_HOSTS", ""))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each platform's tests on one xdist worker (with ``--dist loadgroup``)."""
    for item in items:
        if (platform := _platform_of(item)) is not None:
            item.add_marker(pytest.mark.xdist_group(platform.id))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In the controlling process, remove what a dead xdist worker left behind."""
    config = session.config
    distributed = getattr(config.option, "dist", "no") != "no"  # xdist: workers collect
    if hasattr(config, "workerinput") or not (distributed or config.stash.get(SELECTED, [])):
        return
    with contextlib.suppress(HarnessError):
        clean(detect(), run_id=os.environ[RUN_ENV])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report how long each platform's phases took."""
    for platform_id, phases in TIMINGS.items():
        figures = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in phases.items())
        terminalreporter.write_line(f"modskel: {platform_id}: {figures}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Add each verify test's time (a test using ``host``) to its platform's figures."""
    started = time.monotonic()
    try:
        return (yield)
    finally:
        if (platform := _platform_of(item)) is not None and "host" in item.fixturenames:
            phases = TIMINGS.setdefault(platform.id, {})
            phases["verify"] = phases.get("verify", 0.0) + time.monotonic() - started


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt() -> None:
    """On Ctrl-C or SIGTERM, remove containers before anything else can fail.

    Further interrupts are ignored (tox forwards one), and removal happens before
    pytest prints: if tox has died, printing raises BrokenPipeError.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    drivers.remove_live()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize tests that use a platform over the selected platforms."""
    if "platform" not in metafunc.fixturenames:
        return
    config = metafunc.config
    try:
        if hosts := given_hosts(config):
            key = config.getoption("ssh_identity_file", None) or ""
            platforms = ssh.hosts_as_platforms(hosts, key)
        else:
            platforms = select(load_platforms(), config.getoption("platforms"))
    except HarnessError as error:
        raise pytest.UsageError(str(error)) from None
    metafunc.parametrize("platform", platforms, ids=[p.id for p in platforms], scope="session")


@pytest.fixture(scope="session")
def role() -> Role:
    """The role under test."""
    return Role.from_meta()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember the platforms the selected tests use; say how VMs among them will run."""
    used = {id(p): p for item in session.items if (p := _platform_of(item)) is not None}
    session.config.stash[SELECTED] = list(used.values())
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not any(p.kind == "vm" for p in used.values()):
        return
    with contextlib.suppress(HarnessError):  # pre-flight reports a bad setting once
        how, why = qemu.accel()
        reporter.write_line(f"modskel: virtual machines use {how.upper()} ({why})")


@pytest.fixture(scope="session")
def preflight(pytestconfig: pytest.Config) -> None:
    """Check every selected platform's driver, tools and image before any machine starts.

    A failure stops the session with one line.
    """
    try:
        drivers.preflight(pytestconfig.stash.get(SELECTED, []))
    except HarnessError as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)


def ensure_python(target: Target, platform: Platform) -> Target:
    """Install Python with the platform's bootstrap if missing; record its path."""
    found = target.sh("command -v python3")
    if found.returncode != 0:
        boot = target.sh(platform.bootstrap_command)
        if boot.returncode != 0:
            msg = f"could not install Python on {platform.id}: {boot.stderr.strip()[-300:]}"
            raise HarnessError(msg)
        found = target.sh("command -v python3")
    # A known interpreter spares Ansible its discovery round trip on every run.
    return replace(target, python=found.stdout.strip() or "auto_silent")  # type: ignore[type-var]


@pytest.fixture(scope="session")
def instance(
    preflight: None,  # noqa: ARG001 - pre-flight must pass first
    platform: Platform,
    role: Role,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Target]:
    """A machine of ``platform`` with Python, cleaned up afterwards."""
    session = Session(role.name, os.environ[RUN_ENV])
    workdir = tmp_path_factory.mktemp(f"machine-{platform.id}")
    started = time.monotonic()
    try:
        with drivers.driver(platform).start(platform, workdir, session) as target:
            ready = ensure_python(target, platform)
            TIMINGS.setdefault(platform.id, {})["start"] = time.monotonic() - started
            yield ready
    except HarnessError as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def converge(
    instance: Target, platform: Platform, role: Role, tmp_path_factory: pytest.TempPathFactory
) -> Converge:
    """Converge the role twice on ``instance``; fail if the first converge fails."""
    workdir = tmp_path_factory.mktemp(f"converge-{platform.id}")
    inventory = workdir / "inventory.ini"
    inventory.write_text(f"{instance.inventory_line()}\n", encoding="utf-8")
    timings, started = TIMINGS.setdefault(platform.id, {}), time.monotonic()
    first = run_playbook(CONVERGE, inventory, workdir, role)
    timings["converge"] = time.monotonic() - started
    save_task_results(platform, first)
    if first.returncode != 0:
        pytest.fail(
            f"converge failed on {platform.id}:\n{first.summary('failed', 'unreachable')}\n"
            f"--- ansible-playbook output (last 40 lines) ---\n"
            + "\n".join(first.output.splitlines()[-40:]),
            pytrace=False,
        )
    started = time.monotonic()
    second = run_playbook(CONVERGE, inventory, workdir, role)
    timings["idempotence"] = time.monotonic() - started
    save_task_results(platform, first, second)
    return Converge(platform, instance, first, second)


def save_task_results(platform: Platform, *runs: PlaybookRun) -> None:
    """Keep this platform's task results for ``tox -e coverage`` (task coverage)."""
    TASK_RESULTS.mkdir(exist_ok=True)
    rows = [json.dumps(asdict(result)) for run in runs for result in run.results]
    (TASK_RESULTS / f"{platform.id}.jsonl").write_text("".join(f"{row}\n" for row in rows))


@pytest.fixture
def host(converge: Converge) -> Host:
    """A testinfra host for the converged machine of this platform."""
    return converge.target.testinfra_host()


@pytest.fixture
def systemd(platform: Platform) -> None:
    """Skip a test on platforms where systemd is not PID 1 (containers)."""
    if not platform.systemd:
        pytest.skip(f"{platform.id} does not run systemd: checked on VM platforms")


def assert_idempotent(result: Converge) -> None:
    """Fail, naming every task, if the second converge changed or failed anything."""
    __tracebackhide__ = True
    bad = result.second.with_status("changed", "failed", "unreachable")
    if bad or result.second.returncode != 0:
        pytest.fail(
            f"not idempotent on {result.platform.id}: the second converge changed or failed "
            f"{len(bad)} task(s):\n{result.second.summary('changed', 'failed', 'unreachable')}",
            pytrace=False,
        )


__all__ = ["Converge", "assert_idempotent"]
