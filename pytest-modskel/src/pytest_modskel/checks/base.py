"""What a role check is: a name, a one-line summary, and the problems it finds.

Checks run in the generated project's unit tests (``tests/unit/test_role.py``,
one test per check) without any machine. Each problem is one message that
names the file to edit and what to write there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pytest_modskel.project import Project


@dataclass(frozen=True)
class Check:
    """One check of a role's files.

    Attributes:
        name: the check's id (the unit test's parameter id).
        summary: one line for the docs.
        run: returns one message per problem found (empty: the check passes).
    """

    name: str
    summary: str
    run: Callable[[Project], list[str]]
