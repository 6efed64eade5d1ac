"""Releasing a role: Galaxy's import checks, the changelog fragment gate, `tox -e release`."""

from __future__ import annotations

import os
import re
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.helpers import clone, git, publish, tox

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def imported(default_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the default project after one `tox -e importer` run (its env is reused)."""
    project = clone(default_project, tmp_path_factory.mktemp("importer"))
    done = tox(project, "importer")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Importer processing completed successfully" in done.stdout
    return project


def importer(env: Path, role: Path) -> subprocess.CompletedProcess[str]:
    """Run the importer env's check on ``role`` as tox does: from the folder above it."""
    cmd = [str(env / "bin" / "python"), "-m", "galaxy_importer.main", "--legacy-role",
           "--namespace", "my_namespace", role.name]  # fmt: skip
    path = f"{env / 'bin'}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        cmd, cwd=role.parent, capture_output=True, text=True, check=False, env={**os.environ,
                                                                               "PATH": path}
    )  # fmt: skip


# (file, its text replaced by a function of the old text; None deletes it, what Galaxy says)
DEFECTS = {
    "no-readme": ("README.md", None, "No role readme found"),
    "long-description": (
        "meta/main.yml",
        lambda text: re.sub(r'description: "[^"]*"', f'description: "{"x" * 256}"', text, count=1),
        "description must not exceed 255 characters",
    ),
}


@pytest.mark.parametrize("defect", list(DEFECTS), ids=list(DEFECTS))
def test_importer_fails_on_a_planted_defect(imported: Path, tmp_path: Path, defect: str) -> None:
    relative, change, said = DEFECTS[defect]
    role = clone(imported, tmp_path)
    path = role / relative
    if change is None:
        path.unlink()
    else:
        planted = change(path.read_text())
        assert planted != path.read_text()
        path.write_text(planted)
    done = importer(imported / ".tox" / "importer", role)
    assert done.returncode != 0
    assert said in done.stdout + done.stderr


def published(project: Path, tmp_path: Path) -> None:
    """Make ``project`` a repository whose main branch is on a bare ``origin``; go to a branch."""
    publish(project, tmp_path)
    git(project, "checkout", "-q", "-b", "feature")


def test_role_change_needs_a_fragment_then_release_makes_section_and_tag(
    default_project: Path, tmp_path: Path
) -> None:
    project = clone(default_project, tmp_path)
    published(project, tmp_path)
    tasks = project / "tasks" / "main.yml"
    tasks.write_text(tasks.read_text().replace("- name: Create the system group",
                                               "- name: Create the service group", 1))  # fmt: skip
    git(project, "commit", "-qam", "rename a task")
    lint = tox(project, "lint")
    assert lint.returncode != 0
    assert (
        "fragments: tasks/main.yml changed since origin/HEAD but changelog.d/ has no new "
        "fragment: add one with `towncrier create"
    ) in lint.stdout
    assert "lint: ruff, ruff-format, yamllint, ansible-lint passed" in lint.stdout

    (project / "changelog.d").mkdir()
    (project / "changelog.d" / "+rename.changed.md").write_text(
        "The group task has a clearer name.\n"
    )
    git(project, "add", "-A")
    git(project, "commit", "-qm", "a fragment")
    release = tox(project, "release", "0.2.0")
    assert release.returncode == 0, release.stdout[-3000:]
    changelog = (project / "CHANGELOG.md").read_text()
    assert re.search(r"^## \[0\.2\.0\] - \d{4}-\d\d-\d\d\n\n### Changed\n\n- The group task "
                     r"has a clearer name\.$", changelog, re.MULTILINE), changelog  # fmt: skip
    assert changelog.index("<!-- towncrier release notes start -->") < changelog.index("## [0.2.0]")
    assert 'version = "0.2.0"' in (project / "pyproject.toml").read_text()
    assert git(project, "tag", "--points-at", "HEAD").split() == ["0.2.0"]
    assert not (project / "changelog.d" / "+rename.changed.md").exists()
    assert git(project, "status", "--porcelain") == ""
    check = tox(project, "release", "--check", "0.2.0")
    assert check.returncode == 0, check.stdout[-2000:]
    assert "release: CHANGELOG.md has the 0.2.0 section" in check.stdout
