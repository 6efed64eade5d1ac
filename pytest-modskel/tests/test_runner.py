"""Running Ansible: environment, roles path, results, playbook runs (fake ansible-playbook)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeBin, write_project
from pytest_modskel import Project, Role, ansible_bin, ansible_env
from pytest_modskel.runner import ansible
from pytest_modskel.runner.ansible import PlaybookRun, TaskResult, read_results, roles_path

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


def test_playbook_run_statuses() -> None:
    run = PlaybookRun(2, "output", (OK, CHANGED, FAILED))
    assert run.with_status("changed", "failed") == [CHANGED, FAILED]
    assert run.with_status("unreachable") == []
    assert run.summary("changed", "failed") == (
        "  - Write config [changed] (/r/tasks/main.yml:8)\n"
        "  - Start nginx [failed] (/r/tasks/main.yml:14)"
    )
    assert run.summary("skipped") == ""


def test_roles_path(tmp_path: Path) -> None:
    root = write_project(tmp_path / "role")
    roles = roles_path(tmp_path / "work", Role("acme", "web"), root)
    assert roles == tmp_path / "work" / "roles"
    link = roles / "acme.web"
    assert link.is_symlink()
    assert link.resolve() == root.resolve()
    assert roles_path(tmp_path / "work", Role("acme", "web"), root) == roles  # again: kept


def test_ansible_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEPT_FROM_THE_ENVIRONMENT", "yes")
    project = Project(write_project(tmp_path / "role"))
    env = ansible_env(project, tmp_path / "work")
    assert env["KEPT_FROM_THE_ENVIRONMENT"] == "yes"
    assert env["ANSIBLE_ROLES_PATH"] == str(tmp_path / "work" / "roles")
    assert (tmp_path / "work" / "roles" / "acme.web").is_symlink()
    assert env["ANSIBLE_FILTER_PLUGINS"] == str(project.root / "filter_plugins")
    assert env["ANSIBLE_LOCAL_TEMP"] == str(tmp_path / "work" / "tmp")
    assert env["ANSIBLE_CALLBACKS_ENABLED"] == "modskel_results"
    assert Path(env["ANSIBLE_CALLBACK_PLUGINS"], "modskel_results.py").is_file()
    assert (env["ANSIBLE_NOCOLOR"], env["ANSIBLE_RETRY_FILES_ENABLED"]) == ("1", "0")
    assert "MODSKEL_RESULTS" not in env
    with_results = ansible_env(project, tmp_path / "work", tmp_path / "r.jsonl")
    assert with_results["MODSKEL_RESULTS"] == str(tmp_path / "r.jsonl")


def test_ansible_bin_is_beside_python() -> None:
    assert ansible_bin("ansible-playbook") == str(Path(sys.executable).parent / "ansible-playbook")


PLAYBOOK = """\
echo "roles: $ANSIBLE_ROLES_PATH"
echo 'PLAY RECAP: box ok=1 changed=1' >&2
printf '%s\\n' '{"host": "box", "task": "Install nginx", "path": "/r/tasks/main.yml:3", \
"action": "ansible.builtin.apt", "status": "ok"}' >> "$MODSKEL_RESULTS"
printf '%s\\n' '{"host": "box", "task": "Write config", "path": "/r/tasks/main.yml:8", \
"action": "template", "status": "changed"}' >> "$MODSKEL_RESULTS"
exit "${PLAYBOOK_RC:-0}"
"""


def test_run_playbook(fake_bin: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ansible, "ansible_bin", lambda name: str(fake_bin.folder / name))
    fake_bin.add("ansible-playbook", PLAYBOOK)
    project = Project(write_project(tmp_path / "role"))
    workdir, inventory = tmp_path / "work", tmp_path / "work" / "inventory.ini"
    workdir.mkdir()
    first = ansible.run_playbook(project, inventory, workdir)
    assert first == PlaybookRun(
        0, f"roles: {workdir / 'roles'}\nPLAY RECAP: box ok=1 changed=1\n", (OK, CHANGED)
    )
    monkeypatch.setenv("PLAYBOOK_RC", "2")
    second = ansible.run_playbook(project, inventory, workdir)
    assert second.returncode == 2
    assert second.results == (OK, CHANGED)  # its own results file, not the first one's
    assert sorted(p.name for p in workdir.glob("results-*")) == ["results-0.jsonl",
                                                                 "results-1.jsonl"]  # fmt: skip
    assert fake_bin.calls() == [f"ansible-playbook -i {inventory} {project.converge_playbook}"] * 2


@dataclass
class _Task:
    name: str
    path: str
    action: str

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
