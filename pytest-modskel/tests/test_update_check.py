"""``modskel update-check``: copier's answer, the trial update, the report (copier faked)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import FakeBin, exactly
from pytest_modskel.commands import main, update_check
from pytest_modskel.errors import ConfigError, SetupError


def test_run_tool(tmp_path: Path) -> None:
    assert update_check.run_tool(sys.executable, "-c", "print('hi')", cwd=tmp_path) == "hi\n"
    code = "import os; print(os.getcwd())"
    assert update_check.run_tool(sys.executable, "-c", code, cwd=tmp_path) == f"{tmp_path}\n"


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("import sys; print('partial'); sys.exit('Error: no tag found\\n')", "Error: no tag found"),
        ("print('only stdout'); raise SystemExit(2)", "only stdout"),
    ],
    ids=["stderr", "stdout"],
)
def test_run_tool_fails(tmp_path: Path, code: str, why: str) -> None:
    expected = f"`-c {code} extra …` failed: {why}"
    with pytest.raises(SetupError, match=exactly(expected)):
        update_check.run_tool(sys.executable, "-c", code, "extra", cwd=tmp_path)


def test_run_tool_names_the_failed_git_command(fake_bin: FakeBin, tmp_path: Path) -> None:
    fake_bin.add("git", "echo \"fatal: repository '/nowhere' does not exist\" >&2; exit 128")
    with pytest.raises(SetupError, match=r"git clone"):
        update_check.run_tool(*update_check.GIT, "clone", "-q", "/nowhere", "x", cwd=tmp_path)


@pytest.mark.parametrize(
    ("status", "rows"),
    [
        (" M README.md", ["  change  README.md"]),
        ("M  tasks/main.yml", ["  change  tasks/main.yml"]),
        ("A  new.yml", ["     add  new.yml"]),
        ("?? untracked.yml", ["     add  untracked.yml"]),
        (" D old.yml", ["  delete  old.yml"]),
        ("R  a.yml -> b.yml", ["  rename  a.yml -> b.yml"]),
        ("UU both.yml", ["  change  both.yml"]),
        ("AM added-then-changed.yml", ["     add  added-then-changed.yml"]),
        (" M a\n?? b\n", ["  change  a", "     add  b"]),
        ("", []),
    ],
    ids=["modified", "staged", "added", "untracked", "deleted", "renamed", "unmerged",
         "first-letter-wins", "several", "none"],
)  # fmt: skip
def test_describe(status: str, rows: list[str]) -> None:
    assert update_check.describe(status) == rows


def test_check_update(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[tuple[tuple[str, ...], Path]] = []

    def fake(*cmd: str, cwd: Path) -> str:
        seen.append((cmd, cwd))
        return 'Checking for updates\n{"update_available": true, "latest_version": "2.0.0"}\n'

    monkeypatch.setattr(update_check, "run_tool", fake)
    assert update_check.check_update(tmp_path) == {
        "update_available": True, "latest_version": "2.0.0"
    }  # fmt: skip
    assert seen == [((*update_check.COPIER, "check-update", "--output-format", "json"), tmp_path)]


class FakeTools:
    """``run_tool`` for the trial update: a clone with leftovers, and git's status."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *cmd: str, cwd: Path) -> str:
        assert cwd.is_dir()
        self.calls.append(cmd)
        if "clone" in cmd:
            clone = Path(cmd[-1])
            clone.mkdir(parents=True)
            (clone / "README.md").write_text("<<<<<<< before updating\n", encoding="utf-8")
        if cmd[:2] == ("git", "status"):
            return self.status
        return ""


def test_trial_update(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tools = FakeTools(" M README.md\n?? tasks/new.yml\n")
    monkeypatch.setattr(update_check, "run_tool", tools)
    assert update_check.trial_update(tmp_path) == [
        "  change  README.md",
        "     add  tasks/new.yml",
        "conflict  README.md:1: conflict marker '<<<<<<<'; resolve the merge",
    ]
    clone, update, status = tools.calls
    assert clone[:6] == (*update_check.GIT, "clone")
    assert clone[-2] == str(tmp_path)
    assert update == (*update_check.COPIER, "update", "--defaults", "--trust")
    assert status == ("git", "status", "--porcelain", "--untracked-files=all")
    assert not Path(clone[-1]).exists()  # the throw-away clone is gone


def _answer(*, available: bool) -> dict[str, object]:
    return {"update_available": available, "current_version": "1.2.0",
            "latest_version": "1.3.0" if available else "1.2.0"}  # fmt: skip


def test_up_to_date(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Path] = []

    def check_update(root: Path) -> dict[str, object]:
        seen.append(root)
        return _answer(available=False)

    monkeypatch.setattr(update_check, "check_update", check_update)
    assert main(["update-check"]) == 0
    assert capsys.readouterr().out == (
        "up to date: generated from 1.2.0, the newest release is 1.2.0\n"
    )
    assert seen == [project.resolve()]


@pytest.mark.parametrize(
    ("status", "listed"),
    [
        (" M README.md\n", ["`copier update` would change 1 file(s):", "  change  README.md"]),
        ("", ["`copier update` would change 0 file(s):",
              "  (none: only the recorded version moves)"]),
    ],
    ids=["changes", "only-the-version"],
)  # fmt: skip
@pytest.mark.usefixtures("project")
def test_behind(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    status: str,
    listed: list[str],
) -> None:
    monkeypatch.setattr(update_check, "check_update", lambda _root: _answer(available=True))
    monkeypatch.setattr(update_check, "trial_update", lambda _root: update_check.describe(status))
    assert main(["update-check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "behind: generated from 1.2.0, the template is at 1.3.0.",
        *listed,
        "To update: commit your work, run `copier update --trust`, then `tox -e lint,unit`.",
    ]


# A stand-in for ``python -m copier``: check-update answers from FAKE_COPIER_ANSWER,
# update edits the clone it runs in (a change, a new file, a rejected hunk).
FAKE_COPIER = """\
import os, pathlib, sys

if sys.argv[1] == "check-update":
    answer = os.environ["FAKE_COPIER_ANSWER"]
    if not answer:
        sys.exit("No .copier-answers.yml found")
    print("Checking for updates...")
    print(answer)
elif sys.argv[1] == "update":
    pathlib.Path("README.md").write_text("# web, updated\\n")
    pathlib.Path("tasks").mkdir()
    pathlib.Path("tasks", "new.yml").write_text("[]\\n")
    pathlib.Path("defaults.yml.rej").write_text("@@ -1 +1 @@\\n")
"""


@pytest.fixture
def fake_copier(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> pytest.MonkeyPatch:
    """Replace copier with FAKE_COPIER; make the project a git repository with one commit."""
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "fakecopier.py").write_text(FAKE_COPIER, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(modules))
    monkeypatch.setattr(update_check, "COPIER", (sys.executable, "-m", "fakecopier"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (project / "README.md").write_text("# web\n", encoding="utf-8")
    for command in (("init", "-q"), ("add", "-A"), ("commit", "-qm", "generated")):
        update_check.run_tool(*update_check.GIT, *command, cwd=project)
    return monkeypatch


def test_end_to_end(fake_copier: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake_copier.setenv("FAKE_COPIER_ANSWER", json.dumps(_answer(available=True)))
    assert main(["update-check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "behind: generated from 1.2.0, the template is at 1.3.0.",
        "`copier update` would change 4 file(s):",
        "  change  README.md",
        "     add  defaults.yml.rej",
        "     add  tasks/new.yml",
        (
            "conflict  defaults.yml.rej: hunk rejected by copier update; merge it by hand, "
            "delete the file"
        ),
        "To update: commit your work, run `copier update --trust`, then `tox -e lint,unit`.",
    ]


def test_end_to_end_up_to_date(
    fake_copier: pytest.MonkeyPatch, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_copier.setenv("FAKE_COPIER_ANSWER", json.dumps(_answer(available=False)))
    assert main(["update-check"]) == 0
    assert capsys.readouterr().out == (
        "up to date: generated from 1.2.0, the newest release is 1.2.0\n"
    )
    assert (project / "README.md").read_text(encoding="utf-8") == "# web\n"  # never updated


def test_copier_fails(fake_copier: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake_copier.setenv("FAKE_COPIER_ANSWER", "")
    assert main(["update-check"]) == 3
    assert capsys.readouterr().err == (
        "modskel update-check: error: `-m fakecopier check-update …` failed: "
        "No .copier-answers.yml found\n"
    )


def test_check_update_reads_the_last_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    answer = json.dumps(_answer(available=True))
    monkeypatch.setattr(update_check, "run_tool", lambda *_cmd, **_kw: f"noise\n{answer}\n\n")
    assert update_check.check_update(tmp_path) == _answer(available=True)


SUPPORT = """\
ansible_core:
  - {version: "2.19", latest: "2.19.14", eol: 2026-11-30}
  - {version: "2.20", latest: "2.20.10", eol: 2027-05-31}
  - {version: "2.21", latest: "2.21.5", eol: null}
"""
RAISE_IT = "raise it with `copier update --trust --data min_ansible_core="


@pytest.mark.parametrize(
    ("support", "today", "line"),
    [
        (SUPPORT, "2026-08-31", ""),
        (SUPPORT, "2026-09-01", ("note: min_ansible_core 2.19 reaches end of life on 2026-11-30, "
                                "in 90 days: plan to raise it")),
        (SUPPORT, "2026-11-30", ("warning: min_ansible_core 2.19 reached end of life on "
                                f"2026-11-30: {RAISE_IT}2.20`")),
        (SUPPORT, "2027-06-01", ("warning: min_ansible_core 2.19 reached end of life on "
                                f"2026-11-30: {RAISE_IT}2.21`")),
        (SUPPORT.replace("eol: null", "eol: '2027-11-30'"), "2028-01-01",
         (f"warning: min_ansible_core 2.19 reached end of life on 2026-11-30: {RAISE_IT}"
         "<a newer series>`")),
        ('ansible_core:\n  - {version: "2.21", eol: null}\n', "2030-01-01", ""),
        ("ansible_core: []\n", "2030-01-01", ""),
        (None, "2030-01-01", ""),
    ],
    ids=["far", "within-90-days", "on-the-day", "next-one-maintained", "none-maintained",
         "unknown-eol", "no-series", "file-absent"],
)  # fmt: skip
def test_eol_warning(project: Path, support: str | None, today: str, line: str) -> None:
    if support is not None:
        (project / "tests" / "support.yml").write_text(support, encoding="utf-8")
    assert update_check.eol_warning(project, dt.date.fromisoformat(today)) == line


@pytest.mark.parametrize(
    ("support", "error"),
    [
        ("ansible_core: [", "tests/support.yml: not a mapping of YAML ("),
        ("- 2.19\n", "tests/support.yml: not a mapping of YAML ("),
        ("ansible_core: 2.19\n",
         "tests/support.yml: ansible_core is not a list of series (2.19): "),
        ("ansible_core:\n  - {version: '2.19', eol: soon}\n",
         "tests/support.yml: eol 'soon' of 2.19 is no YYYY-MM-DD date: "),
    ],
    ids=["bad-yaml", "not-a-mapping", "not-a-list", "bad-date"],
)  # fmt: skip
def test_broken_support_file_names_the_fix(project: Path, support: str, error: str) -> None:
    (project / "tests" / "support.yml").write_text(support, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(error) + r".*restore it with `copier update"):
        update_check.eol_warning(project, dt.date(2026, 11, 30))


def test_past_eol_warning_comes_first(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "tests" / "support.yml").write_text(SUPPORT, encoding="utf-8")
    monkeypatch.setattr(update_check, "today", lambda: dt.date(2026, 11, 30))
    monkeypatch.setattr(update_check, "check_update", lambda _root: _answer(available=False))
    assert main(["update-check"]) == 0  # a warning, not a failure
    assert capsys.readouterr().out.splitlines() == [
        f"warning: min_ansible_core 2.19 reached end of life on 2026-11-30: {RAISE_IT}2.20`",
        "up to date: generated from 1.2.0, the newest release is 1.2.0",
    ]


def test_today_is_the_date_in_utc() -> None:
    assert update_check.today() == dt.datetime.now(tz=dt.UTC).date()
