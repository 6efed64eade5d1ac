"""What a role check is: a name, a one-line summary, and the problems it finds.

Checks run in the generated project's unit tests (``tests/unit/test_role.py``,
one test per check) without any machine. Each problem is one message that
names the file to edit and what to write there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


def per_role(project: Project, check: Callable[[Path], list[str]]) -> list[str]:
    """Run ``check`` on each role folder of the project; return its messages.

    A role of a collection has its messages prefixed with its folder
    (``roles/web: defaults/main.yml sets ...``): the files they name are in it.
    """
    found = []
    for folder in project.role_dirs:
        where = folder.relative_to(project.root).as_posix()
        found += [line if where == "." else f"{where}: {line}" for line in check(folder)]
    return found
