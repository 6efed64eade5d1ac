"""Rendered projects: every file parses and the metadata says what was answered."""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.answer_sets import answer_sets
from tests.helpers import REPO
from tools.matrix import load

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate

LICENSES = yaml.safe_load((REPO / "questions" / "licenses.yml").read_text())

ROLE_LAYOUT = [
    "defaults/main.yml",
    "tasks/main.yml",
    "handlers/main.yml",
    "meta/main.yml",
    "meta/argument_specs.yml",
    "pyproject.toml",
    "tox.ini",
    ".pre-commit-config.yaml",
    ".yamllint",
    ".ansible-lint",
    ".editorconfig",
    ".gitignore",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    ".copier-answers.yml",
    "tests/integration/converge.yml",
    "tests/integration/test_role.py",
]


README_SECTIONS = [
    "## Requirements",
    "## Role Variables",
    "## Dependencies",
    "## Example Playbook",
    "## License",
    "## Author Information",
    "## Development",
    "## Updating from modskel",
]


def section(readme: str, heading: str) -> str:
    """Return the text under ``heading`` up to the next second-level heading."""
    return readme.partition(f"\n{heading}\n")[2].partition("\n## ")[0]


def parse_all(project: Path) -> None:
    for path in project.rglob("*"):
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if path.suffix in {".yml", ".yaml"} or path.name in {".yamllint", ".ansible-lint"}:
            yaml.safe_load(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".ini":
            configparser.ConfigParser().read_string(text)
        elif path.suffix == ".py":
            compile(text, str(path), "exec")


@answer_sets
def test_project_has_the_role_layout_and_every_file_parses(
    generate: Generate, answers: dict[str, Any]
) -> None:
    project = generate(answers)
    missing = [name for name in ROLE_LAYOUT if not (project / name).is_file()]
    assert not missing
    parse_all(project)
    leftovers = [p for p in project.rglob("*") if "[[" in p.name or p.name.endswith(".jinja")]
    assert not leftovers


@answer_sets
def test_meta_round_trips_the_answers(generate: Generate, answers: dict[str, Any]) -> None:
    project = generate(answers)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    info = yaml.safe_load((project / "meta" / "main.yml").read_text())["galaxy_info"]
    assert info["role_name"] == recorded["role_name"]
    assert info["namespace"] == recorded["namespace"]
    assert info["description"] == recorded["description"]
    assert info["author"] == recorded["author"]
    assert info["license"] == recorded["license"]
    assert info["min_ansible_version"] == recorded["min_ansible_core"]
    for key, value in answers.items():  # copier keeps multiselect answers in choice order
        assert (
            sorted(recorded[key]) == sorted(value) if key == "platforms" else recorded[key] == value
        )


@answer_sets
def test_platforms_follow_the_matrix(generate: Generate, answers: dict[str, Any]) -> None:
    project = generate(answers)
    chosen = answers.get("platforms", ["debian12"])
    rows = {row["id"]: row for row in load("platforms")}
    listed = yaml.safe_load((project / "tests" / "integration" / "platforms.yml").read_text())
    assert [p["id"] for p in listed] == [pid for pid in rows if pid in chosen]
    assert all(p["image"] == rows[p["id"]]["image"] for p in listed)
    galaxy = yaml.safe_load((project / "meta" / "main.yml").read_text())["galaxy_info"]["platforms"]
    pairs = {(g["name"], str(v)) for g in galaxy for v in g["versions"]}
    assert pairs == {(rows[p]["galaxy"]["name"], str(rows[p]["galaxy"]["version"])) for p in chosen}
    requirements = section((project / "README.md").read_text(), "## Requirements")
    listed = re.findall(r"^  - (.+)$", requirements, flags=re.MULTILINE)
    containers = [pid for pid in rows if pid in chosen and rows[pid]["kind"] == "container"]
    assert listed == [rows[pid]["name"] for pid in containers]  # each VM's is a container's


@pytest.mark.parametrize(
    ("platforms", "distributions"),
    [
        (["debian12", "debian12-vm"], ["Debian 12 (bookworm)"]),
        (["debian12-vm", "rockylinux9"], ["Debian 12 (bookworm)", "Rocky Linux 9"]),
    ],
    ids=["container-and-vm-of-one-release", "vm-without-its-container"],
)
def test_readme_names_each_distribution_once(
    generate: Generate, vm_project: Path, platforms: list[str], distributions: list[str]
) -> None:
    reuse = platforms == ["debian12", "debian12-vm"]  # vm_project's answers
    project = vm_project if reuse else generate({"platforms": platforms})
    readme = (project / "README.md").read_text()
    requirements = section(readme, "## Requirements")
    assert re.findall(r"^  - (.+)$", requirements, flags=re.MULTILINE) == distributions
    assert "- `debian12-vm`: Debian 12 (bookworm), virtual machine (qemu)" in readme
    assert "Virtual machines need qemu, and root or sudo" in readme


def test_readme_has_the_sections_role_users_look_for(default_project: Path) -> None:
    readme = (default_project / "README.md").read_text()
    assert [line for line in readme.splitlines() if line.startswith("## ")] == README_SECTIONS
    assert "- role: my_namespace.sample_role" in section(readme, "## Example Playbook")
    assert section(readme, "## License").strip() == "MIT, see [LICENSE](LICENSE)."
    assert section(readme, "## Author Information").strip() == "my_namespace maintainers."
    assert "ansible-core 2.20 or later" in section(readme, "## Requirements")
    assert "Virtual machines" not in readme  # no VM platform chosen


def test_readme_says_how_to_get_git_and_pre_commit(default_project: Path) -> None:
    development = section((default_project / "README.md").read_text(), "## Development")
    assert 'git init && git add -A && git commit -m "Generated by modskel"' in development
    installs = [line for line in development.splitlines() if "pre-commit install" in line]
    assert installs == ["uv run --group dev pre-commit install"]  # pre-commit from the dev group


def test_licence_text_matches_the_choice(generate: Generate) -> None:
    apache = generate({"license": "Apache-2.0"})
    assert "Apache License" in (apache / "LICENSE").read_text()
    mit = generate({"license": "MIT", "author": "Ada", "copyright_year": 2031})
    assert "Copyright (c) 2031 Ada" in (mit / "LICENSE").read_text()


def test_tool_versions_come_from_one_source(generate: Generate) -> None:
    project = generate()
    pins = load("tools")
    pyproject = (project / "pyproject.toml").read_text()
    pre_commit = (project / ".pre-commit-config.yaml").read_text()
    for tool in ("ruff", "yamllint", "ansible-lint"):
        assert f"{tool}=={pins[tool]}" in pyproject
        assert f"{tool}=={pins[tool]}" in pre_commit
    assert "check-merge-conflict --assume-in-merge" in pre_commit
    assert "repo: local" in pre_commit
    harness = f"pytest-modskel=={pins['pytest-modskel']}"
    groups = tomllib.loads(pyproject)["dependency-groups"]
    assert groups["harness"] == [harness]  # one exact pin; the other groups include it
    assert not (project / "tests" / "harness").exists()
    assert not (project / "tests" / "conftest.py").exists()


def test_pytest_options_disable_only_plugins_that_exist(generate: Generate) -> None:
    addopts = tomllib.loads((generate() / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"
    ]["addopts"]
    disabled = [opt.removeprefix("no:") for opt in addopts if opt.startswith("no:")]
    plugins = {e.name for e in entry_points(group="pytest11")} | {"cacheprovider"}
    assert [name for name in disabled if name not in plugins] == []
    assert "pytest11.testinfra" not in disabled  # the harness needs testinfra's --hosts


@pytest.mark.parametrize("license_id", [row["id"] for row in LICENSES], ids=str)
def test_every_offered_licence_renders(generate: Generate, license_id: str) -> None:
    text = (generate({"license": license_id, "author": "Ada"}) / "LICENSE").read_text()
    assert len(text) > 500
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
