"""The role's files pass the harness's checks (template-owned; pytest-modskel).

One test per check, named by its id (``pytest tests/unit -k jinja``): every
template and Jinja expression parses, defaults agree with the argument specs,
the README's variables table is current. A failure names the file to edit.
"""

from __future__ import annotations

import pytest
from pytest_modskel import Project
from pytest_modskel.checks import CHECKS, Check


@pytest.mark.parametrize("check", CHECKS.values(), ids=list(CHECKS))
def test_role_files(check: Check, modskel_project: Project) -> None:
    if problems := check.run(modskel_project):
        pytest.fail("\n".join(problems), pytrace=False)
