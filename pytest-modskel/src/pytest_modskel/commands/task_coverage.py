"""Task coverage: which of the role's tasks the integration converges ran.

``modskel coverage`` (run by ``tox -e coverage``) lists every task the role
defines (tasks/ and handlers/, blocks included; imports and includes are
structure, not tasks), merges the results the modskel_results callback
recorded on each platform (``.task-coverage/<platform>.json``), and prints per
file: tasks executed / total, the tasks never executed, and among those the
ones only ever skipped. Writes ``coverage-report/tasks.json`` and ``tasks.md``
(for a CI job summary). Exits 1 below ``[tool.modskel.task_coverage]
fail_under`` in pyproject.toml.

Each platform's results carry a fingerprint of tasks/ and handlers/. Results of
a platform no longer listed, or recorded before the task files changed (line
numbers move), are left out and named in the report, never counted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.commands import python_coverage
from pytest_modskel.commands.base import Command
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK, ConfigError
from pytest_modskel.platforms import load
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import TaskResult

FOLDERS = ("tasks", "handlers")
STRUCTURE = {"import_tasks", "include_tasks", "import_role", "include_role"}
EXECUTED = {"ok", "changed", "failed", "ignored"}
SECTIONS = (("never executed", "never_executed"), ("only ever skipped", "only_skipped"))


class TaskCoverageError(ConfigError):
    """A task file cannot be read; the message names the file and the fix."""


@dataclass
class Task:
    """One task of the role and what the converges did with it."""

    path: str
    line: int
    name: str
    statuses: set[str] = field(default_factory=set)

    @property
    def executed(self) -> bool:
        """Whether any platform ran it (skipped does not count)."""
        return bool(self.statuses & EXECUTED)


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records the line of every mapping as ``__line__``."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:  # noqa: FBT001, FBT002
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def _walk(items: object, path: str) -> list[Task]:
    if not isinstance(items, list):
        msg = f"{path}: expected a list of tasks, found {type(items).__name__}: fix the file"
        raise TaskCoverageError(msg)
    tasks = []
    for item in items:
        if not isinstance(item, dict):
            msg = f"{path}: a task must be a mapping, found {item!r}: fix the file"
            raise TaskCoverageError(msg)
        keys = {str(key).removeprefix("ansible.builtin.") for key in item}
        if keys & {"block", "rescue", "always"}:
            for section in ("block", "rescue", "always"):
                tasks += _walk(item.get(section) or [], path)
        elif not keys & STRUCTURE:
            name = str(item.get("name", "(unnamed)"))
            tasks.append(Task(path, item["__line__"], name))
    return tasks


def task_files(root: Path) -> list[Path]:
    """Return the task and handler files of the project's roles, in order."""
    return [
        file
        for role in Project(root).role_dirs
        for folder in FOLDERS
        for file in sorted((role / folder).rglob("*.y*ml"))
    ]


def fingerprint(root: Path) -> str:
    """Return a hash of the task and handler files: results are valid for these lines only."""
    digest = hashlib.sha256()
    for file in task_files(root):
        digest.update(f"{file.relative_to(root)}\0".encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def save(project: Project, platform_id: str, results: Iterable[TaskResult]) -> Path:
    """Keep one platform's task results for ``modskel coverage``."""
    project.task_results.mkdir(exist_ok=True)
    path = project.task_results / f"{platform_id}.json"
    data = {"fingerprint": fingerprint(project.root), "results": [asdict(r) for r in results]}
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    return path


def role_tasks(root: Path) -> list[Task]:
    """Return every task defined under each role's tasks/ and handlers/, in file order."""
    tasks = []
    for file in task_files(root):
        relative = str(file.relative_to(root))
        try:
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - a SafeLoader
        except UnicodeDecodeError:
            msg = f"{relative}: not UTF-8 text: save it as UTF-8"
            raise TaskCoverageError(msg) from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{relative}:{mark.line + 1}" if mark else relative
            problem = " ".join(str(getattr(error, "problem", None) or error).split())
            msg = f"{where}: not valid YAML ({problem}): fix the file"
            raise TaskCoverageError(msg) from None
        tasks += _walk(data or [], relative)
    return tasks


Runs = list[list[dict[str, str]]]


def usable(project: Project, platform_ids: set[str]) -> tuple[Runs, list[str]]:
    """Return the recorded results that still apply, and a note for each left out."""
    current, kept, notes = fingerprint(project.root), [], []
    for log in sorted(project.task_results.glob("*.json")):
        data = json.loads(log.read_text(encoding="utf-8"))
        if log.stem not in platform_ids:
            notes.append(f"left out {log.name}: {log.stem} is no longer a platform")
        elif data.get("fingerprint") != current:
            notes.append(
                f"left out {log.name}: tasks/ or handlers/ changed since that run: "
                f"rerun tox -e integration-{log.stem}"
            )
        else:
            kept.append(data["results"])
    return kept, notes


def record(tasks: list[Task], runs: Runs, root: Path) -> None:
    """Add the statuses of ``runs`` (each a platform's results) to ``tasks``."""
    by_place = {(task.path, task.line): task for task in tasks}
    root = root.resolve()
    for rows in runs:
        for row in rows:
            file, _, number = row["path"].rpartition(":")
            resolved = (root / file).resolve()  # relative to the project, or absolute
            if resolved.is_relative_to(root) and number.isdigit():
                key = (str(resolved.relative_to(root)), int(number))
                if key in by_place:
                    by_place[key].statuses.add(row["status"])


def summary(tasks: list[Task]) -> dict[str, Any]:
    """Return the report as data: totals, per-file rows, never executed, only skipped."""
    files: dict[str, list[Task]] = {}
    for task in tasks:
        files.setdefault(task.path, []).append(task)
    executed = sum(task.executed for task in tasks)
    return {
        "executed": executed,
        "total": len(tasks),
        "percent": round(100 * executed / len(tasks), 1) if tasks else 100.0,
        "files": {
            path: {"executed": sum(t.executed for t in rows), "total": len(rows)}
            for path, rows in files.items()
        },
        "never_executed": [f"{t.path}:{t.line} {t.name}" for t in tasks if not t.executed],
        "only_skipped": [f"{t.path}:{t.line} {t.name}" for t in tasks if t.statuses == {"skipped"}],
    }


def markdown(report: dict[str, Any]) -> str:
    """Render the report as Markdown for a CI job summary."""
    lines = ["## Task coverage", "", "| File | Executed | Total |", "| --- | ---: | ---: |"]
    lines += [
        f"| `{path}` | {row['executed']} | {row['total']} |"
        for path, row in report["files"].items()
    ]
    lines.append(
        f"| **all** | **{report['executed']}** | **{report['total']}** ({report['percent']}%) |"
    )
    for title, key in SECTIONS:
        if report[key]:
            entries = [f"- `{entry}`" for entry in report[key]]
            lines += ["", f"**{title.capitalize()}:**", "", *entries]
    return "\n".join(lines) + "\n"


def terminal(report: dict[str, Any]) -> str:
    """Render the report as a plain table."""
    width = max([len(path) for path in report["files"]] + [5])
    lines = [f"{'File':<{width}}  Executed  Total"]
    lines += [
        f"{path:<{width}}  {row['executed']:>8}  {row['total']:>5}"
        for path, row in report["files"].items()
    ]
    lines.append(
        f"{'all':<{width}}  {report['executed']:>8}  {report['total']:>5}  {report['percent']}%"
    )
    for title, key in SECTIONS:
        lines += [f"{title}: {entry}" for entry in report[key]]
    return "\n".join(lines)


def run(_args: argparse.Namespace) -> int:
    """Report Python coverage (if the unit envs left data) and task coverage; judge both."""
    project = Project.find()
    python_passed, said = python_coverage.report(project.root)
    for line in said:
        print(line)
    return EXIT_OK if tasks_report(project) and python_passed else EXIT_FAILED


def tasks_report(project: Project) -> bool:
    """Print and write the task coverage report; return whether it meets its threshold."""
    fail_under = float(project.setting("task_coverage", "fail_under", 0))
    tasks = role_tasks(project.root)
    runs, notes = usable(project, {p.id for p in load(project)})
    record(tasks, runs, project.root)
    report = summary(tasks)
    print(terminal(report))
    for note in notes:
        print(note)
    project.reports.mkdir(exist_ok=True)
    (project.reports / "tasks.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    (project.reports / "tasks.md").write_text(markdown(report), encoding="utf-8")
    if report["percent"] < fail_under:
        percent = report["percent"]
        print(f"task coverage {percent}% is below fail_under {fail_under:g}%: run the tasks above")
        return False
    return True


COMMAND = Command(
    "coverage", "report Python coverage (unit envs) and task coverage (integration runs)", run
)
