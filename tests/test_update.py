"""``copier update`` from every release keeps the author's edits and brings the template's."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, TypeAlias

import pytest
import yaml
from copier import run_copy, run_update

from tests.helpers import BIN, REPO, git, tox

RELEASES: list[dict[str, str]] = yaml.safe_load((REPO / "tests/data/releases.yml").read_text())
RECORDED = {row["version"] for row in RELEASES}
# Tags may exist without a row (or not at all, in a clone that did not fetch them).
TAGGED = set(git(REPO, "tag", "--list", "v*").split())
VERSIONS = sorted(RECORDED | TAGGED)
NEXT = "v99.0.0"  # the work tree, tagged as the release under test
NEWER = "v99.1.0"  # NEXT plus a small template change, for the drift report
MIGRATION = REPO / "hooks" / "migrations" / "ci_providers.py"
CONFIG = yaml.safe_load((REPO / "copier.yml").read_text().replace("!include", ""))
AUTHOR_FILES: list[str] = CONFIG["_skip_if_exists"]
Project: TypeAlias = Callable[..., Path]


def conflicts(project: Path) -> subprocess.CompletedProcess[str]:
    """Run the project's own conflict check (the first command of ``tox -e lint``)."""
    cmd = [str(BIN / "modskel"), "conflicts"]
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def released(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's history with every release tagged, and the work tree tagged NEXT."""
    repo = tmp_path_factory.mktemp("released") / "modskel"
    git(REPO, "clone", "-q", "--no-local", str(REPO), str(repo))
    for row in RELEASES:
        if row["version"] not in TAGGED:  # a clone has the repository's own tags already
            git(repo, "tag", row["version"], row["commit"])
    git(repo, "rm", "-rq", ".")
    shutil.copytree(template_src, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "work tree", "--allow-empty")
    git(repo, "tag", NEXT)
    ignore = repo / "template" / ".gitignore.jinja"
    ignore.write_text(ignore.read_text() + "*.bak\n")
    git(repo, "commit", "-qam", "a newer release")
    git(repo, "tag", NEWER)
    return repo


@pytest.fixture
def project_at(released: Path, tmp_path: Path) -> Project:
    """Return a function generating a committed project at a release."""

    def _project(version: str, **data: Any) -> Path:  # noqa: ANN401
        dst = tmp_path / "sample_role"
        run_copy(
            str(released), dst, data=data, defaults=True, unsafe=True, vcs_ref=version, quiet=True
        )
        git(dst, "init", "-q")
        git(dst, "add", "-A")
        git(dst, "commit", "-qm", f"generated at {version}")
        return dst

    return _project


def update(project: Path, version: str = NEXT) -> None:
    """Commit whatever the author changed, then update the project to ``version``."""
    git(project, "add", "-A")
    git(project, "commit", "-qm", "author edits", "--allow-empty")
    run_update(project, defaults=True, unsafe=True, vcs_ref=version, quiet=True, overwrite=True)


def edit(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


def authors(project: Path) -> dict[str, bytes]:
    """Return the project's files that match copier.yml's author-owned patterns, by path."""
    files = (p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    return {
        name: (project / name).read_bytes()
        for name in sorted(files)
        if any(fnmatch(name, pattern) for pattern in AUTHOR_FILES)
    }


def load_module(path: Path) -> Any:  # noqa: ANN401 - a module
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_every_release_updates_cleanly(project_at: Project, version: str) -> None:
    project = project_at(version)
    update(project)
    assert conflicts(project).returncode == 0, conflicts(project).stdout
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == NEXT
    done = tox(project, "lint,unit")
    assert done.returncode == 0, done.stdout[-3000:]


def test_author_files_are_left_alone_and_template_changes_arrive(project_at: Project) -> None:
    project = project_at(RELEASES[0]["version"], ci="both")
    edit(project, "meta/main.yml", "galaxy_tags: []", "galaxy_tags: [web, proxy]")
    edit(project, "meta/main.yml", "dependencies: []", "dependencies: [acme.base]")
    (project / "tests" / "unit" / "test_templates.py").unlink()  # the author needs none
    edit(
        project,
        "README.md",
        "## Usage",
        "## Usage\n\nOur team applies this role to every web host.",
    )
    tasks = project / "tasks" / "main.yml"
    tasks.write_text(
        tasks.read_text() + "\n- name: Author's own task\n  ansible.builtin.debug:\n    msg: hi\n"
    )
    edit(project, "defaults/main.yml", "_port: 8080", "_port: 9999")
    # Between two sections this release leaves alone (it changed the last one, clean).
    edit(project, "tox.ini", "[testenv:docs]", "[testenv:mine]\ncommands = true\n\n[testenv:docs]")
    (project / "tests" / "unit" / "test_mine.py").write_text("def test_mine() -> None:\n    pass\n")
    pyproject = project / "pyproject.toml"
    # Next to [project], away from what the template changes (its end is not: both append).
    mine = '[tool.mine]\nkeep = "me"\n\n[dependency-groups]'
    pyproject.write_text(pyproject.read_text().replace("[dependency-groups]", mine, 1))
    owned = authors(project)
    update(project)
    # Not one file of the author's added (the sample filter, its test, the service
    # template), changed (meta/main.yml: the template's new header stays out) or re-created.
    assert authors(project) == owned
    samples = ["filter_plugins", "tests/unit/test_filters.py", "tests/unit/test_templates.py",
               "templates/sample_role.service.j2"]  # fmt: skip
    assert [name for name in samples if (project / name).exists()] == []
    meta = yaml.safe_load((project / "meta" / "main.yml").read_text())
    assert meta["galaxy_info"]["galaxy_tags"] == ["web", "proxy"]
    assert meta["dependencies"] == ["acme.base"]
    check = load_module(project / "tests" / "unit" / "test_meta.py")  # the template's, new
    expected = {"platforms": check.PLATFORMS, "min_ansible_version": check.MIN_ANSIBLE_VERSION}
    assert check.meta_problems(project, **expected) == []
    assert "Our team applies this role to every web host." in (project / "README.md").read_text()
    assert "Author's own task" in tasks.read_text()
    assert "_port: 9999" in (project / "defaults" / "main.yml").read_text()
    tox_ini = (project / "tox.ini").read_text()
    assert "[testenv:mine]" in tox_ini
    assert "[testenv:update-check]" in tox_ini  # a changed managed file
    assert (project / "tests" / "unit" / "test_mine.py").exists()
    assert '[tool.mine]\nkeep = "me"' in pyproject.read_text()
    assert "pytest-xdist" in pyproject.read_text()
    assert not (project / "tests" / "harness").exists()  # the vendored harness is gone
    assert not (project / "tests" / "conftest.py").exists()  # the plugin loads itself
    assert "pytest-modskel==" in pyproject.read_text()  # the package instead
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["ci_providers"] == ["github", "gitlab"]  # the answer renamed by migration
    assert "ci" not in answers
    assert (project / ".gitlab-ci.yml").exists()
    assert conflicts(project).returncode == 0, conflicts(project).stdout


def test_overlapping_change_leaves_markers_that_the_gates_catch(project_at: Project) -> None:
    project = project_at(RELEASES[0]["version"])
    old = "lint Python (ruff), YAML (yamllint) and the role (ansible-lint, production profile)"
    edit(project, "tox.ini", f"description = {old}", "description = our own lint description")
    update(project)
    text = (project / "tox.ini").read_text()
    assert "our own lint description" in text  # nothing dropped: both sides are there
    assert "no update conflicts left" in text
    check = conflicts(project)
    assert check.returncode == 1
    assert "tox.ini:" in check.stdout
    assert "conflict marker '<<<<<<<'; resolve the merge" in check.stdout
    assert "unresolved update conflict(s)" in check.stdout
    hook = subprocess.run(
        [str(BIN / "pre-commit"), "run", "check-merge-conflict", "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert hook.returncode != 0
    assert "Merge conflict string" in hook.stdout


def test_dirty_work_tree_is_refused(project_at: Project) -> None:
    project = project_at(RELEASES[0]["version"])
    edit(project, "README.md", "## Usage", "## Usage (uncommitted)")
    done = subprocess.run(
        [str(BIN / "copier"), "update", "--defaults", "--trust", "--vcs-ref", NEXT],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "Destination repository is dirty; cannot continue" in done.stderr
    assert "## Usage (uncommitted)" in (project / "README.md").read_text()


@pytest.mark.slow
def test_update_check_reports_drift_then_nothing(project_at: Project) -> None:
    project = project_at(NEXT)
    behind = tox(project, "update-check")
    assert behind.returncode == 1, behind.stdout[-2000:]
    # copier's own version numbers (PEP 440, from the tags)
    assert f"behind: generated from {NEXT[1:]}, the template is at {NEWER[1:]}." in behind.stdout
    assert "change  .gitignore" in behind.stdout
    assert git(project, "status", "--porcelain") == ""  # the trial ran in a clone
    update(project, NEWER)
    current = tox(project, "update-check")
    assert current.returncode == 0, current.stdout[-2000:]
    assert f"up to date: generated from {NEWER[1:]}" in current.stdout


def load_migration() -> Any:  # noqa: ANN401 - a module
    return load_module(MIGRATION)


def test_update_leaves_out_exactly_the_author_files_and_their_folders(
    default_project: Path, collection_project: Path
) -> None:
    entry = next(e for e in CONFIG["_exclude"] if "_copier_operation" in e)
    first, *patterns, last = entry.splitlines()
    assert (first, last) == ("[%- if _copier_operation == 'update' %]", "[%- endif %]")
    folders = [p for p in patterns if p.startswith("/")]
    assert [p for p in patterns if p not in folders] == AUTHOR_FILES
    # A folder left out holds nothing of the template's, in a role or a collection.
    for folder in folders:
        names = [
            p.relative_to(project).as_posix()
            for project in (default_project, collection_project)
            for p in (project / folder[1:]).rglob("*")
            if p.is_file()
        ]
        assert names, folder
        assert [n for n in names if not any(fnmatch(n, a) for a in AUTHOR_FILES)] == [], folder


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ci: github", "ci_providers: [github]"),
        ("ci: gitlab", "ci_providers: [gitlab]"),
        ("ci: both", "ci_providers: [github, gitlab]"),
        ("ci: 'none'", "ci_providers: []"),
    ],
    ids=["github", "gitlab", "both", "none"],
)
def test_ci_migration_maps_each_old_answer(line: str, expected: str) -> None:
    migrate = load_migration().migrate
    migrated = migrate(f"_commit: v0.1.0\n{line}\nlicense: MIT\n")
    assert migrated == f"_commit: v0.1.0\n{expected}\nlicense: MIT\n"
    assert migrate(migrated) == migrated  # idempotent


def test_ci_migration_refuses_an_unknown_value() -> None:
    with pytest.raises(
        SystemExit, match=r"ci: 'travis' in .copier-answers.yml is not one of github"
    ):
        load_migration().migrate("ci: travis\n")


def test_renamed_author_file_keeps_its_edits_via_migration(released: Path, tmp_path: Path) -> None:
    newer = tmp_path / "renaming"
    git(released, "clone", "-q", str(released), str(newer))
    git(newer, "checkout", "-q", NEXT)
    tests_dir = newer / "template" / "tests" / "integration"
    git(newer, "mv", str(tests_dir / "test_role.py.jinja"), str(tests_dir / "test_verify.py.jinja"))
    config = newer / "copier.yml"
    text = config.read_text().replace(
        "tests/integration/test_role.py", "tests/integration/test_verify.py"
    )
    old, new = "tests/integration/test_role.py", "tests/integration/test_verify.py"
    move = f"""\
  - version: v99.2.0
    when: "[[ _stage == 'before' ]]"
    command: "test ! -f {old} || git mv {old} {new}"
"""
    config.write_text(text.replace("_migrations:\n", "_migrations:\n" + move))
    git(newer, "commit", "-qam", "rename test_role.py to test_verify.py")
    git(newer, "tag", "v99.2.0")
    project = tmp_path / "role"
    run_copy(str(newer), project, defaults=True, unsafe=True, vcs_ref=NEXT, quiet=True)
    git(project, "init", "-q")
    edit(project, old, "def test_user_is_a_system_account", "def test_mine")
    git(project, "add", "-A")
    git(project, "commit", "-qm", f"generated at {NEXT}, with author edits")
    run_update(project, defaults=True, unsafe=True, vcs_ref="v99.2.0", quiet=True, overwrite=True)
    assert not (project / "tests" / "integration" / "test_role.py").exists()
    assert "def test_mine" in (project / "tests" / "integration" / "test_verify.py").read_text()


def copier_update(project: Path, version: str = NEXT) -> subprocess.CompletedProcess[str]:
    """Commit the author's edits and run the ``copier update`` CLI, as a user would."""
    git(project, "add", "-A")
    git(project, "commit", "-qm", "author edits", "--allow-empty")
    cmd = [str(BIN / "copier"), "update", "--defaults", "--trust", "--vcs-ref", version]
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=False)


@pytest.mark.slow
def test_vendored_harness_is_removed_and_an_edited_file_kept(project_at: Project) -> None:
    project = project_at(RELEASES[0]["version"])
    plugin = project / "tests" / "harness" / "plugin.py"
    edited = plugin.read_text() + "\n# our team's tweak\n"
    plugin.write_text(edited)
    done = copier_update(project)
    assert done.returncode == 0, done.stderr[-2000:]
    kept = project / "harness-edits" / "tests" / "harness" / "plugin.py.edited"
    assert kept.read_text() == edited  # not lost
    said = [line for line in done.stderr.splitlines() if line.startswith("modskel migration:")]
    kept_line = (
        "modskel migration: tests/harness/plugin.py: you had edited it; kept as "
        "harness-edits/tests/harness/plugin.py.edited (the harness is now the pytest-modskel "
        "package: port your change)"
    )
    repointed = (
        "modskel migration: tests/unit/test_templates.py: now imports the harness from the "
        "pytest-modskel package"
    )
    assert said == [kept_line, repointed]
    assert not (project / "tests" / "harness").exists()
    assert not (project / "tests" / "conftest.py").exists()
    templates_test = (project / "tests" / "unit" / "test_templates.py").read_text()
    assert "from pytest_modskel.compat import PROJECT_ROOT, Role, ansible_bin" in templates_test
    gates = tox(project, "lint,unit")
    assert gates.returncode == 0, gates.stdout[-3000:]
