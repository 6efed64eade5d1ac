"""Running Ansible: environment, roles path, results, playbook runs (fake ansible-playbook)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeBin, write_project
from pytest_modskel import Project, ansible_bin, ansible_env
from pytest_modskel.kinds.base import DEFAULT_ROLES
from pytest_modskel.runner import ansible
from pytest_modskel.runner.ansible import PlaybookRun, TaskResult, read_results, relative

OK = TaskResult("box", "Install nginx", "/r/tasks/main.yml:3", "ansible.builtin.apt", "ok")
CHANGED = TaskResult("box", "Write config", "/r/tasks/main.yml:8", "template", "changed")
FAILED = TaskResult("box", "Start nginx", "/r/tasks/main.yml:14", "service", "failed")


def test_read_results(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    assert read_results(path) == ()  # not written (yet)
    path.write_text("".join(json.dumps(vars(r)) + "\n" for r in (OK, CHANGED)), encoding="utf-8")
    assert read_results(path) == (OK, CHANGED)
    path.write_text("", encoding="utf-8")
    assert read_results(path) == ()


def test_read_results_relative_to_the_project(tmp_path: Path) -> None:
    root = write_project(tmp_path / "role")
    link = Project(root).install(tmp_path / "work")
    rows = [
        {"host": "box", "task": "a", "path": f"{link}/tasks/main.yml:3", "action": "apt",
         "status": "changed", "tags": ["b", "a"], "diff": "+x\n"},
        {"host": "box", "task": "b", "path": "/elsewhere/main.yml:5", "action": "apt",
         "status": "failed", "msg": "boom"},
    ]  # fmt: skip
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert read_results(path, root) == (
        TaskResult("box", "a", "tasks/main.yml:3", "apt", "changed", ("b", "a"), "+x\n"),
        TaskResult("box", "b", "/elsewhere/main.yml:5", "apt", "failed", msg="boom"),
    )
    assert read_results(path)[0].path == f"{link}/tasks/main.yml:3"  # no root: as written


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("{root}/tasks/main.yml:3", "tasks/main.yml:3"),
        ("{root}/../other/tasks/main.yml:3", "{root}/../other/tasks/main.yml:3"),
        ("{root}/tasks/main.yml:x", "{root}/tasks/main.yml:x"),
        ("{root}/tasks/main.yml", "{root}/tasks/main.yml"),
        ("", ""),
    ],
    ids=["inside", "outside", "no-line", "no-colon", "empty"],
)
def test_relative(tmp_path: Path, place: str, expected: str) -> None:
    root = tmp_path / "role"
    assert relative(place.format(root=root), root) == expected.format(root=root)


def test_task_result_line_and_optout() -> None:
    assert OK.line() == "  - Install nginx [ok] (/r/tasks/main.yml:3)"
    failed = TaskResult("box", "Start", "tasks/main.yml:14", "service", "failed",
                        msg="Unable to start service nginx:\n  Job failed.\n")  # fmt: skip
    assert failed.line() == (
        "  - Start [failed] (tasks/main.yml:14): Unable to start service nginx: Job failed."
    )
    assert not OK.idempotence_optout
    assert not TaskResult("h", "t", "p:1", "a", "changed", tags=("notest",)).idempotence_optout
    for tag in ("modskel-idempotence-notest", "molecule-idempotence-notest"):
        assert TaskResult("h", "t", "p:1", "a", "changed", tags=("x", tag)).idempotence_optout


def test_playbook_run_statuses() -> None:
    run = PlaybookRun(2, "output", (OK, CHANGED, FAILED))
    assert run.with_status("changed", "failed") == [CHANGED, FAILED]
    assert run.with_status("unreachable") == []
    assert run.summary("changed", "failed") == (
        "  - Write config [changed] (/r/tasks/main.yml:8)\n"
        "  - Start nginx [failed] (/r/tasks/main.yml:14)"
    )
    assert run.summary("skipped") == ""


def test_install_links_the_role_by_its_fqcn(tmp_path: Path) -> None:
    root = write_project(tmp_path / "role")
    link = Project(root).install(tmp_path / "work")
    assert link == tmp_path / "work" / "roles" / "acme.web"
    assert link.is_symlink()
    assert link.resolve() == root.resolve()
    assert Project(root).install(tmp_path / "work") == link  # again: kept


def test_ansible_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEPT_FROM_THE_ENVIRONMENT", "yes")
    project = Project(write_project(tmp_path / "role"))
    env = ansible_env(project, tmp_path / "work")
    assert env["KEPT_FROM_THE_ENVIRONMENT"] == "yes"
    defaults = [str(Path(p).expanduser()) for p in DEFAULT_ROLES]
    assert env["ANSIBLE_ROLES_PATH"].split(os.pathsep) == [str(tmp_path / "work" / "roles"),
                                                           *defaults]  # fmt: skip
    assert (tmp_path / "work" / "roles" / "acme.web").is_symlink()
    assert env["ANSIBLE_FILTER_PLUGINS"] == str(project.root / "filter_plugins")
    assert env["ANSIBLE_LOCAL_TEMP"] == str(tmp_path / "work" / "tmp")
    assert env["ANSIBLE_CALLBACKS_ENABLED"] == "modskel_results"
    assert Path(env["ANSIBLE_CALLBACK_PLUGINS"], "modskel_results.py").is_file()
    assert (env["ANSIBLE_NOCOLOR"], env["ANSIBLE_RETRY_FILES_ENABLED"]) == ("1", "0")
    assert "MODSKEL_RESULTS" not in env
    with_results = ansible_env(project, tmp_path / "work", tmp_path / "r.jsonl")
    assert with_results["MODSKEL_RESULTS"] == str(tmp_path / "r.jsonl")
    (project.root / "roles").mkdir()  # dependencies installed into the project
    assert ansible_env(project, tmp_path / "work")["ANSIBLE_ROLES_PATH"].split(os.pathsep) == [
        str(tmp_path / "work" / "roles"), str(project.root / "roles"), *defaults
    ]  # fmt: skip


def test_ansible_bin_is_beside_python() -> None:
    assert ansible_bin("ansible-playbook") == str(Path(sys.executable).parent / "ansible-playbook")


PLAYBOOK = """\
installed="${ANSIBLE_ROLES_PATH%%:*}/acme.web"
echo "roles: ${ANSIBLE_ROLES_PATH%%:*}"
echo "TASK [acme.web : Write config] path: $installed/tasks/main.yml:8"
echo 'PLAY RECAP: box ok=1 changed=1' >&2
printf '%s\\n' '{"host": "box", "task": "Install nginx", "path": "/r/tasks/main.yml:3", \
"action": "ansible.builtin.apt", "status": "ok"}' >> "$MODSKEL_RESULTS"
printf '{"host": "box", "task": "Write config", "path": "%s/tasks/main.yml:8", \
"action": "template", "status": "changed", "tags": ["config"]}\\n' "$installed" \
>> "$MODSKEL_RESULTS"
exit "${PLAYBOOK_RC:-0}"
"""
WRITTEN = TaskResult("box", "Write config", "tasks/main.yml:8", "template", "changed", ("config",))


def test_run_playbook(fake_bin: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ansible, "ansible_bin", lambda name: str(fake_bin.folder / name))
    fake_bin.add("ansible-playbook", PLAYBOOK)
    project = Project(write_project(tmp_path / "role"))
    workdir, inventory = tmp_path / "work", tmp_path / "work" / "inventory.ini"
    workdir.mkdir()
    first = ansible.run_playbook(project, inventory, workdir)
    assert first == PlaybookRun(
        0,
        f"roles: {workdir / 'roles'}\n"
        "TASK [acme.web : Write config] path: tasks/main.yml:8\n"  # the project-relative path
        "PLAY RECAP: box ok=1 changed=1\n",
        (OK, WRITTEN),
    )
    monkeypatch.setenv("PLAYBOOK_RC", "2")
    second = ansible.run_playbook(project, inventory, workdir, diff=True)
    assert second.returncode == 2
    assert second.results == (OK, WRITTEN)  # its own results file, not the first one's
    assert sorted(p.name for p in workdir.glob("results-*")) == ["results-0.jsonl",
                                                                 "results-1.jsonl"]  # fmt: skip
    assert fake_bin.calls() == [
        f"ansible-playbook -i {inventory} {project.converge_playbook}",
        f"ansible-playbook -i {inventory} --diff {project.converge_playbook}",
    ]


@dataclass
class _Task:
    name: str
    path: str
    action: str
    tags: list[str] | None = None

    def get_name(self) -> str:
        return self.name

    def get_path(self) -> str:
        return self.path


@dataclass
class _Host:
    name: str

    def get_name(self) -> str:
        return self.name


@dataclass
class _Result:
    _task: _Task
    _host: _Host
    _result: dict[str, Any] = field(default_factory=dict)


def _callback() -> Any:  # noqa: ANN401 - Ansible's callback class is untyped
    from pytest_modskel.runner.callback_plugins import modskel_results  # noqa: PLC0415

    return modskel_results.CallbackModule()


def _results(*, changed: bool) -> _Result:
    return _Result(_Task("Install nginx", "/r/tasks/main.yml:3", "apt"), _Host("box"),
                   {"changed": changed})  # fmt: skip


@pytest.mark.parametrize(
    ("event", "changed", "status"),
    [
        (("v2_runner_on_ok", {}), False, "ok"),
        (("v2_runner_on_ok", {}), True, "changed"),
        (("v2_runner_on_failed", {}), False, "failed"),
        (("v2_runner_on_failed", {"ignore_errors": True}), False, "ignored"),
        (("v2_runner_on_skipped", {}), False, "skipped"),
        (("v2_runner_on_unreachable", {}), False, "unreachable"),
    ],
    ids=["ok", "changed", "failed", "ignored", "skipped", "unreachable"],
)
def test_callback_records_each_result(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    event: tuple[str, dict[str, bool]],
    changed: bool,  # noqa: FBT001
    status: str,
) -> None:
    path = tmp_path / "results.jsonl"
    monkeypatch.setenv("MODSKEL_RESULTS", str(path))
    callback = _callback()
    method, options = event
    getattr(callback, method)(_results(changed=changed), **options)
    getattr(callback, method)(_results(changed=changed), **options)  # appended, not overwritten
    expected = TaskResult("box", "Install nginx", "/r/tasks/main.yml:3", "apt", status)
    assert read_results(path) == (expected, expected)


def test_callback_without_a_results_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _callback().v2_runner_on_ok(_results(changed=True))
    assert list(tmp_path.iterdir()) == []


def _record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, result: _Result) -> Any:  # noqa: ANN401
    """Send ``result`` to the callback's ``method``; return the one task result it wrote."""
    path = tmp_path / "results.jsonl"
    path.unlink(missing_ok=True)
    monkeypatch.setenv("MODSKEL_RESULTS", str(path))
    getattr(_callback(), method)(result)
    (written,) = read_results(path)
    return written


TEMPLATE = _Task("Write config", "/r/tasks/main.yml:8", "template",
                 ["molecule-idempotence-notest", "config"])  # fmt: skip


def test_callback_records_tags_and_the_diff_of_a_changed_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    diff = {"before": "listen 80\n", "after": "listen 8080\n", "before_header": "/etc/a.conf",
            "after_header": "/etc/a.conf"}  # fmt: skip
    result = _Result(TEMPLATE, _Host("box"), {"changed": True, "diff": [diff], "msg": "kept out"})
    written = _record(tmp_path, monkeypatch, "v2_runner_on_ok", result)
    assert written.tags == ("config", "molecule-idempotence-notest")  # sorted
    assert written.idempotence_optout
    assert written.msg == ""  # only a failure's message is kept
    lines = written.diff.splitlines()
    assert lines[:2] == ["--- before: /etc/a.conf", "+++ after: /etc/a.conf"]
    assert "-listen 80" in lines
    assert "+listen 8080" in lines


@pytest.mark.parametrize(
    "outcome",
    [{"changed": False, "diff": {"before": "a\n", "after": "b\n"}}, {"changed": True},
     {"changed": True, "diff": {}}, {"changed": True, "diff": {"before": 1, "after": "b"}}],
    ids=["unchanged", "no-diff", "empty-diff", "diff-ansible-cannot-render"],
)  # fmt: skip
def test_callback_records_no_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcome: dict[str, Any]
) -> None:
    written = _record(
        tmp_path, monkeypatch, "v2_runner_on_ok", _Result(TEMPLATE, _Host("b"), outcome)
    )
    assert written.diff == ""


def test_callback_keeps_a_prepared_diff_and_cuts_long_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = {"changed": True, "diff": {"prepared": "x" * 5000}}
    written = _record(
        tmp_path, monkeypatch, "v2_runner_on_ok", _Result(TEMPLATE, _Host("b"), prepared)
    )
    assert written.diff == "x" * 2000


@pytest.mark.parametrize(
    ("method", "msg"),
    [("v2_runner_on_failed", "Unable to start service nginx"),
     ("v2_runner_on_unreachable", ""), ("v2_runner_on_skipped", "")],
    ids=["failed", "unreachable", "skipped"],
)  # fmt: skip
def test_callback_records_the_message_of_a_failed_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, msg: str
) -> None:
    outcome = {"msg": "Unable to start service nginx", "changed": False}
    written = _record(tmp_path, monkeypatch, method, _Result(TEMPLATE, _Host("b"), outcome))
    assert (written.msg, written.diff) == (msg, "")


def test_callback_cuts_a_long_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = {"msg": ["a list", "of " + "words " * 1000]}
    written = _record(
        tmp_path, monkeypatch, "v2_runner_on_failed", _Result(TEMPLATE, _Host("b"), outcome)
    )
    assert written.msg == str(outcome["msg"])[:2000]


def test_callback_records_the_diffs_of_a_looped_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [
        {"changed": True, "item": "a.conf", "diff": {"before": "a\n", "after": "b\n"}},
        {"changed": False, "item": "b.conf", "diff": {"before": "c\n", "after": "c\n"}},
    ]
    outcome = {"changed": True, "msg": "All items completed", "results": items}
    written = _record(
        tmp_path, monkeypatch, "v2_runner_on_ok", _Result(TEMPLATE, _Host("b"), outcome)
    )
    assert "+b" in written.diff.splitlines()
