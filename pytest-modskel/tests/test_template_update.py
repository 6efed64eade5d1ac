"""``modskel template-update``: the update branch, conflicts, gates and the request payload.

copier is faked (a module run as ``python -m``); git, the template repository
with its tags, and the project's remote are real and local. The forges' REST
calls are checked through their seam (``forges.call``), without network.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, Self

import pytest
import yaml
from conftest import FakeBin, exactly, git, own_git_identity, write_project
from packaging.version import Version
from pytest_modskel.commands import forges, main, template_update, update_check
from pytest_modskel.commands.template_update import BRANCH, History, Request
from pytest_modskel.errors import ConfigError, SetupError

CHANGELOG = """\
# Changelog

## [Unreleased]

- not released

## [1.2.0] - 2026-10-01

### Added

- the newest

## v1.1.0

- the middle one

## [1.0.0]

- the oldest
"""
COPIER_YML = """\
_min_copier_version: "9"
matrix: !include matrix/a.yml
_migrations:
  - version: v1.1.0
    command: ["[[ _copier_python ]]", "[[ _copier_conf.src_path ]]/hooks/migrations/a.py"]
  - version: v1.2.0
    command: "echo inline"
  - version: v1.2.0
    command: ["[[ _copier_python ]]"]
  - version: v0.9.0
    command: ["[[ _copier_python ]]", "old.py"]
  - command: ["no-version"]
"""
# A stand-in for ``python -m copier``: check-update answers from FAKE_ANSWER; update
# writes FAKE_UPDATE's files ({path: text}) in the project and records the version.
FAKE_COPIER = """\
import json, os, pathlib, sys

if sys.argv[1] == "check-update":
    print("Checking...")
    print(os.environ["FAKE_ANSWER"])
elif sys.argv[1] == "update":
    for name, text in json.loads(os.environ["FAKE_UPDATE"]).items():
        path = pathlib.Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
"""
BEHIND = {"update_available": True, "current_version": "1.0.0", "latest_version": "1.2.0"}
CURRENT = {"update_available": False, "current_version": "1.2.0", "latest_version": "1.2.0"}
CI_VARIABLES = (
    "GITHUB_BASE_REF",
    "CI_DEFAULT_BRANCH",
    "GITHUB_REF_NAME",
    forges.TOKEN,
    "GITHUB_TOKEN",
    "GITHUB_REPOSITORY",
    "GITHUB_SERVER_URL",
    "GITHUB_API_URL",
    "CI_API_V4_URL",
    "CI_SERVER_URL",
    "CI_PROJECT_PATH",
    "CI_PROJECT_ID",
)


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git identity of its own; no CI variables."""
    own_git_identity(tmp_path, monkeypatch, *CI_VARIABLES)


@pytest.fixture
def template_repo(tmp_path: Path, git_env: None) -> Path:  # noqa: ARG001 - its git identity
    """A template repository tagged v1.0.0 and v1.2.0, the latter with changelog and migrations."""
    repo = tmp_path / "template"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "copier.yml").write_text("_min_copier_version: '9'\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    git(repo, "tag", "v1.0.0")
    (repo / "CHANGELOG.md").write_text(CHANGELOG)
    (repo / "copier.yml").write_text(COPIER_YML)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    git(repo, "tag", "v1.2.0")
    return repo


@pytest.fixture
def updatable(
    tmp_path: Path, template_repo: Path, monkeypatch: pytest.MonkeyPatch, fake_bin: FakeBin
) -> Path:
    """A committed project generated from ``template_repo``, with copier and tox faked."""
    # The fake tox fails for the envs named in FAKE_TOX_FAIL; PATH keeps git and python.
    fake_bin.add(
        "tox",
        'echo "$2: done"; echo "  $2: OK (1 s)"; echo "  congratulations :)"\n'
        'case ",$FAKE_TOX_FAIL," in *",$2,"*) exit 1;; esac',
    )
    monkeypatch.setenv("PATH", f"{fake_bin.folder}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_TOX_FAIL", "")
    root = write_project(tmp_path / "role")
    (root / ".copier-answers.yml").write_text(f"_commit: v1.0.0\n_src_path: {template_repo}\n")
    (root / "tox.ini").write_text("[tox]\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "generated")
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "fakecopier.py").write_text(FAKE_COPIER)
    monkeypatch.setenv("PYTHONPATH", str(modules))
    copier = (sys.executable, "-m", "fakecopier")
    monkeypatch.setattr(update_check, "COPIER", copier)
    monkeypatch.setattr(template_update, "COPIER", copier)
    monkeypatch.setenv("FAKE_ANSWER", json.dumps(BEHIND))
    monkeypatch.setenv("FAKE_UPDATE", json.dumps({"tox.ini": "[tox]\nenv_list = lint\n"}))
    monkeypatch.chdir(root)
    return root


def payload(tmp_path: Path) -> dict[str, Any]:
    return dict(json.loads((tmp_path / "request.json").read_text()))


DRY = ["template-update", "--dry-run", "--payload"]


def test_up_to_date_does_nothing(
    updatable: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fake_bin: FakeBin,
) -> None:
    monkeypatch.setenv("FAKE_ANSWER", json.dumps(CURRENT))
    assert main([*DRY, str(tmp_path / "request.json")]) == 0
    assert capsys.readouterr().out == "template-update: up to date (1.2.0); nothing to do\n"
    assert git(updatable, "branch", "--list", BRANCH) == ""
    assert not (tmp_path / "request.json").exists()
    assert fake_bin.calls("tox") == []


def test_clean_update_makes_the_branch_runs_the_gates_and_writes_the_request(
    updatable: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, fake_bin: FakeBin
) -> None:
    assert main([*DRY, str(tmp_path / "request.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "template-update: ready: Update the modskel template from 1.0.0 to 1.2.0"
    assert "template-update: passed: tox -e lint" in out
    assert fake_bin.calls("tox") == ["tox -e lint", "tox -e unit"]
    assert git(updatable, "rev-parse", "--abbrev-ref", "HEAD").strip() == BRANCH
    assert git(updatable, "status", "--porcelain") == ""
    assert git(updatable, "show", f"{BRANCH}:tox.ini") == "[tox]\nenv_list = lint\n"
    request = payload(tmp_path)
    assert request["title"] == "Update the modskel template from 1.0.0 to 1.2.0"
    assert (request["branch"], request["base"], request["draft"]) == (BRANCH, "main", False)
    assert request["conflicts"] == []
    body = request["body"]
    assert "- passed: `tox -e lint`: lint: done" in body
    assert "- v1.1.0: hooks/migrations/a.py\n- v1.2.0: echo inline\n" in body
    assert "- the newest" in body
    assert "- the middle one" in body
    assert "the oldest" not in body
    assert "not released" not in body


def test_conflicts_make_a_draft_listing_the_files_and_fail(
    updatable: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fake_bin: FakeBin,
) -> None:
    files = {
        "tox.ini": "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after\n",
        "meta/main.yml.rej": "@@ -1 +1 @@\n",
    }
    monkeypatch.setenv("FAKE_UPDATE", json.dumps(files))
    assert main([*DRY, str(tmp_path / "request.json")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        "template-update: draft request: 2 conflicted file(s): meta/main.yml.rej, tox.ini"
    )
    request = payload(tmp_path)
    assert request["draft"] is True
    assert request["conflicts"] == ["meta/main.yml.rej", "tox.ini"]
    assert "- `meta/main.yml.rej`\n- `tox.ini`\n" in request["body"]
    assert "- not run: resolve the conflicts first" in request["body"]
    assert fake_bin.calls("tox") == []
    assert git(updatable, "ls-files", "--unmerged") == ""  # committed, markers and all
    assert git(updatable, "status", "--porcelain") == ""


def test_a_failed_gate_fails_the_job(
    updatable: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("FAKE_TOX_FAIL", "unit")
    assert main([*DRY, str(tmp_path / "request.json")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"template-update: request opened, but tox -e unit failed: fix on {BRANCH}"
    assert "- FAILED: `tox -e unit`: unit: done" in payload(tmp_path)["body"]
    assert payload(tmp_path)["draft"] is False
    assert git(updatable, "rev-parse", "--abbrev-ref", "HEAD").strip() == BRANCH


def test_an_ansible_core_past_its_end_of_life_is_said_first(
    updatable: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    support = "ansible_core:\n  - {version: '2.18', eol: 2020-01-01}\n  - {version: '2.19'}\n"
    (updatable / "tests" / "support.yml").write_text(support)
    monkeypatch.setenv("FAKE_ANSWER", json.dumps(CURRENT))
    assert main(["template-update", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        (
            "template-update: warning: min_ansible_core 2.18 reached end of life on 2020-01-01: "
            "raise it with `copier update --trust --data min_ansible_core=2.19`"
        ),
        "template-update: up to date (1.2.0); nothing to do",
    ]


def test_uncommitted_work_is_refused(updatable: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (updatable / "new.txt").write_text("x")
    assert main(["template-update", "--dry-run"]) == 2
    assert capsys.readouterr().err == (
        "modskel template-update: error: the work tree has uncommitted changes (?? new.txt): "
        "commit them first\n"
    )


def test_no_provider_is_refused_after_the_commit(
    updatable: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["template-update"]) == 2
    assert capsys.readouterr().err == (
        "modskel template-update: error: no --provider given: pass --provider github or "
        "--provider gitlab, or --dry-run\n"
    )
    assert git(updatable, "rev-parse", "--abbrev-ref", "HEAD").strip() == BRANCH


@dataclass
class FakeForge:
    """A provider that records what it was given."""

    env: dict[str, str]
    pushed: list[str] = field(default_factory=list)
    sent: list[Request] = field(default_factory=list)
    made: list[FakeForge] = field(default_factory=list)

    def from_env(self, env: Mapping[str, str]) -> FakeForge:
        self.env = dict(env)
        return self

    def push(self, root: Path, branch: str) -> None:
        self.pushed.append(f"{root.name} {branch}")

    def submit(self, request: Request) -> str:
        self.sent.append(request)
        return "opened https://forge.invalid/1"


def test_provider_gets_the_branch_and_the_request(
    updatable: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    forge = FakeForge({})
    monkeypatch.setitem(forges.PROVIDERS, "github", forge)
    assert main(["template-update", "--provider", "github", "--base", "trunk"]) == 0
    assert "template-update: opened https://forge.invalid/1" in capsys.readouterr().out
    assert forge.pushed == [f"{updatable.name} {BRANCH}"]
    assert [r.base for r in forge.sent] == ["trunk"]


# ---- the pieces ----


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("1.0.0", "1.2.0", ["## [1.2.0] - 2026-10-01", "## v1.1.0"]),
        ("1.1.0", "1.2.0", ["## [1.2.0] - 2026-10-01"]),
        ("0.1.0", "1.0.0", ["## [1.0.0]"]),
        ("1.2.0", "1.3.0", []),
    ],
    ids=["two-releases", "one-release", "the-first", "none"],
)
def test_changelog_between(old: str, new: str, expected: list[str]) -> None:
    text = template_update.changelog_between(CHANGELOG, Version(old), Version(new))
    assert [line for line in text.splitlines() if line.startswith("## ")] == expected


def test_migrations_between() -> None:
    config = yaml.load(COPIER_YML, Loader=template_update._IgnoreTags)  # noqa: S506 - safe
    assert config["matrix"] is None  # !include read as nothing
    assert template_update.migrations_between(config, Version("1.0.0"), Version("1.2.0")) == [
        "v1.1.0: hooks/migrations/a.py",
        "v1.2.0: echo inline",
        "v1.2.0: (an inline command)",
    ]


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("gh:acme/modskel", "https://github.com/acme/modskel"),
        ("gl:acme/modskel", "https://gitlab.com/acme/modskel"),
        ("https://git.example/modskel.git", "https://git.example/modskel.git"),
        ("git@git.example:acme/modskel.git", "git@git.example:acme/modskel.git"),
        ("../modskel", "{root}/modskel"),
    ],
    ids=["github-short", "gitlab-short", "url", "ssh", "relative"],
)
def test_template_source(tmp_path: Path, src: str, expected: str) -> None:
    root = tmp_path / "role"
    root.mkdir()
    (root / ".copier-answers.yml").write_text(f"_src_path: {src}\n")
    assert template_update.template_source(root) == expected.format(root=tmp_path)


def test_template_source_missing(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("_commit: v1\n")
    message = ".copier-answers.yml has no _src_path: regenerate the project with copier"
    with pytest.raises(ConfigError, match=exactly(message)):
        template_update.template_source(tmp_path)


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("9.0.0", History("(the template has no tag for 9.0.0)", [])),
        ("1.0.0", History("(no CHANGELOG.md entry between 0.1.0 and 1.0.0)", [])),
    ],
    ids=["no-tag", "no-changelog"],
)
def test_history_without_entries(
    template_repo: Path, tmp_path: Path, new: str, expected: History
) -> None:
    (tmp_path / ".copier-answers.yml").write_text(f"_src_path: {template_repo}\n")
    assert template_update.history(tmp_path, Version("0.1.0"), Version(new)) == expected


def test_base_branch(updatable: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert template_update.base_branch(updatable, "release") == "release"
    assert template_update.base_branch(updatable, None) == "main"
    git(updatable, "checkout", "-q", "--detach")
    monkeypatch.setenv("CI_DEFAULT_BRANCH", "trunk")
    assert template_update.base_branch(updatable, None) == "trunk"
    monkeypatch.delenv("CI_DEFAULT_BRANCH")
    message = "HEAD is detached and no branch was named: pass --base BRANCH (the default branch)"
    with pytest.raises(ConfigError, match=exactly(message)):
        template_update.base_branch(updatable, None)


def test_conflicted_sees_an_unmerged_index(updatable: Path) -> None:
    git(updatable, "checkout", "-q", "-b", "other")
    (updatable / "tox.ini").write_text("[tox]\nother\n")
    git(updatable, "commit", "-qam", "other")
    git(updatable, "checkout", "-q", "main")
    (updatable / "tox.ini").write_text("[tox]\nmine\n")
    git(updatable, "commit", "-qam", "mine")
    subprocess.run(["git", "merge", "-q", "other"], cwd=updatable, capture_output=True, check=False)
    assert template_update.conflicted(updatable) == ["tox.ini"]


def test_commit_refuses_an_unmerged_index(updatable: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(template_update, "git_lines", lambda *_a: ["100644 abc 1\ttox.ini"])
    message = (
        "the index is still unmerged after `git add -A` (100644 abc 1\ttox.ini): resolve by hand"
    )
    with pytest.raises(SetupError, match=exactly(message)):
        template_update.commit(updatable, "title")


def test_gates_need_tox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    message = "tox not found on PATH: install it (`pip install tox tox-uv`) and rerun"
    with pytest.raises(SetupError, match=exactly(message)):
        template_update.run_gates(tmp_path, ["lint"])


# ---- the forges ----


class Answer(io.BytesIO):
    """What urlopen returns: a readable context manager."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def test_call_sends_json_and_reads_json(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def urlopen(request: urllib.request.Request, timeout: float) -> Answer:
        seen.append(
            (
                request.get_method(),
                request.full_url,
                request.data,
                timeout,
                request.get_header("Private-token"),
            )
        )
        return Answer(b'{"iid": 3}')

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    assert forges.call("POST", "https://x.invalid/api", ("PRIVATE-TOKEN", "t"), {"a": 1}) == {
        "iid": 3
    }
    assert seen == [("POST", "https://x.invalid/api", b'{"a": 1}', 60, "t")]


def test_call_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(request: urllib.request.Request, timeout: float) -> Answer:  # noqa: ARG001
        raise urllib.error.HTTPError(
            request.full_url,
            403,
            "Forbidden",
            Message(),
            io.BytesIO(b'{"message": "no"}'),
        )

    monkeypatch.setattr(urllib.request, "urlopen", refused)
    message = (
        'GET https://x.invalid/a failed: HTTP 403 {"message": "no"}: check that '
        "MODSKEL_UPDATE_TOKEN may write the repository and its requests (docs/updating.md)"
    )
    with pytest.raises(SetupError, match=exactly(message)):
        forges.call("GET", "https://x.invalid/a", ("A", "b"))

    def offline(request: urllib.request.Request, timeout: float) -> Answer:  # noqa: ARG001
        reason = "Name or service not known"
        raise urllib.error.URLError(reason)

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    message = (
        "GET https://x.invalid/a failed: Name or service not known: check the network "
        "and the API address"
    )
    with pytest.raises(SetupError, match=exactly(message)):
        forges.call("GET", "https://x.invalid/a", ("A", "b"))
    message = (
        "API address 'file:///etc/passwd' is not http(s): check GITHUB_API_URL or CI_API_V4_URL"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        forges.call("GET", "file:///etc/passwd", ("A", "b"))


class Recorder:
    """``forges.call`` that answers from a script and records each call."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str, tuple[str, str], object]] = []

    def __call__(self, method: str, url: str, auth: tuple[str, str], data: object = None) -> Any:  # noqa: ANN401 - JSON
        self.calls.append((method, url, auth, data))
        return self.answers.pop(0)


REQUEST = Request("Update", "Body", BRANCH, "main", draft=True, conflicts=["tox.ini"])
GITHUB_ENV = {"GITHUB_REPOSITORY": "acme/web", forges.TOKEN: "app-token"}
GITLAB_ENV = {
    forges.TOKEN: "glpat",
    "CI_API_V4_URL": "https://gl.invalid/api/v4",
    "CI_SERVER_URL": "https://gl.invalid",
    "CI_PROJECT_PATH": "acme/web",
    "CI_PROJECT_ID": "7",
}


def test_github_opens_a_draft_pull_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Recorder([], {"html_url": "https://github.com/acme/web/pull/5"})
    monkeypatch.setattr(forges, "call", calls)
    forge = forges.GitHub.from_env(GITHUB_ENV)
    assert forge.repo_url == "https://github.com/acme/web.git"
    assert forge.submit(REQUEST) == "opened https://github.com/acme/web/pull/5"
    auth = ("Authorization", "Bearer app-token")
    pulls = "https://api.github.com/repos/acme/web/pulls"
    assert calls.calls == [
        ("GET", f"{pulls}?state=open&head=acme%3Amodskel%2Ftemplate-update", auth, None),
        (
            "POST",
            pulls,
            auth,
            {"title": "Update", "body": "Body", "head": BRANCH, "base": "main", "draft": True},
        ),
    ]


def test_github_refreshes_the_open_pull_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Recorder([{"number": 5}], {"html_url": "https://github.com/acme/web/pull/5"})
    monkeypatch.setattr(forges, "call", calls)
    assert forges.GitHub.from_env(GITHUB_ENV).submit(REQUEST) == (
        "refreshed https://github.com/acme/web/pull/5"
    )
    assert calls.calls[1][:2] == ("PATCH", "https://api.github.com/repos/acme/web/pulls/5")


def test_github_falls_back_to_github_token_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"GITHUB_REPOSITORY": "acme/web", "GITHUB_TOKEN": "ghs"}
    assert forges.GitHub.from_env(env).token == env["GITHUB_TOKEN"]
    assert capsys.readouterr().err == (
        "template-update: MODSKEL_UPDATE_TOKEN not set, using GITHUB_TOKEN: CI will not run "
        "on the pull request it opens (docs/updating.md)\n"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {forges.TOKEN: "t"},
            ("GITHUB_REPOSITORY is not set: run in GitHub Actions or set it (owner/name)"),
        ),
        (
            {"GITHUB_REPOSITORY": "a/b"},
            ("MODSKEL_UPDATE_TOKEN is not set: add the secret (docs/updating.md)"),
        ),
    ],
    ids=["no-repository", "no-token"],
)
def test_github_needs(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=exactly(message)):
        forges.GitHub.from_env(env)


@pytest.mark.parametrize(
    ("found", "method", "url"),
    [
        ([], "POST", "https://gl.invalid/api/v4/projects/7/merge_requests"),
        ([{"iid": 4}], "PUT", "https://gl.invalid/api/v4/projects/7/merge_requests/4"),
    ],
    ids=["opens", "refreshes"],
)
def test_gitlab_merge_request(
    monkeypatch: pytest.MonkeyPatch, found: list[dict[str, int]], method: str, url: str
) -> None:
    calls = Recorder(found, {"web_url": "https://gl.invalid/acme/web/-/merge_requests/4"})
    monkeypatch.setattr(forges, "call", calls)
    forge = forges.GitLab.from_env(GITLAB_ENV)
    said = forge.submit(REQUEST)
    assert said.endswith(" https://gl.invalid/acme/web/-/merge_requests/4")
    (_, query, auth, _), (sent_method, sent_url, _, data) = calls.calls
    assert query.endswith("merge_requests?state=opened&source_branch=modskel%2Ftemplate-update")
    assert auth == ("PRIVATE-TOKEN", "glpat")
    assert (sent_method, sent_url) == (method, url)
    assert isinstance(data, dict)
    assert data["title"] == "Draft: Update"


def test_gitlab_needs_its_variables() -> None:
    message = "CI_PROJECT_ID is not set: run in GitLab CI or set it"
    with pytest.raises(ConfigError, match=exactly(message)):
        forges.GitLab.from_env({k: v for k, v in GITLAB_ENV.items() if k != "CI_PROJECT_ID"})


def test_push_sends_the_branch_and_names_a_failure(updatable: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    forges.GitLab("glpat", "https://gl.invalid", str(remote), "7").push(updatable, BRANCH)
    assert git(remote, "branch", "--list", BRANCH).strip() == BRANCH
    gone = forges.GitHub("t", "https://api.invalid", str(tmp_path / "nowhere"), "a/b")
    with pytest.raises(SetupError, match=r"^git push to .*nowhere failed: .*: check MODSKEL_"):
        gone.push(updatable, BRANCH)
