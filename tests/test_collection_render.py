"""A collection renders with the collection's files, names and envs (render only, no tox)."""

from __future__ import annotations

import ast
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.answer_sets import COLLECTION_ANSWERS
from tests.helpers import REPO

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate

ROLE_KIND_ONLY = ["meta/main.yml", "defaults/main.yml", "tasks/main.yml", "filter_plugins"]


@pytest.fixture(scope="module", params=list(COLLECTION_ANSWERS), ids=str)
def collection(request: pytest.FixtureRequest, generate: Generate) -> tuple[Path, dict[str, Any]]:
    project = generate(COLLECTION_ANSWERS[request.param], name="web_tools")
    answers: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return project, answers


def test_layout_is_a_collection_with_its_role_under_roles(
    collection: tuple[Path, dict[str, Any]],
) -> None:
    project, answers = collection
    role, name = answers["role_name"], answers["collection_name"]
    expected = [
        "galaxy.yml",
        "meta/runtime.yml",
        f"plugins/modules/{role}_config.py",
        f"plugins/module_utils/{role}_ini.py",
        f"plugins/filter/{role}_ini_value.py",
        f"plugins/filter/{role}_ini_value.yml",
        f"roles/{role}/tasks/main.yml",
        f"roles/{role}/meta/argument_specs.yml",
        f"roles/{role}/templates/{role}.service.j2",
        "changelogs/config.yaml",
        "changelogs/changelog.yaml",
        "changelogs/fragments/.keep",
        f"tests/unit/plugins/modules/test_{role}_config.py",
    ]
    assert [path for path in expected if not (project / path).is_file()] == []
    assert [path for path in ROLE_KIND_ONLY if (project / path).exists()] == []
    assert not (project / "roles" / role / "templates" / f"{role}.conf.j2").exists()
    assert [p.name for p in project.rglob("*") if "[[" in p.name or "[%" in p.name] == []
    converge = yaml.safe_load((project / "tests/integration/converge.yml").read_text())
    assert converge[0]["roles"] == [{"role": f"{answers['namespace']}.{name}.{role}"}]


def test_galaxy_and_runtime_round_trip_the_answers(
    collection: tuple[Path, dict[str, Any]],
) -> None:
    project, answers = collection
    galaxy = yaml.safe_load((project / "galaxy.yml").read_text())
    names = (answers["namespace"], answers["collection_name"])
    assert (galaxy["namespace"], galaxy["name"]) == names
    assert (galaxy["authors"], galaxy["license"]) == ([answers["author"]], [answers["license"]])
    assert {".tox", ".modskel", "tests/output", "dist"} <= set(galaxy["build_ignore"])
    runtime = yaml.safe_load((project / "meta/runtime.yml").read_text())
    assert runtime["requires_ansible"] == f">={answers['min_ansible_core']}.0"


def test_module_documents_exactly_its_arguments(collection: tuple[Path, dict[str, Any]]) -> None:
    project, answers = collection
    source = (project / f"plugins/modules/{answers['role_name']}_config.py").read_text()
    names = {
        target.id: node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    docs = yaml.safe_load(ast.literal_eval(names["DOCUMENTATION"]))
    spec = ast.literal_eval(names["ARGUMENT_SPEC"])
    assert set(docs["options"]) == set(spec)
    assert all(docs["options"][key]["type"] == spec[key]["type"] for key in spec)
    yaml.safe_load(ast.literal_eval(names["EXAMPLES"]))
    yaml.safe_load(ast.literal_eval(names["RETURN"]))
    gpl = "GNU General Public License v3.0+" in source
    assert gpl == (answers["license"] == "GPL-3.0-or-later")
    assert (project / "tests/sanity/ignore.txt").exists() != gpl


def test_tox_has_sanity_per_series_and_build_instead_of_importer(
    collection: tuple[Path, dict[str, Any]],
) -> None:
    project, answers = collection
    tox = (project / "tox.ini").read_text()
    cores = yaml.safe_load((REPO / "matrix/ansible_core.yml").read_text())
    versions = [row["version"] for row in cores]
    low = versions.index(answers["min_ansible_core"])
    series = versions[low : versions.index(answers["max_ansible_core"]) + 1]
    envs = [f"sanity-ansible{v.replace('.', '')}" for v in series]
    env_list = tox.partition("env_list =")[2].partition("\n\n")[0].split()
    assert [env for env in env_list if env.startswith("sanity-")] == envs
    assert "[testenv:build]" in tox
    assert "[testenv:importer]" not in tox
    assert "ANSIBLE_COLLECTIONS_PATH = {env_dir}{/}collections:" in tox
    pyproject = (project / "pyproject.toml").read_text()
    assert "antsibull-changelog==" in pyproject
    assert "towncrier" not in pyproject
    assert 'source = ["plugins"]' in pyproject


def assert_ruff_passes(project: Path) -> None:
    """Assert `ruff check` and `ruff format --check` pass in ``project``, as in its lint env."""
    for args in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [str(REPO / ".venv/bin/ruff"), *args, "--no-cache", "."],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_generated_python_passes_ruff(collection: tuple[Path, dict[str, Any]]) -> None:
    project, _ = collection
    assert_ruff_passes(project)


def test_a_role_with_long_names_passes_ruff(generate: Generate) -> None:
    project = generate(
        {"namespace": "platform_engineering_team"}, name="infrastructure_monitoring_agent"
    )
    assert_ruff_passes(project)
