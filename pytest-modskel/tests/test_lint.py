"""``modskel lint`` (every linter, all findings, one summary) and ``modskel fix``.

ruff, yamllint and ansible-lint are shell scripts on an otherwise empty PATH
(``fake_bin``) that print, exit with a chosen code and, for ``fix``, edit files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeBin
from pytest_modskel.commands import main

# A tool that exits 0, and prints where it ran: the project root, whatever the current folder.
REPORTS = 'echo "$0 $* in $PWD"'
ALL_PASSED = "lint: ruff, ruff-format, yamllint, ansible-lint passed"


def add_tools(fake_bin: FakeBin, **bodies: str) -> None:
    """Put ruff, yamllint and ansible-lint on PATH: ``REPORTS`` unless a body is given."""
    for name in ("ruff", "yamllint", "ansible-lint"):
        fake_bin.add(name, bodies.get(name.replace("-", "_"), REPORTS))


def without_times(out: str) -> list[str]:
    """Return the output's lines with each tool's duration replaced by ``N``."""
    return [re.sub(r" in \d+\.\d s$", " in N s", line) for line in out.splitlines()]


def test_lint_all_pass(
    project: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    add_tools(fake_bin)
    (project / "tasks").mkdir()
    monkeypatch.chdir(project / "tasks")  # the tools run from the root all the same
    assert main(["lint"]) == 0
    bin_ = fake_bin.folder
    assert without_times(capsys.readouterr().out) == [
        "--- ruff check .: passed in N s",
        f"{bin_}/ruff check . in {project}",
        "--- ruff format --check --diff .: passed in N s",
        f"{bin_}/ruff format --check --diff . in {project}",
        "--- yamllint --strict .: passed in N s",
        f"{bin_}/yamllint --strict . in {project}",
        "--- ansible-lint --offline: passed in N s",
        f"{bin_}/ansible-lint --offline in {project}",
        ALL_PASSED,
    ]


YAMLLINT_FINDING = "x.yml:1:1: [error] too many spaces"
SLOW_FAILING_RUFF = """\
case "$1" in
  check) /bin/sleep 0.3; echo 'a.py:1:8: F401 `os` imported but unused'; exit 1 ;;
esac
"""


@pytest.mark.parametrize(
    ("bodies", "failed", "summary"),
    [
        ({"ruff": SLOW_FAILING_RUFF, "yamllint": f"echo '{YAMLLINT_FINDING}' >&2; exit 1"},
         ["ruff check .", "yamllint --strict ."],
         ("lint: 2 of 4 tools failed: ruff, yamllint; `tox -e fix` applies what ruff can fix, "
          "then rerun")),
        ({"yamllint": "exit 1"}, ["yamllint --strict ."], "lint: 1 of 4 tools failed: yamllint"),
        ({"ansible_lint": "echo 'Failed: 1 failure(s)'; exit 2"}, ["ansible-lint --offline"],
         ("lint: 1 of 4 tools failed: ansible-lint; `tox -e fix` applies what ansible-lint can "
          "fix, then rerun")),
    ],
    ids=["ruff-and-yamllint", "yamllint-has-no-fixer", "ansible-lint"],
)  # fmt: skip
@pytest.mark.usefixtures("project")
def test_lint_reports_every_tool(
    fake_bin: FakeBin, capsys: pytest.CaptureFixture[str],
    bodies: dict[str, str], failed: list[str], summary: str,
) -> None:  # fmt: skip
    add_tools(fake_bin, **bodies)
    assert main(["lint"]) == 1
    out = without_times(capsys.readouterr().out)
    verdicts = [line for line in out if line.startswith("--- ")]
    assert [line.removeprefix("--- ").split(":")[0] for line in verdicts] == [
        "ruff check .",
        "ruff format --check --diff .",
        "yamllint --strict .",
        "ansible-lint --offline",
    ]  # the fixed order, though the slow ruff finishes last
    assert [line.split(": ", 1)[0].removeprefix("--- ") for line in verdicts
            if "failed (exit " in line] == failed  # fmt: skip
    assert out[-1] == summary
    assert len(fake_bin.calls()) == 4  # every tool ran, whatever the others said


@pytest.mark.usefixtures("project")
def test_lint_prints_each_tools_findings_under_it(
    fake_bin: FakeBin, capsys: pytest.CaptureFixture[str]
) -> None:
    add_tools(fake_bin, ruff=SLOW_FAILING_RUFF, yamllint=f"echo '{YAMLLINT_FINDING}' >&2; exit 1")
    assert main(["lint", "ruff", "yamllint"]) == 1
    assert without_times(capsys.readouterr().out) == [
        "--- ruff check .: failed (exit 1) in N s",
        "a.py:1:8: F401 `os` imported but unused",
        "--- yamllint --strict .: failed (exit 1) in N s",
        YAMLLINT_FINDING,  # what a tool prints on stderr is shown too
        (
            "lint: 2 of 2 tools failed: ruff, yamllint; `tox -e fix` applies what ruff can fix, "
            "then rerun"
        ),
    ]
    assert sorted(fake_bin.calls()) == ["ruff check .", "yamllint --strict ."]


@pytest.mark.usefixtures("project")
def test_lint_selected_tools(fake_bin: FakeBin, capsys: pytest.CaptureFixture[str]) -> None:
    add_tools(fake_bin)
    assert main(["lint", "ruff-format"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "lint: ruff-format passed"
    assert fake_bin.calls() == ["ruff format --check --diff ."]


@pytest.mark.usefixtures("project", "fake_bin")
def test_lint_unknown_tool(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "yamllint", "pylint"]) == 2
    assert capsys.readouterr().err == (
        "modskel lint: error: unknown lint tool 'pylint': "
        "choose from ruff, ruff-format, yamllint, ansible-lint\n"
    )


@pytest.mark.parametrize("command", ["lint", "fix"])
@pytest.mark.usefixtures("project")
def test_missing_tool_stops_before_anything_runs(
    fake_bin: FakeBin, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    fake_bin.add("ruff")
    fake_bin.add("yamllint")
    assert main([command]) == 3
    captured = capsys.readouterr()
    assert captured.err == (
        f"modskel {command}: error: ansible-lint not found on PATH: "
        "run it through tox (`tox -e lint` installs it)\n"
    )
    assert captured.out == ""
    assert fake_bin.calls() == []


@pytest.mark.parametrize("command", ["lint", "fix"])
def test_conflict_markers_stop_the_command(
    project: Path, fake_bin: FakeBin, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    add_tools(fake_bin)
    (project / "README.md").write_text("# web\n<<<<<<< before updating\n", encoding="utf-8")
    (project / "x.py.rej").write_text("@@\n", encoding="utf-8")
    assert main([command]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "README.md:2: conflict marker '<<<<<<<'; resolve the merge",
        "x.py.rej: hunk rejected by copier update; merge it by hand, delete the file",
        f"{command}: resolve the 2 update conflict(s) first; nothing else ran",
    ]
    assert fake_bin.calls() == []


# ``fix``: the fixers run in turn, with their output straight on the terminal (capfd).

FIXING_RUFF = """\
case "$*" in
  "check --fix .") echo 'Found 1 error (1 fixed, 0 remaining).'; echo 'import os' > a.py ;;
  "format .") echo '1 file left unchanged' ;;
esac
"""
FIXING_ANSIBLE_LINT = """\
printf -- '---\\n- name: Fixed\\n' > tasks/main.yml
/bin/rm -f old.yml
/bin/mkdir -p .ansible && echo cache > .ansible/x  # a tool folder: not a change of the project
exit 8  # ansible-lint's code for "fixed every violation it found"
"""


def test_fix_lists_the_changed_files(
    project: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    add_tools(fake_bin, ruff=FIXING_RUFF, ansible_lint=FIXING_ANSIBLE_LINT)
    (project / "tasks").mkdir()
    (project / "tasks" / "main.yml").write_text("- name: fixed\n", encoding="utf-8")
    (project / "old.yml").write_text("x: 1\n", encoding="utf-8")
    monkeypatch.chdir(project / "tasks")
    assert main(["fix"]) == 0
    assert capfd.readouterr().out.splitlines() == [
        "--- ruff check --fix .",
        "Found 1 error (1 fixed, 0 remaining).",
        "--- ruff format .",
        "1 file left unchanged",
        "--- ansible-lint --offline --fix",
        "fix: changed a.py, old.yml, tasks/main.yml",
    ]
    assert fake_bin.calls() == [
        "ruff check --fix .",
        "ruff format .",
        "ansible-lint --offline --fix",
    ]
    assert (project / "a.py").read_text(encoding="utf-8") == "import os\n"


@pytest.mark.usefixtures("project")
def test_fix_nothing_to_change(fake_bin: FakeBin, capfd: pytest.CaptureFixture[str]) -> None:
    add_tools(fake_bin, ruff="exit 0", ansible_lint="exit 0")
    assert main(["fix"]) == 0
    assert capfd.readouterr().out.splitlines()[-1] == "fix: nothing to change"
    assert "yamllint" not in " ".join(fake_bin.calls())  # it has no fixer


@pytest.mark.usefixtures("project")
def test_fix_says_what_is_left(fake_bin: FakeBin, capfd: pytest.CaptureFixture[str]) -> None:
    ruff = 'case "$1" in check) echo "a.py:1:1: E999 SyntaxError"; exit 1 ;; esac'
    add_tools(fake_bin, ruff=ruff, ansible_lint="exit 2")
    assert main(["fix"]) == 1
    assert capfd.readouterr().out.splitlines()[-2:] == [
        "fix: nothing to change",
        "fix: problems left that ruff, ansible-lint cannot fix: edit by hand, then `tox -e lint`",
    ]
    assert len(fake_bin.calls()) == 3  # a fixer that fails does not stop the next
