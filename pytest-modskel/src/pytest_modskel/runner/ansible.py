"""Run ansible-playbook against the role and read back structured task results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pytest_modskel.project import Project, Role

CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"


@dataclass(frozen=True)
class TaskResult:
    """One task's result on one host, as the modskel_results callback wrote it."""

    host: str
    task: str
    path: str
    action: str
    status: str


@dataclass(frozen=True)
class PlaybookRun:
    """The outcome of one ansible-playbook run."""

    returncode: int
    output: str
    results: tuple[TaskResult, ...]

    def with_status(self, *statuses: str) -> list[TaskResult]:
        """Return the results whose status is one of ``statuses``."""
        return [r for r in self.results if r.status in statuses]

    def summary(self, *statuses: str) -> str:
        """List the tasks with ``statuses`` one per line, for failure messages."""
        rows = self.with_status(*statuses)
        return "\n".join(f"  - {r.task} [{r.status}] ({r.path})" for r in rows)


def roles_path(workdir: Path, role: Role, root: Path) -> Path:
    """Return a roles directory where the project at ``root`` is installed as ``role.fqcn``."""
    roles = workdir / "roles"
    roles.mkdir(parents=True, exist_ok=True)
    link = roles / role.fqcn
    if not link.exists():
        link.symlink_to(root, target_is_directory=True)
    return roles


def ansible_env(project: Project, workdir: Path, results: Path | None = None) -> dict[str, str]:
    """Return the environment for ansible commands run against ``project``'s role."""
    env = {
        **os.environ,
        "ANSIBLE_ROLES_PATH": str(roles_path(workdir, project.role, project.root)),
        "ANSIBLE_FILTER_PLUGINS": str(project.root / "filter_plugins"),
        "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CALLBACKS_ENABLED": "modskel_results",
    }
    if results is not None:
        env["MODSKEL_RESULTS"] = str(results)
    return env


def ansible_bin(name: str) -> str:
    """Return the path of an Ansible command installed beside this Python."""
    return str(Path(sys.executable).parent / name)


def read_results(path: Path) -> tuple[TaskResult, ...]:
    """Read the JSON lines the modskel_results callback wrote."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return tuple(TaskResult(**json.loads(line)) for line in lines)


def run_playbook(project: Project, inventory: Path, workdir: Path) -> PlaybookRun:
    """Converge ``project``'s playbook; return its exit code, output and task results."""
    results = workdir / f"results-{len(list(workdir.glob('results-*')))}.jsonl"
    results.touch()
    proc = subprocess.run(
        [ansible_bin("ansible-playbook"), "-i", str(inventory), str(project.converge_playbook)],
        env=ansible_env(project, workdir, results),
        capture_output=True,
        text=True,
        check=False,
    )
    return PlaybookRun(proc.returncode, proc.stdout + proc.stderr, read_results(results))
