"""The two converges of a platform and what is said about them.

The first converge must succeed; the second runs in --diff mode and must
change nothing. A failed converge is reported once per platform, in full;
every other test of that platform points to that report. An idempotence
failure shows each changed task with the diff Ansible reported. Tasks tagged
``modskel-idempotence-notest`` (or molecule's ``molecule-idempotence-notest``)
are left out of the check, and always listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_modskel.drivers.base import Target
from pytest_modskel.platforms import Platform
from pytest_modskel.runner.ansible import NOTEST_TAGS, PlaybookRun, TaskResult

OUTPUT_LINES = 40  # lines of ansible-playbook output shown with a failed converge
REPORTED = pytest.StashKey[set[str]]()  # platforms whose failed converge was reported


@dataclass(frozen=True)
class Converge:
    """The two converges of one platform: the second must change nothing.

    ``second`` is None when the first converge failed (it is not run then).
    """

    platform: Platform
    target: Target
    first: PlaybookRun
    second: PlaybookRun | None

    @property
    def failed(self) -> bool:
        """Whether the first converge failed."""
        return self.first.returncode != 0


def failure_report(result: Converge) -> str:
    """Return the full report of a failed first converge."""
    tail = "\n".join(result.first.output.splitlines()[-OUTPUT_LINES:])
    return (
        f"converge failed on {result.platform.id}:\n"
        f"{result.first.summary('failed', 'unreachable')}\n"
        f"--- ansible-playbook output (last {OUTPUT_LINES} lines) ---\n{tail}"
    )


def report_failure_once(config: pytest.Config, result: Converge) -> None:
    """Fail with the full report the first time, then with a pointer to it."""
    __tracebackhide__ = True
    reported = config.stash.setdefault(REPORTED, set())
    platform_id = result.platform.id
    if platform_id in reported:
        pytest.fail(
            f"converge failed on {platform_id}: see the first error of {platform_id} above",
            pytrace=False,
        )
    reported.add(platform_id)
    pytest.fail(failure_report(result), pytrace=False)


NO_DIFF = "(no diff reported: for command or shell, add creates:, removes: or changed_when:)"


def with_diff(task: TaskResult) -> str:
    """Return a changed task's report line, followed by the diff it reported (indented)."""
    diff = task.diff.strip() or NO_DIFF
    return task.line() + "\n" + "\n".join(f"      {line}" for line in diff.splitlines())


def opted_out(result: Converge) -> list[TaskResult]:
    """Return the changed tasks that the idempotence check leaves out by tag."""
    second = result.second.results if result.second else ()
    return [r for r in second if r.status == "changed" and r.idempotence_optout]


def opted_out_note(result: Converge) -> str | None:
    """Return the line that lists tasks left out of the idempotence check, if any."""
    skipped = opted_out(result)
    if not skipped:
        return None
    names = "; ".join(f"{r.task} ({r.path})" for r in skipped)
    platform_id, count = result.platform.id, len(skipped)
    return f"{platform_id}: idempotence check skipped {count} changed task(s) by tag: {names}"


def idempotence_problem(result: Converge) -> str | None:
    """Return the report of a second converge that changed or failed something, else None."""
    second = result.second
    if second is None:
        return f"{result.platform.id}: the first converge failed"
    bad = second.with_status("changed", "failed", "unreachable")
    bad = [r for r in bad if not (r.status == "changed" and r.idempotence_optout)]
    if not bad and second.returncode == 0:
        return None
    rows = "\n".join(with_diff(r) if r.status == "changed" else r.line() for r in bad)
    skipped = [f"  - {r.task} ({r.path})" for r in opted_out(result)]
    extra = f"\nleft out of the check by tag ({', '.join(NOTEST_TAGS)}):\n" + "\n".join(skipped)
    return (
        f"not idempotent on {result.platform.id}: the second converge changed or failed "
        f"{len(bad)} task(s):\n{rows}{extra if skipped else ''}"
    )


def assert_idempotent(result: Converge) -> None:
    """Fail, naming every task with its diff, if the second converge changed or failed anything."""
    __tracebackhide__ = True
    if (problem := idempotence_problem(result)) is not None:
        pytest.fail(problem, pytrace=False)
