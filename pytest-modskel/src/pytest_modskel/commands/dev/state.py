"""What ``modskel dev`` writes down: one folder per kept machine, under ``.modskel/machines/``.

A platform's folder holds ``machine.json`` (the :class:`Kept` record its keeper
writes once the machine is up, and deletes after removing it), ``keeper.log``
(what the keeper printed), ``work/`` (the driver's work folder: a VM's overlay,
key and ssh_config), ``converge/`` (inventory and Ansible's temporary files) and
``converge.json`` (the last converges, for ``verify`` and ``idempotence``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pytest_modskel.drivers.base import Target
from pytest_modskel.drivers.kept import attach
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import PlaybookRun, TaskResult

FOLDER = Path(".modskel") / "machines"
DEV = "dev"  # the origin of machines `modskel dev up` kept
GATE = "gate:"  # the origin of machines a gate run kept (--keep): gate:<run id>


@dataclass(frozen=True)
class Kept:
    """One kept machine, as its keeper wrote it down.

    Attributes:
        platform: the platform id.
        kind: the platform's kind (its driver).
        keeper: the keeper's process id.
        created: when the machine was up (seconds since the epoch).
        name: the machine's name (a container's name, a VM's ``modskel-…`` name).
        origin: ``dev``, or ``gate:<run id>`` for a gate run with ``--keep``.
        target: how to reach it (:func:`pytest_modskel.drivers.kept.describe`).
    """

    platform: str
    kind: str
    keeper: int
    created: float
    name: str
    origin: str
    target: dict[str, Any]

    def attach(self) -> Target:
        """Return the machine as a target."""
        return attach(self.target)

    @property
    def engine(self) -> str:
        """Say what runs it: ``container/podman``, ``vm/ssh``, ``ssh``."""
        how = self.target.get("engine") or self.target.get("type", "?")
        return self.kind if how == self.kind else f"{self.kind}/{how}"

    def age(self, now: float | None = None) -> str:
        """Return how long the machine has been up, in its largest unit (``12 min``)."""
        seconds = max(0, int((now if now is not None else time.time()) - self.created))
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
            if seconds >= size:
                return f"{seconds // size} {unit}"
        return f"{seconds} s"


def run_to_json(run: PlaybookRun) -> dict[str, Any]:
    """Return a converge's outcome as JSON-ready data."""
    return {"returncode": run.returncode, "output": run.output,
            "results": [asdict(r) for r in run.results]}  # fmt: skip


def run_from_json(data: dict[str, Any]) -> PlaybookRun:
    """Return the converge outcome :func:`run_to_json` wrote."""
    results = tuple(TaskResult(**{**r, "tags": tuple(r.get("tags", ()))}) for r in data["results"])
    return PlaybookRun(int(data["returncode"]), str(data["output"]), results)


@dataclass(frozen=True)
class Runs:
    """The last converges on a kept machine: ``converge``, then ``idempotence`` (or None)."""

    converge: PlaybookRun | None = None
    idempotence: PlaybookRun | None = None


@dataclass(frozen=True)
class Slot:
    """The folder of one platform's kept machine."""

    folder: Path

    @property
    def platform(self) -> str:
        """The platform id (the folder's name)."""
        return self.folder.name

    @property
    def record(self) -> Path:
        """``machine.json``: present while the machine is up."""
        return self.folder / "machine.json"

    @property
    def log(self) -> Path:
        """``keeper.log``: what the keeper printed."""
        return self.folder / "keeper.log"

    @property
    def workdir(self) -> Path:
        """``work/``: the driver's work folder."""
        return self.folder / "work"

    @property
    def converge_dir(self) -> Path:
        """``converge/``: the inventory and Ansible's files of ``modskel dev converge``."""
        return self.folder / "converge"

    @property
    def failed_marker(self) -> Path:
        """Present when a gate run's test of this platform failed."""
        return self.folder / "failed"

    def read(self) -> Kept | None:
        """Return the record, or None when there is none (or it is unreadable)."""
        try:
            return Kept(**json.loads(self.record.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def write(self, kept: Kept) -> None:
        """Write the record at once (readers never see half of it)."""
        partial = self.record.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(kept), indent=1), encoding="utf-8")
        partial.replace(self.record)

    def runs(self) -> Runs:
        """Return the last converges recorded on the machine."""
        try:
            data = json.loads((self.folder / "converge.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return Runs()
        return Runs(*(run_from_json(data[k]) if data.get(k) else None
                      for k in ("converge", "idempotence")))  # fmt: skip

    def save_runs(self, runs: Runs) -> None:
        """Record the last converges."""
        data = {k: run_to_json(r) if r else None for k, r in vars(runs).items()}
        (self.folder / "converge.json").write_text(json.dumps(data), encoding="utf-8")

    def forget(self, *, keep_log: bool = False) -> None:
        """Delete the folder (all but ``keeper.log`` if ``keep_log``)."""
        if not keep_log:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        for entry in self.folder.iterdir() if self.folder.is_dir() else ():
            if entry != self.log:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink(missing_ok=True)


def slot(project: Project, platform_id: str) -> Slot:
    """Return the folder of ``platform_id``'s kept machine in ``project``."""
    return Slot(project.root / FOLDER / platform_id)


def slots(project: Project) -> list[Slot]:
    """Return the folders of kept machines that hold a record, by platform id."""
    root = project.root / FOLDER
    found = sorted(root.iterdir()) if root.is_dir() else []
    return [Slot(f) for f in found if (f / "machine.json").is_file()]


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running keeper (not a zombie, not a recycled pid)."""
    proc = Path("/proc", str(pid))
    try:
        os.kill(pid, 0)
        stat = (proc / "stat").read_text(encoding="utf-8")
        cmdline = (proc / "cmdline").read_bytes()
    except (OSError, ValueError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z" and b"pytest_modskel.commands.keeper" in (
        cmdline
    )
