"""``pytest_modskel.compat``: the names tests imported from the vendored harness."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest
from conftest import write_project
from pytest_modskel import Role as NewRole
from pytest_modskel import ansible_bin
from pytest_modskel.errors import ConfigError

NAME = "pytest_modskel.compat"


@pytest.fixture
def fresh_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget any earlier import of compat (it reads the project when imported)."""
    monkeypatch.setitem(sys.modules, NAME, None)  # so that monkeypatch restores the entry
    monkeypatch.delitem(sys.modules, NAME)


@pytest.mark.usefixtures("fresh_import")
def test_compat_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_project(tmp_path / "role")
    monkeypatch.chdir(root / "tests")  # tests run from the project or below it
    compat = importlib.import_module(NAME)
    assert root.resolve() == compat.PROJECT_ROOT
    assert compat.ansible_bin is ansible_bin
    role = compat.Role.from_meta()
    assert role == compat.Role("acme", "web")
    assert isinstance(role, NewRole)
    assert role.fqcn == "acme.web"
    other = write_project(tmp_path / "other", meta="galaxy_info:\n  namespace: x\n  role_name: y\n")
    assert compat.Role.from_meta(other).fqcn == "x.y"
    env = compat.ansible_env(tmp_path / "work", NewRole("ignored", "role"))
    assert env["ANSIBLE_ROLES_PATH"].split(os.pathsep)[0] == str(tmp_path / "work" / "roles")
    assert (tmp_path / "work" / "roles" / "acme.web").resolve() == root.resolve()


@pytest.mark.usefixtures("fresh_import")
def test_compat_outside_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"is not inside a role or collection project"):
        importlib.import_module(NAME)
