"""pytest fixtures of the integration harness.

Tests ask for ``host`` (a testinfra host on a converged container); the harness
does the rest, once per platform: start a labelled container, install Python
if the image lacks it, converge the role twice, and always remove the container.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NoReturn

import pytest

from harness.ansible import PROJECT_ROOT, PlaybookRun, Role, run_playbook
from harness.engines import Container, Engine, detect, remove_live, running
from harness.errors import HarnessError
from harness.platforms import Platform, load_platforms, select

if TYPE_CHECKING:
    from testinfra.host import Host

CONVERGE = PROJECT_ROOT / "tests" / "integration" / "converge.yml"


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


def _terminate(signum: int, _frame: object) -> NoReturn:
    signal.signal(signum, signal.SIG_IGN)  # once: let the clean-up that follows finish
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:  # noqa: ARG001 - pytest hook signature
    """Turn SIGTERM into KeyboardInterrupt so fixtures still remove containers."""
    signal.signal(signal.SIGTERM, _terminate)


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


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The container engine; stops the session with one line if there is none."""
    try:
        return detect()
    except HarnessError as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)


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
        with running(engine, platform.image, role.name, platform.id) as container:
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
    if first.returncode != 0:
        pytest.fail(
            f"converge failed on {platform.id}:\n{first.summary('failed', 'unreachable')}\n"
            f"--- ansible-playbook output (last 40 lines) ---\n"
            + "\n".join(first.output.splitlines()[-40:]),
            pytrace=False,
        )
    return Converge(platform, instance, first, run_playbook(CONVERGE, inventory, workdir, role))


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
