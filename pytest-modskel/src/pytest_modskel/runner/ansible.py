"""Run ansible-playbook against the role and read back structured task results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pytest_modskel.errors import SetupError
from pytest_modskel.project import Project

CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
CONNECTIONS = CALLBACKS.with_name("connection_plugins")


NOTEST_TAGS = ("modskel-idempotence-notest", "molecule-idempotence-notest")


@dataclass(frozen=True)
class TaskResult:
    """One task's result on one host, as the modskel_results callback wrote it.

    ``path`` is ``file:line``, relative to the project when the file is in it.
    ``diff`` is what a changed task reported in --diff mode; ``msg`` a failure's message.
    """

    host: str
    task: str
    path: str
    action: str
    status: str
    tags: tuple[str, ...] = ()
    diff: str = ""
    msg: str = ""

    @property
    def idempotence_optout(self) -> bool:
        """Whether the task's tags exclude it from the idempotence check."""
        return any(tag in NOTEST_TAGS for tag in self.tags)

    def line(self) -> str:
        """Return the task as one report line."""
        why = f": {' '.join(self.msg.split())}" if self.msg else ""
        return f"  - {self.task} [{self.status}] ({self.path}){why}"


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
        return "\n".join(r.line() for r in self.with_status(*statuses))


def ansible_env(project: Project, workdir: Path, results: Path | None = None) -> dict[str, str]:
    """Return the environment for ansible commands run against ``project``.

    The project is linked below ``workdir`` under its FQCN (the role as
    ``namespace.name``, a collection as ``ansible_collections/<ns>/<name>``).
    """
    env = {
        **os.environ,
        **project.kind.ansible_env(project.root, workdir),
        "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CONNECTION_PLUGINS": str(CONNECTIONS),
        "ANSIBLE_CALLBACKS_ENABLED": "modskel_results",
    }
    if results is not None:
        env["MODSKEL_RESULTS"] = str(results)
    return env


def ansible_bin(name: str) -> str:
    """Return the path of an Ansible command installed beside this Python."""
    return str(Path(sys.executable).parent / name)


def required_bin(name: str, fix: str) -> str:
    """Return :func:`ansible_bin` of ``name``; if it is not there, say so and ``fix``."""
    path = ansible_bin(name)
    if not Path(path).is_file():
        msg = f"{name} not found beside {sys.executable}: {fix}"
        raise SetupError(msg)
    return path


def relative(place: str, root: Path) -> str:
    """Return ``file:line`` relative to ``root`` when the file is in the project."""
    file, sep, line = place.rpartition(":")
    if not sep or not line.isdigit():
        return place
    resolved, root = Path(file).resolve(), root.resolve()
    return f"{resolved.relative_to(root)}:{line}" if resolved.is_relative_to(root) else place


def read_results(path: Path, root: Path | None = None) -> tuple[TaskResult, ...]:
    """Read the JSON lines the modskel_results callback wrote (paths relative to ``root``)."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    rows = [json.loads(line) for line in lines]
    for row in rows:
        row["tags"] = tuple(row.get("tags", ()))
        row["path"] = relative(row["path"], root) if root else row["path"]
    return tuple(TaskResult(**row) for row in rows)


def run_playbook(
    project: Project, inventory: Path, workdir: Path, *, diff: bool = False
) -> PlaybookRun:
    """Converge ``project``'s playbook; return its exit code, output and task results."""
    results = workdir / f"results-{len(list(workdir.glob('results-*')))}.jsonl"
    results.touch()
    playbook = [ansible_bin("ansible-playbook"), "-i", str(inventory)]
    proc = subprocess.run(
        [*playbook, *(["--diff"] if diff else []), str(project.converge_playbook)],
        env=ansible_env(project, workdir, results),
        capture_output=True,
        text=True,
        check=False,
    )
    installed = f"{project.kind.installed(workdir, project.content)}/"
    output = (proc.stdout + proc.stderr).replace(installed, "")  # project-relative paths
    return PlaybookRun(proc.returncode, output, read_results(results, project.root))
