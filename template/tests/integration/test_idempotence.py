"""The harness's converge checks; owned by the template."""

from __future__ import annotations

from pytest_modskel import Converge, assert_idempotent, unverified
from pytest_modskel.platforms import Platform


def test_converge_ran_tasks(converge: Converge) -> None:
    """The first converge ran and changed something on a fresh container."""
    assert converge.first.with_status("changed"), converge.first.output


def test_second_converge_changes_nothing(converge: Converge) -> None:
    """A second converge reports no changed task."""
    assert_idempotent(converge)


def test_role_was_verified(verified: list[str], platform: Platform) -> None:
    """Some testinfra test (a test taking ``host``) checked this machine; runs last."""
    assert verified, unverified(platform)
