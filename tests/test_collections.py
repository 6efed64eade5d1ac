"""Collections a role lists in requirements.yml reach lint, the unit syntax check and integration.

The fixture role ``ini_settings`` calls ``community.general.ini_file`` and
``ansible.posix.sysctl``; without its collections both ansible-lint and
``ansible-playbook --syntax-check`` fail. Its integration run is one of the
cases of ``tests/test_fixture_roles.py``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
import yaml
from pytest_modskel.commands import collections

from tests.helpers import REPO, drop_in, tox

if TYPE_CHECKING:
    from pathlib import Path

INSTALLED = re.compile(
    r"^installed from (Galaxy|the ansible [\d.]+ package) into \.modskel/collections: "
    r"ansible\.posix [\d.]+, community\.general [\d.]+$",
    re.MULTILINE,
)


def test_the_harness_falls_back_to_the_pinned_ansible_package() -> None:
    pins = yaml.safe_load((REPO / "matrix" / "tools.yml").read_text())
    assert pins["ansible"] == collections.ANSIBLE_PACKAGE


@pytest.mark.slow
def test_role_with_collections_passes_lint_and_the_syntax_check(
    container_project: Path, tmp_path: Path
) -> None:
    project = drop_in(container_project, tmp_path, "ini_settings")
    for sample in ("test_filters.py", "test_templates.py"):  # the sample role's own tests
        (project / "tests" / "unit" / sample).unlink()
    lint = tox(project, "lint")
    assert lint.returncode == 0, lint.stdout[-5000:]
    assert len(INSTALLED.findall(lint.stdout)) == 1, lint.stdout[-5000:]
    unit = tox(project, "unit", "-k", "test_converge_playbook_passes_syntax_check")
    assert unit.returncode == 0, unit.stdout[-5000:]
    assert "1 passed" in unit.stdout
    assert "installed from" not in unit.stdout  # installed once, for every env
