"""Checks of a role's files that need no machine, run by its unit tests.

The generated ``tests/unit/test_role.py`` runs each check of :data:`CHECKS`
as one test (``pytest -k jinja`` runs one); ``docs/harness.md`` lists them.
Adding a check: a module with a ``CHECK``, an entry here, a test, a docs row.
"""

from __future__ import annotations

from pytest_modskel.checks import jinja, variables
from pytest_modskel.checks.base import Check

CHECKS: dict[str, Check] = {
    check.name: check for check in (jinja.CHECK, variables.CHECK, variables.README_CHECK)
}

__all__ = ["CHECKS", "Check"]
