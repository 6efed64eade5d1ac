"""``python -m tools.fleet``: one table for projects at different template releases."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from copier import run_copy
from packaging.version import Version

from tests.helpers import git
from tests.test_update import NEWER, NEXT, RELEASES, released  # noqa: F401 - the fixture
from tools import fleet

if TYPE_CHECKING:
    from pathlib import Path

FIRST = RELEASES[0]["version"]
OPEN = f"open ({fleet.UPDATE_BRANCH})"
ANSWERS = ".copier-answers.yml"


@pytest.fixture(scope="module")
def projects(released: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:  # noqa: F811
    """Three committed projects: at the first release, at NEXT, at NEWER (the latest).

    ``web`` (the first release) has the update job's branch; copier renders only, no tox.
    """
    made = {}
    for name, version in (("web", FIRST), ("db", NEXT), ("cache", NEWER)):
        dst = tmp_path_factory.mktemp("fleet") / name
        run_copy(str(released), dst, defaults=True, unsafe=True, vcs_ref=version, quiet=True)
        git(dst, "init", "-q")
        git(dst, "add", "-A")
        git(dst, "commit", "-qm", f"generated at {version}")
        made[name] = dst
    git(made["web"], "branch", fleet.UPDATE_BRANCH)
    return made


def rows(out: str) -> list[list[str]]:
    """The table's rows, cells split on the runs of spaces between columns."""
    return [re.split(r"\s{2,}", line) for line in out.splitlines()]


def test_table_lists_each_project_and_how_far_behind(
    projects: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "fleet.json"
    cache_url = f"file://{projects['cache']}"
    targets = [str(projects["web"]), str(projects["db"]), cache_url]
    assert fleet.main([*targets, "--json", str(report)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert rows(out) == [
        list(fleet.COLUMNS),
        ["web", FIRST, NEWER, "2", OPEN, "-"],
        ["db", NEXT, NEWER, "1", "none", "-"],
        ["cache", NEWER, NEWER, "0", "none", "-"],
    ]
    assert json.loads(report.read_text()) == [
        {"project": "web", "source": targets[0], "template_version": FIRST,
         "latest_release": NEWER, "behind": 2, "update_request": True, "gates": None},
        {"project": "db", "source": targets[1], "template_version": NEXT,
         "latest_release": NEWER, "behind": 1, "update_request": False, "gates": None},
        {"project": "cache", "source": cache_url, "template_version": NEWER,
         "latest_release": NEWER, "behind": 0, "update_request": False, "gates": None},
    ]  # fmt: skip


def test_update_branch_on_the_remote_counts_as_open(
    projects: dict[str, Path],
    released: Path,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"file://{projects['web']}"
    assert fleet.main([url, "--template", str(released)]) == 0
    assert rows(capsys.readouterr().out)[1] == ["web", FIRST, NEWER, "2", OPEN, "-"]


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        (None, "error: role: no .copier-answers.yml: not generated with copier from modskel"),
        ("_src_path: /x\n", f"error: role: {ANSWERS} records no _commit: run `copier update "),
        ("_commit: v1.0.0\n", f"error: role: {ANSWERS} records no _src_path: pass the template "),
        ("_commit: v1.0.0\n_src_path: /nowhere/template\n", "error: `git ls-remote` failed: "),
    ],
    ids=["no-answers", "no-commit", "no-source", "template-unreadable"],
)  # fmt: skip
def test_unreadable_project_is_named_and_the_rest_listed(
    projects: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    answers: str | None,
    error: str,
) -> None:
    role = tmp_path / "role"
    role.mkdir()
    if answers is not None:
        (role / ".copier-answers.yml").write_text(answers)
    assert fleet.main([str(role), str(projects["cache"])]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(error)
    assert len(err.splitlines()) == 1
    assert [row[0] for row in rows(out)] == ["project", "cache"]


def test_missing_folder_and_unreachable_url_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fleet.main([str(tmp_path / "gone"), f"file://{tmp_path}/none.git"]) == 2
    out, err = capsys.readouterr()
    assert (
        err.splitlines()[0]
        == f"error: {tmp_path}/gone: no such folder: give a project folder or a git URL"
    )
    assert err.splitlines()[1].startswith("error: `git clone` failed: fatal: '")
    assert rows(out) == [list(fleet.COLUMNS)]


@pytest.mark.parametrize(
    ("commit", "count"),
    [("v0.1.0", 2), ("v0.1.0-3-g1a2b3c4", 2), ("v99.1.0", 0), ("1a2b3c4", None)],
    ids=["release", "after-a-release", "latest", "not-a-release"],
)
def test_behind_counts_newer_releases(commit: str, count: int | None) -> None:
    known = [(Version(tag), tag) for tag in ("v0.1.0", "v99.0.0", "v99.1.0")]
    assert fleet.behind(commit, known) == count


@pytest.mark.parametrize(
    ("target", "kind"),
    [("git@example.com:infra/web.git", "url"), ("https://h/x.git", "url"), ("../web", "folder")],
    ids=["scp-like", "https", "folder"],
)
def test_url_or_folder(target: str, kind: str) -> None:
    assert fleet.is_url(target) is (kind == "url")
    assert fleet.expand("gh:modskel/modskel") == "https://github.com/modskel/modskel"
