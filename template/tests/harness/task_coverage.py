"""Task coverage: which of the role's tasks the integration converges ran.

Usage: ``python -m harness.task_coverage`` (run by ``tox -e coverage``). Lists
every task the role defines (tasks/ and handlers/, blocks included; imports and
includes are structure, not tasks), merges the results the modskel_results
callback recorded on each platform (``.task-coverage/<platform>.jsonl``), and
prints per file: tasks executed / total, the tasks never executed, and among
those the ones only ever skipped. Writes ``coverage-report/tasks.json`` and
``tasks.md`` (for a CI job summary). Exits 1 below
``[tool.modskel.task_coverage] fail_under`` in pyproject.toml.
"""

from __future__ import annotations

import json
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.ansible import PROJECT_ROOT

RESULTS = PROJECT_ROOT / ".task-coverage"
REPORTS = PROJECT_ROOT / "coverage-report"
STRUCTURE = {"import_tasks", "include_tasks", "import_role", "include_role"}
EXECUTED = {"ok", "changed", "failed", "ignored"}
SECTIONS = (("never executed", "never_executed"), ("only ever skipped", "only_skipped"))


class TaskCoverageError(ValueError):
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


def role_tasks(root: Path = PROJECT_ROOT) -> list[Task]:
    """Return every task defined under tasks/ and handlers/, in file order."""
    tasks = []
    for folder in ("tasks", "handlers"):
        for file in sorted((root / folder).rglob("*.y*ml")):
            relative = str(file.relative_to(root))
            try:
                data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - a SafeLoader
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                where = f"{relative}:{mark.line + 1}" if mark else relative
                msg = f"{where}: not valid YAML ({getattr(error, 'problem', error)}): fix the file"
                raise TaskCoverageError(msg) from None
            tasks += _walk(data or [], relative)
    return tasks


def record(tasks: list[Task], results: Path = RESULTS, root: Path = PROJECT_ROOT) -> None:
    """Add the statuses recorded on every platform to ``tasks``."""
    by_place = {(task.path, task.line): task for task in tasks}
    root = root.resolve()
    for log in sorted(results.glob("*.jsonl")):
        for line in log.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            file, _, number = row["path"].rpartition(":")
            resolved = Path(file).resolve()
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


def main() -> int:
    """Print and write the report; return 1 below the threshold."""
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    settings = config.get("tool", {}).get("modskel", {}).get("task_coverage", {})
    fail_under = float(settings.get("fail_under", 0))
    try:
        tasks = role_tasks()
    except TaskCoverageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    record(tasks)
    report = summary(tasks)
    print(terminal(report))
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "tasks.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (REPORTS / "tasks.md").write_text(markdown(report), encoding="utf-8")
    if report["percent"] < fail_under:
        percent = report["percent"]
        print(f"task coverage {percent}% is below fail_under {fail_under:g}%: run the tasks above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
