"""Task coverage: the role's tasks, recorded results, staleness, reports, ``modskel coverage``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import exactly, write_project
from pytest_modskel import Project
from pytest_modskel.commands import main, python_coverage, task_coverage
from pytest_modskel.commands.task_coverage import Task, TaskCoverageError
from pytest_modskel.runner.ansible import TaskResult

MAIN = """\
---
- name: Install nginx
  ansible.builtin.apt:
    name: nginx
- ansible.builtin.import_tasks: config.yml
- name: Maybe
  block:
    - name: Inner
      ansible.builtin.command: "true"
  rescue:
    - name: Rescue
      ansible.builtin.debug:
        msg: rescued
  always:
    - ansible.builtin.debug:
        msg: unnamed
- include_role:
    name: other
"""
CONFIG = """\
- name: Write config
  ansible.builtin.template:
    src: nginx.conf.j2
    dest: /etc/nginx/nginx.conf
"""
HANDLERS = "- name: Restart nginx\n  ansible.builtin.service:\n    name: nginx\n"
PLACES = [
    ("tasks/config.yml", 1, "Write config"),
    ("tasks/main.yml", 2, "Install nginx"),
    ("tasks/main.yml", 8, "Inner"),
    ("tasks/main.yml", 11, "Rescue"),
    ("tasks/main.yml", 15, "(unnamed)"),
    ("handlers/main.yml", 1, "Restart nginx"),
]


def _role(root: Path, pyproject: str | None = None) -> Path:
    write_project(root, pyproject=pyproject)
    files = {"tasks/main.yml": MAIN, "tasks/config.yml": CONFIG, "tasks/empty.yml": "",
             "handlers/main.yml": HANDLERS}  # fmt: skip
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A role with tasks, handlers, blocks and includes; the current folder."""
    root = _role(tmp_path / "role")
    monkeypatch.chdir(root)
    return root


def test_task_files(role: Path) -> None:
    assert [str(p.relative_to(role)) for p in task_coverage.task_files(role)] == [
        "tasks/config.yml", "tasks/empty.yml", "tasks/main.yml", "handlers/main.yml"
    ]  # fmt: skip


def test_role_tasks_walks_blocks_and_skips_structure(role: Path) -> None:
    tasks = task_coverage.role_tasks(role)
    assert [(t.path, t.line, t.name) for t in tasks] == PLACES
    assert all(t.statuses == set() and not t.executed for t in tasks)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: not a list\n",
         "tasks/main.yml: expected a list of tasks, found dict: fix the file"),
        ("- just a string\n",
         "tasks/main.yml: a task must be a mapping, found 'just a string': fix the file"),
        ("- block:\n    name: x\n",
         "tasks/main.yml: expected a list of tasks, found dict: fix the file"),
        ("- block:\n    - plain\n",
         "tasks/main.yml: a task must be a mapping, found 'plain': fix the file"),
    ],
    ids=["mapping", "scalar-task", "block-not-a-list", "scalar-in-block"],
)  # fmt: skip
def test_role_tasks_shape_errors(role: Path, text: str, message: str) -> None:
    (role / "tasks" / "main.yml").write_text(text, encoding="utf-8")
    with pytest.raises(TaskCoverageError, match=exactly(message)):
        task_coverage.role_tasks(role)


def test_role_tasks_yaml_error_names_the_line(role: Path) -> None:
    (role / "tasks" / "main.yml").write_text("- name: a\n  x: [1, 2\n- name: b\n", encoding="utf-8")
    with pytest.raises(
        TaskCoverageError,
        match=r"^tasks/main.yml:3: not valid YAML \(expected ',' or '\]', but got ':'\): "
        r"fix the file$",
    ):
        task_coverage.role_tasks(role)


def test_role_tasks_yaml_error_without_a_line(role: Path) -> None:
    (role / "tasks" / "main.yml").write_text("- name: bell \x07\n", encoding="utf-8")
    with pytest.raises(
        TaskCoverageError,
        match=r"^tasks/main.yml: not valid YAML \(unacceptable character #x0007: "
        r"special characters are not allowed",
    ):
        task_coverage.role_tasks(role)


def test_role_tasks_yaml_error_is_one_line(role: Path) -> None:
    (role / "tasks" / "main.yml").write_text("- name: bell \x07\n", encoding="utf-8")
    with pytest.raises(TaskCoverageError) as caught:
        task_coverage.role_tasks(role)
    assert "\n" not in str(caught.value)


def test_role_tasks_not_utf8_is_one_line(role: Path) -> None:
    (role / "tasks" / "main.yml").write_bytes(b"- name: caf\xe9\n")
    with pytest.raises(
        TaskCoverageError, match=r"^tasks/main.yml: not UTF-8 text: save it as UTF-8$"
    ):
        task_coverage.role_tasks(role)


def test_fingerprint(role: Path) -> None:
    first = task_coverage.fingerprint(role)
    assert len(first) == 16
    assert task_coverage.fingerprint(role) == first
    (role / "README.md").write_text("not a task file", encoding="utf-8")
    assert task_coverage.fingerprint(role) == first
    (role / "tasks" / "main.yml").write_text(MAIN + "\n", encoding="utf-8")
    assert task_coverage.fingerprint(role) != first
    (role / "tasks" / "main.yml").write_text(MAIN, encoding="utf-8")
    assert task_coverage.fingerprint(role) == first
    (role / "tasks" / "empty.yml").rename(role / "tasks" / "other.yml")  # same bytes, new name
    assert task_coverage.fingerprint(role) != first


def _result(path: str, status: str, task: str = "t") -> TaskResult:
    return TaskResult("box", task, path, "action", status)


def test_save(role: Path) -> None:
    project = Project(role)
    path = task_coverage.save(project, "debian12", [_result("/x:1", "ok")])
    assert path == role / ".task-coverage" / "debian12.json"
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "fingerprint": task_coverage.fingerprint(role),
        "results": [{"host": "box", "task": "t", "path": "/x:1", "action": "action",
                     "status": "ok", "tags": [], "diff": "", "msg": ""}],
    }  # fmt: skip


def test_usable_leaves_out_stale_and_unknown(role: Path) -> None:
    project = Project(role)
    task_coverage.save(project, "debian12", [_result("/x:1", "ok")])
    task_coverage.save(project, "centos7", [_result("/x:1", "ok")])
    (role / ".task-coverage" / "rocky9.json").write_text(
        json.dumps({"fingerprint": "0" * 16, "results": []}), encoding="utf-8"
    )
    runs, notes = task_coverage.usable(project, {"debian12", "rocky9"})
    assert runs == [[{"host": "box", "task": "t", "path": "/x:1", "action": "action",
                      "status": "ok", "tags": [], "diff": "", "msg": ""}]]  # fmt: skip
    assert notes == [
        "left out centos7.json: centos7 is no longer a platform",
        (
            "left out rocky9.json: tasks/ or handlers/ changed since that run: "
            "rerun tox -e integration-rocky9"
        ),
    ]


def test_usable_without_results(role: Path) -> None:
    assert task_coverage.usable(Project(role), {"debian12"}) == ([], [])


def test_record(role: Path, tmp_path: Path) -> None:
    link = tmp_path / "roles" / "acme.web"  # as Ansible sees the role: through a symlink
    link.parent.mkdir()
    link.symlink_to(role)
    tasks = task_coverage.role_tasks(role)
    runs = [
        [_result(f"{link}/tasks/main.yml:2", "ok"), _result(f"{role}/tasks/main.yml:8", "skipped")],
        [_result(f"{role}/tasks/main.yml:8", "changed"),
         _result(f"{role}/handlers/main.yml:1", "skipped"),
         _result(f"{role}/tasks/main.yml:99", "ok"),  # no task there
         _result(f"{role}/tasks/main.yml:x", "ok"),  # no line
         _result("/elsewhere/tasks/main.yml:2", "ok"),  # another role
         _result(f"{role}/tasks/config.yml:1", "unreachable"),
         _result("tasks/main.yml:11", "ignored"),  # relative to the project, as read_results
         _result("../elsewhere/tasks/main.yml:15", "ok")],  # relative, outside the project
    ]  # fmt: skip
    task_coverage.record(tasks, [[vars(r) for r in rows] for rows in runs], role)
    assert {(t.path, t.line): t.statuses for t in tasks if t.statuses} == {
        ("tasks/main.yml", 2): {"ok"},
        ("tasks/main.yml", 8): {"skipped", "changed"},
        ("handlers/main.yml", 1): {"skipped"},
        ("tasks/config.yml", 1): {"unreachable"},
        ("tasks/main.yml", 11): {"ignored"},
    }


@pytest.mark.parametrize(
    ("statuses", "executed"),
    [({"ok"}, True), ({"changed"}, True), ({"failed"}, True), ({"ignored"}, True),
     ({"skipped"}, False), ({"unreachable"}, False), (set(), False),
     ({"skipped", "ok"}, True)],
    ids=["ok", "changed", "failed", "ignored", "skipped", "unreachable", "none", "mixed"],
)  # fmt: skip
def test_task_executed(statuses: set[str], executed: bool) -> None:  # noqa: FBT001
    assert Task("tasks/main.yml", 1, "t", statuses).executed is executed


REPORT_TASKS = [
    Task("tasks/main.yml", 2, "Install", {"ok"}),
    Task("tasks/main.yml", 8, "Inner", {"skipped"}),
    Task("tasks/config.yml", 1, "Write", {"changed", "skipped"}),
    Task("handlers/main.yml", 1, "Restart", {"unreachable"}),
]


def test_summary() -> None:
    assert task_coverage.summary(REPORT_TASKS) == {
        "executed": 2,
        "total": 4,
        "percent": 50.0,
        "files": {
            "tasks/main.yml": {"executed": 1, "total": 2},
            "tasks/config.yml": {"executed": 1, "total": 1},
            "handlers/main.yml": {"executed": 0, "total": 1},
        },
        "never_executed": ["tasks/main.yml:8 Inner", "handlers/main.yml:1 Restart"],
        "only_skipped": ["tasks/main.yml:8 Inner"],
    }


def test_summary_rounds_and_handles_no_tasks() -> None:
    tasks = [Task("t.yml", n, "x", {"ok"} if n == 1 else set()) for n in (1, 2, 3)]
    assert task_coverage.summary(tasks)["percent"] == 33.3
    assert task_coverage.summary([]) == {"executed": 0, "total": 0, "percent": 100.0,
                                         "files": {}, "never_executed": [],
                                         "only_skipped": []}  # fmt: skip


def test_markdown() -> None:
    assert task_coverage.markdown(task_coverage.summary(REPORT_TASKS)) == (
        "## Task coverage\n"
        "\n"
        "| File | Executed | Total |\n"
        "| --- | ---: | ---: |\n"
        "| `tasks/main.yml` | 1 | 2 |\n"
        "| `tasks/config.yml` | 1 | 1 |\n"
        "| `handlers/main.yml` | 0 | 1 |\n"
        "| **all** | **2** | **4** (50.0%) |\n"
        "\n"
        "**Never executed:**\n"
        "\n"
        "- `tasks/main.yml:8 Inner`\n"
        "- `handlers/main.yml:1 Restart`\n"
        "\n"
        "**Only ever skipped:**\n"
        "\n"
        "- `tasks/main.yml:8 Inner`\n"
    )


def test_markdown_all_executed_has_no_lists() -> None:
    text = task_coverage.markdown(task_coverage.summary(REPORT_TASKS[:1]))
    assert text.endswith("| **all** | **1** | **1** (100.0%) |\n")


def test_terminal() -> None:
    assert task_coverage.terminal(task_coverage.summary(REPORT_TASKS)).splitlines() == [
        "File               Executed  Total",
        "tasks/main.yml            1      2",
        "tasks/config.yml          1      1",
        "handlers/main.yml         0      1",
        "all                       2      4  50.0%",
        "never executed: tasks/main.yml:8 Inner",
        "never executed: handlers/main.yml:1 Restart",
        "only ever skipped: tasks/main.yml:8 Inner",
    ]


def test_terminal_without_tasks() -> None:
    assert task_coverage.terminal(task_coverage.summary([])).splitlines() == [
        "File   Executed  Total",
        "all           0      0  100.0%",
    ]


def _record_run(root: Path, platform_id: str, rows: list[tuple[str, str]]) -> None:
    task_coverage.save(
        Project(root), platform_id, [_result(f"{root}/{path}", status) for path, status in rows]
    )


@pytest.mark.parametrize(
    ("fail_under", "code"), [(None, 0), (50, 0), (50.1, 1)], ids=["unset", "at", "above"]
)
def test_coverage_command(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fail_under: float | None,
    code: int,
) -> None:
    setting = f"[tool.modskel.task_coverage]\nfail_under = {fail_under}\n" if fail_under else None
    root = _role(tmp_path / "role", pyproject=setting)
    monkeypatch.chdir(root)
    _record_run(root, "debian12", [("tasks/main.yml:2", "ok"), ("tasks/main.yml:8", "skipped"),
                                   ("tasks/config.yml:1", "changed")])  # fmt: skip
    _record_run(root, "rocky9", [("tasks/main.yml:11", "failed")])
    _record_run(root, "centos7", [("handlers/main.yml:1", "ok")])  # no longer a platform
    assert main(["coverage"]) == code
    out = capsys.readouterr().out.splitlines()
    assert out[0] == NO_PYTHON_DATA  # Python first; without data only tasks are judged
    assert out[1:7] == [
        "File               Executed  Total",
        "tasks/config.yml          1      1",
        "tasks/main.yml            2      4",
        "handlers/main.yml         0      1",
        "all                       3      6  50.0%",
        "never executed: tasks/main.yml:8 Inner",
    ]
    assert "only ever skipped: tasks/main.yml:8 Inner" in out
    assert "left out centos7.json: centos7 is no longer a platform" in out
    below = "task coverage 50.0% is below fail_under 50.1%: run the tasks above"
    assert (below in out) is (code == 1)
    report = json.loads((root / "coverage-report" / "tasks.json").read_text(encoding="utf-8"))
    assert (report["executed"], report["total"], report["percent"]) == (3, 6, 50.0)
    markdown = (root / "coverage-report" / "tasks.md").read_text(encoding="utf-8")
    assert markdown == task_coverage.markdown(report)


NO_PYTHON_DATA = "Python coverage: no data: the unit envs write it (run tox -e unit first)"
PYTHON_FAILS = "Coverage failure: total of 67 is less than fail-under=90"


@pytest.mark.parametrize(
    ("python_passes", "tasks_pass"),
    [(True, True), (False, True), (True, False), (False, False)],
    ids=["both-pass", "python-fails", "tasks-fail", "both-fail"],
)
def test_coverage_command_judges_python_and_tasks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    python_passes: bool,  # noqa: FBT001
    tasks_pass: bool,  # noqa: FBT001
) -> None:
    setting = None if tasks_pass else "[tool.modskel.task_coverage]\nfail_under = 50.1\n"
    root = _role(tmp_path / "role", pyproject=setting)
    monkeypatch.chdir(root)
    _record_run(root, "debian12", [("tasks/main.yml:2", "ok"), ("tasks/main.yml:8", "ok"),
                                   ("tasks/config.yml:1", "changed")])  # fmt: skip
    said = [] if python_passes else [PYTHON_FAILS]
    roots: list[Path] = []

    def report(found: Path) -> tuple[bool, list[str]]:
        roots.append(found)
        return python_passes, said

    monkeypatch.setattr(python_coverage, "report", report)
    assert main(["coverage"]) == (0 if python_passes and tasks_pass else 1)
    assert roots == [root]
    out = capsys.readouterr().out.splitlines()
    assert out[: len(said) + 1] == [*said, "File               Executed  Total"]
    assert (root / "coverage-report" / "tasks.json").is_file()  # tasks reported all the same


def test_coverage_command_bad_task_file(role: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (role / "handlers" / "main.yml").write_text("handler: not a list\n", encoding="utf-8")
    assert main(["coverage"]) == 2
    assert capsys.readouterr().err == (
        "modskel coverage: error: handlers/main.yml: expected a list of tasks, found dict: "
        "fix the file\n"
    )
    assert not (role / "coverage-report").exists()


def test_coverage_command_without_platform_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "role", platforms=None)
    monkeypatch.chdir(root)
    assert main(["coverage"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "all           0      0  100.0%"
