"""pytest fixtures of the integration harness.

Tests ask for ``host`` (a testinfra host on a converged container); the harness
does the rest, once per platform: start a labelled container, install Python
if the image lacks it, converge the role twice, and always remove the container.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, NoReturn

import pytest

from harness.ansible import PROJECT_ROOT, PlaybookRun, Role, run_playbook
from harness.engines import (
    Container,
    Engine,
    clean,
    detect,
    ensure_image,
    remove_live,
    running,
)
from harness.errors import HarnessError
from harness.platforms import Platform, load_platforms, select
from harness.task_coverage import RESULTS as TASK_RESULTS

if TYPE_CHECKING:
    from testinfra.host import Host

CONVERGE = PROJECT_ROOT / "tests" / "integration" / "converge.yml"
RUN_ENV = "MODSKEL_RUN_ID"
SELECTED = pytest.StashKey[list[Platform]]()  # platforms of the selected tests


@dataclass(frozen=True)
class Converge:
    """The two converges of one platform: the second must change nothing."""

    platform: Platform
    container: Container
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


def _platform_of(item: pytest.Item) -> Platform | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("platform") if callspec is not None else None


def _terminate(signum: int, _frame: object) -> NoReturn:
    signal.signal(signum, signal.SIG_IGN)  # once: let the clean-up that follows finish
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:  # noqa: ARG001 - pytest hook signature
    """Turn SIGTERM into KeyboardInterrupt; give the run an id its xdist workers share."""
    signal.signal(signal.SIGTERM, _terminate)
    os.environ.setdefault(RUN_ENV, secrets.token_hex(6))  # workers inherit it


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


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt() -> None:
    """On Ctrl-C or SIGTERM, remove containers before anything else can fail.

    Further interrupts are ignored (tox forwards one), and removal happens before
    pytest prints: if tox has died, printing raises BrokenPipeError.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    remove_live()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize tests that use a platform over the selected platforms."""
    if "platform" not in metafunc.fixturenames:
        return
    try:
        platforms = select(load_platforms(), metafunc.config.getoption("platforms"))
    except HarnessError as error:
        raise pytest.UsageError(str(error)) from None
    metafunc.parametrize("platform", platforms, ids=[p.id for p in platforms], scope="session")


@pytest.fixture(scope="session")
def role() -> Role:
    """The role under test."""
    return Role.from_meta()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Remember the platforms the selected tests use, for the pre-flight check."""
    used = {id(p): p for item in session.items if (p := _platform_of(item)) is not None}
    session.config.stash[SELECTED] = list(used.values())


@pytest.fixture(scope="session")
def engine(pytestconfig: pytest.Config) -> Engine:
    """The container engine, checked before any container starts.

    Pre-flight: an engine that can run containers, and every selected
    platform's image present or pullable. A failure stops the session with one line.
    """
    try:
        found = detect()
        for platform in pytestconfig.stash.get(SELECTED, []):
            ensure_image(found, platform.image)
    except HarnessError as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)
    return found


def ensure_python(container: Container, platform: Platform) -> Container:
    """Install Python with the platform's bootstrap if missing; record its path."""
    found = container.sh("command -v python3")
    if found.returncode != 0:
        boot = container.sh(platform.bootstrap_command)
        if boot.returncode != 0:
            msg = f"could not install Python on {platform.id}: {boot.stderr.strip()[-300:]}"
            raise HarnessError(msg)
        found = container.sh("command -v python3")
    # A known interpreter spares Ansible its discovery round trip on every run.
    return replace(container, python=found.stdout.strip() or "auto_silent")


@pytest.fixture(scope="session")
def instance(engine: Engine, platform: Platform, role: Role) -> Iterator[Container]:
    """A running container of ``platform`` with Python, removed afterwards."""
    try:
        run_id = os.environ[RUN_ENV]
        with running(engine, platform.image, role.name, platform.id, run_id) as container:
            yield ensure_python(container, platform)
    except HarnessError as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def converge(
    instance: Container, platform: Platform, role: Role, tmp_path_factory: pytest.TempPathFactory
) -> Converge:
    """Converge the role twice on ``instance``; fail if the first converge fails."""
    workdir = tmp_path_factory.mktemp(f"converge-{platform.id}")
    inventory = workdir / "inventory.ini"
    inventory.write_text(
        f"{instance.name} ansible_connection={instance.engine.ansible_connection} "
        f"ansible_python_interpreter={instance.python}\n",
        encoding="utf-8",
    )
    first = run_playbook(CONVERGE, inventory, workdir, role)
    save_task_results(platform, first)
    if first.returncode != 0:
        pytest.fail(
            f"converge failed on {platform.id}:\n{first.summary('failed', 'unreachable')}\n"
            f"--- ansible-playbook output (last 40 lines) ---\n"
            + "\n".join(first.output.splitlines()[-40:]),
            pytrace=False,
        )
    second = run_playbook(CONVERGE, inventory, workdir, role)
    save_task_results(platform, first, second)
    return Converge(platform, instance, first, second)


def save_task_results(platform: Platform, *runs: PlaybookRun) -> None:
    """Keep this platform's task results for ``tox -e coverage`` (task coverage)."""
    TASK_RESULTS.mkdir(exist_ok=True)
    rows = [json.dumps(asdict(result)) for run in runs for result in run.results]
    (TASK_RESULTS / f"{platform.id}.jsonl").write_text("".join(f"{row}\n" for row in rows))


@pytest.fixture
def host(converge: Converge) -> Host:
    """A testinfra host for the converged container of this platform."""
    import testinfra  # noqa: PLC0415 - only integration tests need testinfra

    container = converge.container
    return testinfra.get_host(f"{container.engine.testinfra_backend}://{container.name}")


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
