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


# A collection: antsibull-changelog fragments in changelogs/fragments/, galaxy.yml's version.
GALAXY = "# the collection\nnamespace: acme\nname: web\nversion: 0.1.0  # by release\nreadme: x\n"
# antsibull-changelog, faked: lint reports a fragment named bad*; release records the version.
ANTSIBULL = """\
case "$1" in
  lint) for f in changelogs/fragments/bad*; do
          [ -e "$f" ] && echo "$f:0:0: invalid section: nonsense" && failed=3
        done; exit "${failed:-0}" ;;
  release) printf 'releases:\\n  %s:\\n    changes: {}\\n' "$3" > changelogs/changelog.yaml
           rm changelogs/fragments/*.yml ;;
esac
"""


@pytest.fixture
def collection(repo: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository made a collection on main (galaxy.yml, plugins/), on a feature branch."""
    monkeypatch.setenv("PATH", f"{fake_bin.folder}:/usr/bin:/bin")
    git(repo, "checkout", "-q", "main")
    (repo / "galaxy.yml").write_text(GALAXY)
    (repo / "plugins" / "modules").mkdir(parents=True)
    (repo / "plugins" / "modules" / "web_config.py").write_text("x = 1\n")
    (repo / "changelogs" / "fragments").mkdir(parents=True)
    (repo / "changelogs" / "fragments" / ".keep").write_text("")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a collection")
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "main")
    fake_bin.add("antsibull-changelog", ANTSIBULL)
    return repo


def add_yaml_fragment(root: Path, name: str = "x.yml", text: str = "bugfixes:\n  - x.\n") -> None:
    (root / "changelogs" / "fragments" / name).write_text(text)


NO_FRAGMENT = (
    "fragments: plugins/modules/web_config.py changed since origin/HEAD but "
    f"changelogs/fragments/ has no new fragment: add one with {changelog.YAML_CREATE}"
)


@pytest.mark.parametrize(
    ("change", "code", "said"),
    [
        ("nothing", 0, ["fragments: ok (0 content file(s), 0 fragment(s) since origin/HEAD)"]),
        (
            "module",
            1,
            [
                NO_FRAGMENT,
            ],
        ),
        (
            "module-and-md-fragment",
            1,
            [
                NO_FRAGMENT,
            ],
        ),
        (
            "module-and-fragment",
            0,
            ["fragments: ok (1 content file(s), 1 fragment(s) since origin/HEAD)"],
        ),
        (
            "bad-fragments",
            1,
            [
                "fragments: changelogs/fragments/bad1.yml: invalid section: nonsense",
                "fragments: changelogs/fragments/bad2.yaml: invalid section: nonsense",
            ],
        ),
    ],
    ids=["nothing", "module", "module-and-md-fragment", "module-and-fragment", "bad-fragments"],
)
def test_collection_fragments(
    collection: Path, capsys: pytest.CaptureFixture[str], change: str, code: int, said: list[str]
) -> None:
    if change.startswith("module"):
        (collection / "plugins" / "modules" / "web_config.py").write_text("x = 2\n")
    if change == "module-and-md-fragment":
        add_yaml_fragment(collection, "x.md")  # antsibull-changelog reads .yml and .yaml only
    if change == "module-and-fragment":
        add_yaml_fragment(collection)
    if change == "bad-fragments":
        add_yaml_fragment(collection, "bad1.yml", "nonsense: []\n")
        add_yaml_fragment(collection, "bad2.yaml", "nonsense: []\n")
    assert main(["fragments"]) == code
    assert capsys.readouterr().out.splitlines() == said


def test_collection_fragments_lint_fails_without_a_word(
    collection: Path, fake_bin: FakeBin, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_bin.add("antsibull-changelog", "echo 'Traceback: boom' >&2; exit 1")
    add_yaml_fragment(collection)
    assert main(["fragments"]) == 1
    assert (
        capsys.readouterr().out == "fragments: antsibull-changelog lint failed: Traceback: boom\n"
    )


def test_collection_release(collection: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_yaml_fragment(collection)
    git(collection, "add", "-A")
    git(collection, "commit", "-qm", "a fragment")
    assert main(["release", "--check", "0.2.0"]) == 1
    assert capsys.readouterr().out == (
        "release: changelogs/changelog.yaml has no 0.2.0 release: tag releases made with "
        "`tox -e release -- 0.2.0`\n"
    )
    assert main(["release", "0.2.0"]) == 0
    assert capsys.readouterr().out == (
        "release: changelogs/changelog.yaml has the 0.2.0 release, galaxy.yml says 0.2.0; "
        "committed and tagged 0.2.0: `git push --follow-tags` publishes it\n"
    )
    assert (collection / "galaxy.yml").read_text() == GALAXY.replace("0.1.0", "0.2.0")
    assert git(collection, "tag", "--points-at", "HEAD").split() == ["0.2.0"]
    assert git(collection, "status", "--porcelain") == ""
    assert main(["release", "--check", "0.2.0"]) == 0
    assert capsys.readouterr().out == "release: changelogs/changelog.yaml has the 0.2.0 release\n"
    galaxy = collection / "galaxy.yml"
    galaxy.write_text(galaxy.read_text().replace("version: 0.2.0", "version: 0.1.9"))
    assert main(["release", "--check", "0.2.0"]) == 1  # the artifact would be 0.1.9
    assert capsys.readouterr().out == (
        "release: galaxy.yml says version 0.1.9, the tag 0.2.0: the artifact would not be "
        "0.2.0; tag releases made with `tox -e release -- 0.2.0`\n"
    )


@pytest.mark.parametrize(
    ("setup", "message", "code"),
    [
        ("dirty", "the work tree has uncommitted changes (?? stray.txt): commit them first", 2),
        (
            "no-fragment",
            (
                "changelogs/fragments/ holds no fragment, so nothing to release: add "
                f"{changelog.YAML_CREATE}"
            ),
            2,
        ),
        (
            "no-antsibull-changelog",
            (
                "antsibull-changelog not found on PATH: run `tox -e lint` or "
                "`tox -e release -- X.Y.Z`, whose envs install it"
            ),
            3,
        ),
    ],
    ids=["dirty", "no-fragment", "no-antsibull-changelog"],
)
def test_collection_release_refuses(  # noqa: PLR0913, PLR0917 - fixtures and the table's columns
    collection: Path,
    fake_bin: FakeBin,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    message: str,
    code: int,
) -> None:
    if setup != "no-fragment":
        add_yaml_fragment(collection)
        git(collection, "add", "-A")
        git(collection, "commit", "-qm", "a fragment")
    if setup == "dirty":
        (collection / "stray.txt").write_text("")
    if setup == "no-antsibull-changelog":
        (fake_bin.folder / "antsibull-changelog").unlink()
    assert main(["release", "0.2.0"]) == code
    assert capsys.readouterr().err == f"modskel release: error: {message}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: web\nversion: 0.1.0\n", "name: web\nversion: 1.2.3\n"),
        ("version: '0.1.0'  # keep\nx: 1\n", "version: '1.2.3'  # keep\nx: 1\n"),
        ('a:\n  version: 9\nversion: "0.1.0"\n', 'a:\n  version: 9\nversion: "1.2.3"\n'),
    ],
    ids=["plain", "quoted-with-comment", "nested-left-alone"],
)
def test_set_galaxy_version(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "galaxy.yml"
    path.write_bytes(text.encode())
    changelog.set_galaxy_version(path, "1.2.3")
    assert path.read_bytes() == expected.encode()


def test_set_galaxy_version_needs_the_line(tmp_path: Path) -> None:
    path = tmp_path / "galaxy.yml"
    path.write_text("name: web\n")
    message = "galaxy.yml: no top-level `version: X.Y.Z` line: add `version: 0.0.0` there"
    with pytest.raises(ConfigError, match=exactly(message)):
        changelog.set_galaxy_version(path, "1.2.3")
