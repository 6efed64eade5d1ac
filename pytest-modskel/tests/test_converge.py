"""What is said about a platform's converges: failures once, diffs, opted-out tasks."""

from __future__ import annotations

from typing import Any, cast

import pytest
from conftest import exactly
from pytest_modskel.drivers.base import Target
from pytest_modskel.platforms import Platform
from pytest_modskel.plugin import converge
from pytest_modskel.plugin.converge import (
    NO_DIFF,
    Converge,
    assert_idempotent,
    failure_report,
    opted_out,
    opted_out_note,
    report_failure_once,
)
from pytest_modskel.runner.ansible import PlaybookRun, TaskResult

DEBIAN = Platform("debian12", "debian:12")
TARGET = cast("Target", object())  # never used by what is tested here
NOTEST = ("modskel-idempotence-notest",)


def _task(name: str, line: int, status: str, **extra: Any) -> TaskResult:  # noqa: ANN401
    """A task result in tasks/main.yml; ``extra``: its tags, diff or msg."""
    return TaskResult("box", name, f"tasks/main.yml:{line}", "action", status, **extra)


OK_RUN = PlaybookRun(0, "", (_task("Install", 2, "ok"), _task("Config", 8, "ok")))
FAILED_RUN = PlaybookRun(
    2,
    "\n".join(f"line {n}" for n in range(45)),
    (_task("Install", 2, "ok"), _task("Start", 14, "failed", msg="Unable to start"),
     _task("Ping", 20, "unreachable")),
)  # fmt: skip


def _converge(second: PlaybookRun | None, first: PlaybookRun = OK_RUN) -> Converge:
    return Converge(DEBIAN, TARGET, first, second)


@pytest.fixture
def config(pytester: pytest.Pytester) -> pytest.Config:
    """A fresh pytest config (its stash remembers the reported platforms)."""
    return pytester.parseconfig()


def test_failed() -> None:
    assert not _converge(OK_RUN).failed
    assert _converge(None, FAILED_RUN).failed


def test_failure_report() -> None:
    assert failure_report(_converge(None, FAILED_RUN)) == "\n".join([
        "converge failed on debian12:",
        "  - Start [failed] (tasks/main.yml:14): Unable to start",
        "  - Ping [unreachable] (tasks/main.yml:20)",
        "--- ansible-playbook output (last 40 lines) ---",
        *(f"line {n}" for n in range(5, 45)),
    ])  # fmt: skip


def test_report_failure_once(config: pytest.Config) -> None:
    failed = _converge(None, FAILED_RUN)
    with pytest.raises(pytest.fail.Exception, match=exactly(failure_report(failed))):
        report_failure_once(config, failed)
    pointer = "converge failed on debian12: see the first error of debian12 above"
    for _ in range(2):
        with pytest.raises(pytest.fail.Exception, match=exactly(pointer)):
            report_failure_once(config, failed)
    other = Converge(Platform("rocky9", "rocky:9"), TARGET, FAILED_RUN, None)
    with pytest.raises(pytest.fail.Exception, match=r"^converge failed on rocky9:\n  - Start"):
        report_failure_once(config, other)  # each platform's first failure in full
    assert config.stash[converge.REPORTED] == {"debian12", "rocky9"}


def test_idempotent_passes() -> None:
    assert_idempotent(_converge(OK_RUN))


def test_idempotent_after_a_failed_first_converge() -> None:
    with pytest.raises(pytest.fail.Exception, match=exactly("debian12: the first converge failed")):
        assert_idempotent(_converge(None, FAILED_RUN))


def test_not_idempotent_shows_each_diff_and_the_opted_out_tasks() -> None:
    second = PlaybookRun(0, "", (
        _task("Config", 8, "changed", diff="--- before\n+++ after\n-a\n+b\n"),
        _task("Run script", 11, "changed"),
        _task("Start", 14, "failed", msg="Unable to\n start"),
        _task("Refresh", 20, "changed", tags=NOTEST, diff="+x\n"),
        _task("Cache", 24, "changed", tags=("molecule-idempotence-notest",)),
        _task("Skipped", 30, "ok", tags=NOTEST),
    ))  # fmt: skip
    expected = "\n".join([
        "not idempotent on debian12: the second converge changed or failed 3 task(s):",
        "  - Config [changed] (tasks/main.yml:8)",
        "      --- before",
        "      +++ after",
        "      -a",
        "      +b",
        "  - Run script [changed] (tasks/main.yml:11)",
        f"      {NO_DIFF}",
        "  - Start [failed] (tasks/main.yml:14): Unable to start",
        "left out of the check by tag (modskel-idempotence-notest, molecule-idempotence-notest):",
        "  - Refresh (tasks/main.yml:20)",
        "  - Cache (tasks/main.yml:24)",
    ])  # fmt: skip
    with pytest.raises(pytest.fail.Exception, match=exactly(expected)):
        assert_idempotent(_converge(second))


def test_not_idempotent_without_opted_out_tasks_says_nothing_of_tags() -> None:
    second = PlaybookRun(0, "", (_task("Config", 8, "changed", diff="  \n"),))
    expected = (
        "not idempotent on debian12: the second converge changed or failed 1 task(s):\n"
        f"  - Config [changed] (tasks/main.yml:8)\n      {NO_DIFF}"
    )
    with pytest.raises(pytest.fail.Exception, match=exactly(expected)):
        assert_idempotent(_converge(second))


def test_second_converge_fails_without_results() -> None:
    with pytest.raises(
        pytest.fail.Exception,
        match=exactly(
            "not idempotent on debian12: the second converge changed or failed 0 task(s):\n"
        ),
    ):
        assert_idempotent(_converge(PlaybookRun(4, "unreachable", ())))


def test_opted_out_changes_pass() -> None:
    second = PlaybookRun(0, "", (_task("Refresh", 20, "changed", tags=NOTEST),))
    assert_idempotent(_converge(second))
    assert opted_out(_converge(second)) == list(second.results)


def test_opted_out_note() -> None:
    second = PlaybookRun(0, "", (
        _task("Refresh", 20, "changed", tags=NOTEST),
        _task("Cache", 24, "changed", tags=NOTEST),
        _task("Quiet", 28, "ok", tags=NOTEST),
    ))  # fmt: skip
    assert opted_out_note(_converge(second)) == (
        "debian12: idempotence check skipped 2 changed task(s) by tag: "
        "Refresh (tasks/main.yml:20); Cache (tasks/main.yml:24)"
    )
    assert opted_out_note(_converge(OK_RUN)) is None
    assert opted_out_note(_converge(None, FAILED_RUN)) is None
    assert opted_out(_converge(None, FAILED_RUN)) == []


def test_a_failed_opted_out_task_is_still_named() -> None:
    second = PlaybookRun(2, "", (_task("Refresh", 20, "failed", tags=NOTEST, msg="timed out"),))
    with pytest.raises(
        pytest.fail.Exception, match=r"1 task\(s\):\n  - Refresh \[failed\] .*: timed out"
    ):
        assert_idempotent(_converge(second))
