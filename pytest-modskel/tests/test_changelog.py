"""``modskel fragments`` (the lint gate) and ``modskel release`` (towncrier faked, git real)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import FakeBin, exactly, git, own_git_identity, write_project
from pytest_modskel.commands import changelog, main
from pytest_modskel.errors import ConfigError

PYPROJECT = '[project]\nname = "acme-web"\nversion = "0.0.0"\ndescription = "x"\n'
CHANGES = f"# Changelog\n\n{changelog.MARKER}\n\n## [0.1.0] - 2026-01-01\n\n- first\n"
BASES = ("GITHUB_BASE_REF", *changelog.BASE_VARIABLES)
# towncrier build, faked: the release's section below the marker, fragments removed.
TOWNCRIER = f"""\
version=$4
python3 - "$version" <<'EOF'
import pathlib, sys
path = pathlib.Path("CHANGELOG.md")
marker = "{changelog.MARKER}"
section = f"{{marker}}\\n\\n## [{{sys.argv[1]}}] - 2026-11-30\\n\\n### Added\\n\\n- a thing\\n"
path.write_text(path.read_text().replace(marker, section))
EOF
git rm -q changelog.d/*.md
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A role project on main, pushed to ``origin`` (a bare repository), then on a branch."""
    own_git_identity(tmp_path, monkeypatch, *BASES)
    root = write_project(tmp_path / "role", pyproject=PYPROJECT)
    (root / "tasks").mkdir()
    (root / "tasks" / "main.yml").write_text("---\n[]\n")
    (root / "CHANGELOG.md").write_text(CHANGES)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(root, "push", "-q", "origin", "main")
    git(root, "remote", "set-head", "origin", "main")
    git(root, "checkout", "-q", "-b", "feature")
    monkeypatch.chdir(root)
    return root


def add_fragment(root: Path, name: str = "+x.added.md") -> None:
    (root / "changelog.d").mkdir(exist_ok=True)
    (root / "changelog.d" / name).write_text("A thing\n")


@pytest.mark.parametrize(
    ("change", "code", "said"),
    [
        ("nothing", 0, "fragments: ok (0 role file(s), 0 fragment(s) since origin/HEAD)"),
        ("tests-only", 0, "fragments: ok (0 role file(s), 0 fragment(s) since origin/HEAD)"),
        (
            "role",
            1,
            (
                f"fragments: tasks/main.yml changed since origin/HEAD but changelog.d/ has "
                f"no new fragment: add one with {changelog.CREATE}"
            ),
        ),
        (
            "role-twice",
            1,
            (
                f"fragments: defaults/main.yml and 1 more changed since origin/HEAD but "
                f"changelog.d/ has no new fragment: add one with {changelog.CREATE}"
            ),
        ),
        ("role-and-fragment", 0, "fragments: ok (1 role file(s), 1 fragment(s) since origin/HEAD)"),
    ],
    ids=["nothing", "tests-only", "role", "role-twice", "role-and-fragment"],
)
def test_fragments(
    repo: Path, capsys: pytest.CaptureFixture[str], change: str, code: int, said: str
) -> None:
    if change == "tests-only":
        (repo / "tests" / "unit").mkdir(parents=True)
        (repo / "tests" / "unit" / "test_x.py").write_text("")
    if change.startswith("role"):
        (repo / "tasks" / "main.yml").write_text("---\n- name: X\n")
        git(repo, "commit", "-qam", "role change")  # committed: found via the merge base
    if change == "role-twice":
        (repo / "defaults").mkdir()
        (repo / "defaults" / "main.yml").write_text("---\n")  # untracked: found too
    if change == "role-and-fragment":
        add_fragment(repo)
    assert main(["fragments"]) == code
    assert capsys.readouterr().out == f"{said}\n"


def test_fragments_compare_with_the_branch_ci_names(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "remote", "set-head", "origin", "--delete")
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    assert main(["fragments"]) == 0
    assert capsys.readouterr().out.endswith("since origin/main)\n")
    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", "0" * 40)
    assert main(["fragments"]) == 2
    assert capsys.readouterr().err == (
        f"modskel fragments: error: cannot compare with '{'0' * 40}': no such commit here; "
        "fetch it (git fetch origin)\n"
    )


@pytest.mark.parametrize(
    ("setup", "said"),
    [
        ("no-git", "fragments: not a git repository: nothing to compare with, not checked"),
        (
            "no-remote",
            (
                "fragments: no default branch to compare with (origin/HEAD, origin/main, "
                "origin/master): not checked"
            ),
        ),
    ],
    ids=["no-git", "no-remote"],
)
def test_fragments_cannot_compare(
    repo: Path, capsys: pytest.CaptureFixture[str], setup: str, said: str
) -> None:
    if setup == "no-git":
        subprocess.run(["rm", "-rf", str(repo / ".git")], check=True)
    else:
        git(repo, "remote", "remove", "origin")
    assert main(["fragments"]) == 0
    assert capsys.readouterr().out == f"{said}\n"


@pytest.fixture
def towncrier(fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch) -> FakeBin:
    fake_bin.add("towncrier", TOWNCRIER)
    monkeypatch.setenv("PATH", f"{fake_bin.folder}:/usr/bin:/bin")
    return fake_bin


def test_release_assembles_bumps_commits_and_tags(
    repo: Path, towncrier: FakeBin, capsys: pytest.CaptureFixture[str]
) -> None:
    add_fragment(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a fragment")
    assert main(["release", "0.2.0"]) == 0
    assert capsys.readouterr().out == (
        "release: CHANGELOG.md has the 0.2.0 section, pyproject.toml says 0.2.0; committed and "
        "tagged 0.2.0: `git push --follow-tags` publishes it\n"
    )
    assert towncrier.calls("towncrier") == ["towncrier build --yes --version 0.2.0"]
    assert 'version = "0.2.0"' in (repo / "pyproject.toml").read_text()
    assert git(repo, "tag", "--points-at", "HEAD").split() == ["0.2.0"]
    assert git(repo, "log", "-1", "--format=%s").strip() == "Release 0.2.0"
    assert git(repo, "status", "--porcelain") == ""
    assert main(["release", "--check", "0.2.0"]) == 0
    assert capsys.readouterr().out == "release: CHANGELOG.md has the 0.2.0 section\n"


def test_release_check_fails_without_the_section(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "CHANGELOG.md").unlink()
    assert main(["release", "--check", "0.3.0"]) == 1
    assert capsys.readouterr().out == (
        "release: CHANGELOG.md has no 0.3.0 section: tag releases made with "
        "`tox -e release -- 0.3.0`\n"
    )


@pytest.mark.parametrize(
    ("setup", "version", "message"),
    [
        (
            "",
            "v1.0",
            ("release version 'v1.0' is not X.Y.Z: give one like 1.4.0 (the tag is the same)"),
        ),
        (
            "dirty",
            "0.2.0",
            ("the work tree has uncommitted changes (?? stray.txt): commit them first"),
        ),
        ("tagged", "0.1.0", "tag 0.1.0 exists already: choose the next version"),
        (
            "no-marker",
            "0.2.0",
            (
                f"CHANGELOG.md has no {changelog.MARKER} line: add it above the "
                "newest release section"
            ),
        ),
        (
            "no-fragment",
            "0.2.0",
            (
                f"changelog.d/ holds no fragment, so nothing to release: add "
                f"one with {changelog.CREATE}"
            ),
        ),
        (
            "no-towncrier",
            "0.2.0",
            ("towncrier not found on PATH: run `tox -e release -- X.Y.Z`, which installs it"),
        ),
        (
            "no-version",
            "0.2.0",
            ('pyproject.toml: no `version = "..."` in [project]: add `version = "0.0.0"` there'),
        ),
    ],
    ids=["not-semver", "dirty", "tagged", "no-marker", "no-fragment", "no-towncrier", "no-version"],
)
def test_release_refuses(  # noqa: PLR0913, PLR0917 - fixtures and the table's columns
    repo: Path,
    towncrier: FakeBin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    version: str,
    message: str,
) -> None:
    add_fragment(repo)
    if setup == "no-marker":
        (repo / "CHANGELOG.md").write_text("# Changelog\n")
    if setup == "no-fragment":
        (repo / "changelog.d" / "+x.added.md").unlink()
        (repo / "changelog.d" / ".gitkeep").write_text("")
    if setup == "no-version":
        (repo / "pyproject.toml").write_text('[project]\nname = "x"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "ready")
    if setup == "dirty":
        (repo / "stray.txt").write_text("")
    if setup == "tagged":
        git(repo, "tag", "0.1.0")
    if setup == "no-towncrier":
        monkeypatch.setenv("PATH", "/usr/bin:/bin")
        (towncrier.folder / "towncrier").unlink()
    assert main(["release", version]) == 2 + (setup == "no-towncrier")
    assert capsys.readouterr().err == f"modskel release: error: {message}\n"


def test_bump_touches_only_the_project_version(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\nversion = "0.0.0"\n\n[tool.x]\nversion = "9"\n')
    changelog.bump(path, "1.2.3")
    assert (
        path.read_text() == '[project]\nname = "x"\nversion = "1.2.3"\n\n[tool.x]\nversion = "9"\n'
    )
    path.write_text('[tool.x]\nversion = "9"\n')
    with pytest.raises(ConfigError, match=r"^pyproject.toml: no `version"):
        changelog.bump(path, "1.2.3")


def test_semver_accepts_x_y_z() -> None:
    assert changelog.semver("10.0.1") == "10.0.1"
    with pytest.raises(
        ConfigError,
        match=exactly(
            "release version '1.0' is not X.Y.Z: give one like 1.4.0 (the tag is the same)"
        ),
    ):
        changelog.semver("1.0")
