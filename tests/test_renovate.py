"""The generated renovate.json: Renovate moves what the author owns, never what modskel pins."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.helpers import REPO
from tools.matrix import load

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate

WORKFLOWS = REPO / "template" / "[% if ci_github %].github[% endif %]" / "workflows"
VALIDATOR = shutil.which("renovate-config-validator")
NO_VALIDATOR = "renovate-config-validator not on PATH (npm install renovate; add node_modules/.bin)"


def config(project: Path) -> dict[str, Any]:
    return json.loads((project / "renovate.json").read_text())  # type: ignore[no-any-return]


def disabled(project: Path, key: str) -> set[str]:
    """The values of ``key`` in the rules that turn Renovate off."""
    rules = config(project)["packageRules"]
    return {value for rule in rules if rule.get("enabled") is False for value in rule.get(key, [])}


def test_every_workflow_modskel_renders_is_left_to_copier(default_project: Path) -> None:
    rendered = {
        ".github/workflows/" + re.sub(r"\[%.*?%\]", "", path.name).removesuffix(".jinja")
        for path in WORKFLOWS.iterdir()
    }
    files = disabled(default_project, "matchFileNames")
    assert rendered <= files, (
        f"add to template_owned_pinned_files in copier.yml: {rendered - files}"
    )
    assert {".gitlab-ci.yml", ".pre-commit-config.yaml"} <= files
    # The author's own files stay Renovate's: requirements.yml, pyproject.toml, other workflows.
    assert not files & {"requirements.yml", "pyproject.toml", "meta/main.yml"}
    assert "helpers:pinGitHubActionDigests" in config(default_project)["extends"]


def test_tools_modskel_pins_are_left_to_copier(default_project: Path) -> None:
    pinned = set(load("tools"))
    assert pinned <= disabled(default_project, "matchPackageNames")
    groups = (default_project / "pyproject.toml").read_text().split("[dependency-groups]")[1]
    named = set(re.findall(r'^\s+"([A-Za-z0-9_.\-]+)[=><]', groups.split("\n[")[0], re.MULTILINE))
    assert named <= disabled(default_project, "matchPackageNames")
    assert "pytest-modskel" in named  # the harness pin, above all


def test_pinned_actions_appear_only_in_files_left_to_copier(default_project: Path) -> None:
    files = disabled(default_project, "matchFileNames")
    actions = {row["uses"] for row in load("actions").values()}
    users = {
        path.relative_to(default_project).as_posix()
        for path in default_project.rglob("*.y*ml")
        if not {".tox", ".modskel"} & set(path.relative_to(default_project).parts)
        and any(f"uses: {action}@" in path.read_text() for action in actions)
    }
    assert users
    assert users <= files


@pytest.mark.skipif(VALIDATOR is None, reason=NO_VALIDATOR)
@pytest.mark.parametrize(
    ("edit", "code"),
    [(None, 0), ({"enabledd": False}, 1)],
    ids=["as-generated", "planted-unknown-option"],
)
def test_renovate_validates_the_config(
    default_project: Path, tmp_path: Path, edit: dict[str, Any] | None, code: int
) -> None:
    data = config(default_project)
    if edit:
        data["packageRules"][0].update(edit)
    (tmp_path / "renovate.json").write_text(json.dumps(data))
    assert VALIDATOR is not None
    done = subprocess.run(
        [VALIDATOR], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == code, done.stdout[-2000:]
    if code == 0:
        assert "Config validated successfully" in done.stdout


def test_renovate_json_is_rendered_for_every_provider(generate: Generate) -> None:
    project = generate({"ci_providers": []})
    assert yaml.safe_load((project / "renovate.json").read_text())["extends"]
