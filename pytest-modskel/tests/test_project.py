"""The project: finding it, its role, and the ``[tool.modskel]`` settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MakeProject, exactly, write_project
from pytest_modskel import Project, Role
from pytest_modskel.errors import ConfigError


def test_find_walks_up_from_a_subfolder(tmp_path: Path) -> None:
    root = write_project(tmp_path / "role")
    deep = root / "tests" / "integration"
    assert Project.find(deep) == Project(root.resolve())


def test_find_defaults_to_the_current_folder(project: Path) -> None:
    assert Project.find().root == project.resolve()


def test_find_outside_a_project(tmp_path: Path) -> None:
    expected = (
        f"{tmp_path.resolve()} is not inside a role or collection project "
        "(no galaxy.yml or meta/main.yml here or above): run modskel from the project's folder"
    )
    with pytest.raises(ConfigError, match=exactly(expected)):
        Project.find(tmp_path)


def test_paths(tmp_path: Path) -> None:
    found = Project(tmp_path)
    assert found.platforms_file == tmp_path / "tests" / "integration" / "platforms.yml"
    assert found.converge_playbook == tmp_path / "tests" / "integration" / "converge.yml"
    assert found.task_results == tmp_path / ".task-coverage"
    assert found.reports == tmp_path / "coverage-report"


def test_role_from_meta(tmp_path: Path) -> None:
    role = Project(write_project(tmp_path)).role
    assert role == Role("acme", "web")
    assert role.fqcn == "acme.web"


@pytest.mark.parametrize(
    ("meta", "lacks"),
    [
        ("galaxy_info:\n  role_name: web\n", "namespace"),
        ("galaxy_info:\n  namespace: acme\n  role_name: ''\n", "role_name"),
        ("galaxy_info:\n", "namespace, role_name"),
        ("", "namespace, role_name"),
    ],
    ids=["no-namespace", "empty-name", "empty-galaxy-info", "empty-file"],
)
def test_role_missing_fields(tmp_path: Path, meta: str, lacks: str) -> None:
    found = Project(write_project(tmp_path, meta=meta))
    with pytest.raises(
        ConfigError,
        match=rf"^meta/main.yml: galaxy_info lacks {lacks}: add it \(Galaxy needs it\)$",
    ):
        _ = found.role


def test_settings_without_pyproject(tmp_path: Path) -> None:
    found = Project(write_project(tmp_path))
    assert found.settings == {}
    assert found.setting("vm", "accel", "auto") == "auto"


def test_settings_without_modskel_table(tmp_path: Path) -> None:
    found = Project(write_project(tmp_path, pyproject="[project]\nname = 'x'\n"))
    assert found.settings == {}


def test_settings_read(make_project: MakeProject) -> None:
    root = make_project(
        pyproject=(
            "[tool.modskel.vm]\naccel = 'tcg'\nboot_timeout = 600\nmemory = 2048\ncpus = 2\n"
            "[tool.modskel.task_coverage]\nfail_under = 87.5\n"
            "[tool.modskel.platforms.debian12]\nimage = 'mirror/debian:12'\n"
        )
    )
    found = Project.find()
    assert found.root == root.resolve()
    assert found.setting("vm", "accel") == "tcg"
    assert found.setting("vm", "boot_timeout") == 600
    assert found.setting("vm", "memory") == 2048
    assert found.setting("task_coverage", "fail_under") == 87.5
    assert found.setting("vm", "cpus", 1) == 2
    assert found.setting("task_coverage", "nothing", "default") == "default"
    assert found.settings["platforms"] == {"debian12": {"image": "mirror/debian:12"}}


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ("[tool.modskel]\nplatfroms = {}\n",
         ("pyproject.toml [tool.modskel]: unknown key 'platfroms': "
          "use one of platforms, readme_table, task_coverage, untested_platforms, vm")),
        ("[tool.modskel]\nvm = 'fast'\n",
         "pyproject.toml [tool.modskel]: vm must be a table, not 'fast': fix the value"),
        ("[tool.modskel.vm]\nmemroy = 512\n",
         ("pyproject.toml [tool.modskel].vm: unknown key 'memroy': "
          "use one of accel, boot_timeout, cpus, memory")),
        ("[tool.modskel.vm]\nmemory = '2G'\n",
         "pyproject.toml [tool.modskel].vm: memory must be an integer, not '2G': fix the value"),
        ("[tool.modskel.vm]\nboot_timeout = true\n",
         ("pyproject.toml [tool.modskel].vm: boot_timeout must be a number, not True: "
          "fix the value")),
        ("[tool.modskel.task_coverage]\nfail_under = '90%'\n",
         ("pyproject.toml [tool.modskel].task_coverage: fail_under must be a number, "
          "not '90%': fix the value")),
        ("[tool]\nmodskel = 3\n",
         "pyproject.toml [tool.modskel]: expected a mapping, found 3: fix the file"),
    ],
    ids=["unknown-section", "section-not-a-table", "unknown-vm-key", "memory-type",
         "timeout-type", "fail-under-type", "modskel-not-a-table"],
)  # fmt: skip
def test_settings_errors(tmp_path: Path, pyproject: str, message: str) -> None:
    found = Project(write_project(tmp_path, pyproject=pyproject))
    with pytest.raises(ConfigError, match=exactly(message)):
        _ = found.settings


def test_settings_invalid_toml(tmp_path: Path) -> None:
    found = Project(write_project(tmp_path, pyproject="[tool.modskel\n"))
    with pytest.raises(ConfigError, match=r"^pyproject.toml is not valid TOML \(.+\): fix it$"):
        found.setting("vm", "accel")
