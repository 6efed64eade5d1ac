"""The scheduled update job's script, ``modskel template-update``, against local git remotes.

The template is this work tree tagged OLD, plus one release (NEW) that changes a
line of tox.ini and adds its CHANGELOG entry. Each project is generated at a
release, committed and pushed to a bare ``origin``; the command runs with
``--dry-run --payload``: the request it would send is checked, no network used.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
from copier import run_copy

from tests.helpers import BIN, git

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.slow

OLD, NEW = "v99.0.0", "v99.1.0"
BRANCH = "modskel/template-update"
CLEAN_LINE = (
    "description = remove test containers a killed run left behind (label io.modskel.harness)"
)
NEW_LINE = f"{CLEAN_LINE}; kept dev machines too"
ENTRY = (
    "## [99.1.0] - 2026-11-30\n\n### Changed\n\n- `tox -e clean` says it removes kept machines.\n\n"
)


@pytest.fixture(scope="module")
def releases(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template at OLD, and NEW: one changed tox.ini line and its CHANGELOG entry."""
    repo = tmp_path_factory.mktemp("releases") / "modskel"
    shutil.copytree(template_src, repo)
    git(repo, "tag", OLD)
    tox_ini = repo / "template" / "tox.ini.jinja"
    assert CLEAN_LINE in tox_ini.read_text()
    tox_ini.write_text(tox_ini.read_text().replace(CLEAN_LINE, NEW_LINE))
    changelog = repo / "CHANGELOG.md"
    text = changelog.read_text()
    first = text.index("\n## ") + 1
    changelog.write_text(text[:first] + ENTRY + text[first:])
    git(repo, "commit", "-qam", "a newer release")
    git(repo, "tag", NEW)
    return repo


def project_at(releases: Path, tmp_path: Path, version: str) -> Path:
    """Generate a project at ``version``, commit it, push it to a bare ``origin``."""
    dst = tmp_path / "sample_role"
    run_copy(str(releases), dst, defaults=True, unsafe=True, vcs_ref=version, quiet=True)
    git(dst, "init", "-q", "-b", "main")
    git(dst, "add", "-A")
    git(dst, "commit", "-qm", f"generated at {version}")
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(dst, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(dst, "push", "-q", "origin", "main")
    return dst


def template_update(project: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    """Run the command with ``--dry-run --payload``; return its run and the payload (or None)."""
    request = project.parent / "request.json"
    cmd = [str(BIN / "modskel"), "template-update", "--dry-run", "--payload", str(request), *args]
    done = subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=False)
    return done, json.loads(request.read_text()) if request.exists() else None


def test_no_update_does_nothing(releases: Path, tmp_path: Path) -> None:
    project = project_at(releases, tmp_path, NEW)
    done, request = template_update(project)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "template-update: up to date (99.1.0); nothing to do\n"
    assert request is None
    assert git(project, "branch", "--list", BRANCH) == ""
    assert git(project, "status", "--porcelain") == ""


def test_clean_update_makes_a_branch_with_the_new_version_and_passing_gates(
    releases: Path, tmp_path: Path
) -> None:
    project = project_at(releases, tmp_path, OLD)
    done, request = template_update(project)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert done.stdout.splitlines()[-3:] == [
        "template-update: passed: tox -e lint",
        "template-update: passed: tox -e unit",
        "template-update: ready: Update the modskel template from 99.0.0 to 99.1.0",
    ]
    assert git(project, "rev-parse", "--abbrev-ref", "HEAD").strip() == BRANCH
    assert "_commit: v99.1.0" in git(project, "show", f"{BRANCH}:.copier-answers.yml")
    assert NEW_LINE in git(project, "show", f"{BRANCH}:tox.ini")
    assert git(project, "status", "--porcelain") == ""
    assert request["title"] == "Update the modskel template from 99.0.0 to 99.1.0"
    assert (request["branch"], request["base"], request["draft"]) == (BRANCH, "main", False)
    assert "- passed: `tox -e lint`" in request["body"]
    assert "- passed: `tox -e unit`" in request["body"]
    assert "### Migrations run\n- (none)\n" in request["body"]
    assert "- `tox -e clean` says it removes kept machines." in request["body"]


def test_conflicting_update_makes_a_draft_listing_the_files(releases: Path, tmp_path: Path) -> None:
    project = project_at(releases, tmp_path, OLD)
    tox_ini = project / "tox.ini"
    tox_ini.write_text(tox_ini.read_text().replace(CLEAN_LINE, "description = ours"))
    git(project, "commit", "-qam", "the author's description")
    done, request = template_update(project)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == (
        "template-update: draft request: 1 conflicted file(s): tox.ini"
    )
    assert request["draft"] is True
    assert request["conflicts"] == ["tox.ini"]
    assert "**Conflicts**: copier could not merge 1 file(s)" in request["body"]
    assert "- `tox.ini`\n" in request["body"]
    assert "- not run: resolve the conflicts first" in request["body"]
    assert git(project, "ls-files", "--unmerged") == ""
    assert "<<<<<<<" in git(project, "show", f"{BRANCH}:tox.ini")
