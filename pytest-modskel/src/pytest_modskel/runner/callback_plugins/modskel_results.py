"""Ansible callback: record every task result as one JSON line.

The harness reads these lines back, so the idempotence check works on
structured results (task, file:line, status) rather than on printed text.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ansible.plugins.callback import CallbackBase

MESSAGE = 2000  # characters of a diff or failure message kept per task

DOCUMENTATION = """
name: modskel_results
type: aggregate
short_description: Write task results as JSON lines for the modskel test harness
description:
  - Appends one JSON object per task result to the file named by MODSKEL_RESULTS.
"""


class CallbackModule(CallbackBase):  # type: ignore[misc]  # Ansible is untyped
    """Append {host, task, path, action, status} for each task result."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "modskel_results"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result: Any, status: str) -> None:  # noqa: ANN401 - Ansible's result type
        path = os.environ.get("MODSKEL_RESULTS")
        if not path:
            return
        # _task/_host work on every supported ansible-core (2.19 adds public aliases).
        task, outcome = result._task, result._result  # noqa: SLF001
        row = {
            "host": result._host.get_name(),  # noqa: SLF001
            "task": task.get_name(),
            "path": task.get_path(),
            "action": task.action,
            "status": status,
            "tags": sorted(task.tags or []),
            "diff": self._diff(outcome) if status == "changed" else "",
            "msg": str(outcome.get("msg", ""))[:MESSAGE] if status == "failed" else "",
        }
        with open(path, "a", encoding="utf-8") as stream:  # noqa: PTH123
            stream.write(json.dumps(row) + "\n")

    def _diff(self, outcome: dict[str, Any]) -> str:
        """Render the diff a changed task reports (only in --diff mode), as Ansible prints it."""
        diffs = [outcome["diff"]] if outcome.get("diff") else []
        # A looped task reports a diff per item, as Ansible's default callback shows them.
        diffs += [
            r["diff"] for r in outcome.get("results", []) if r.get("changed") and r.get("diff")
        ]
        try:
            return "".join(str(self._get_diff(diff)) for diff in diffs)[:MESSAGE]
        except Exception:  # noqa: BLE001 - a diff is a courtesy: never fail the run over it
            return ""

    def v2_runner_on_ok(self, result: Any) -> None:  # noqa: ANN401, D102
        self._record(result, "changed" if result._result.get("changed") else "ok")  # noqa: SLF001

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:  # noqa: ANN401, D102, FBT001, FBT002
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:  # noqa: ANN401, D102
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:  # noqa: ANN401, D102
        self._record(result, "unreachable")
