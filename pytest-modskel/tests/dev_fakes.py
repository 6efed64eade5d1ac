"""Fakes for ``modskel dev`` tests: a podman that answers, keeper processes, records, converges."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import FakeBin, MakeProject
from pytest_modskel.commands.dev.state import Kept, slot
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import PlaybookRun, TaskResult

# A podman whose containers answer; EXEC_RC makes them gone (125), PS_NAMES lists labelled ones.
PODMAN = """\
case "$1" in
  ps) printf '%s\\n' ${PS_NAMES:-} ;;
  exec) if [ "${EXEC_RC:-0}" != 0 ]; then
          echo 'Error: no container with name or ID found' >&2; exit "$EXEC_RC"; fi
        shift; while [ "${1#-}" != "$1" ]; do shift; done; shift
        case "$*" in *"command -v python3"*) echo /usr/bin/python3 ;; *) echo "ran: $*" ;; esac ;;
esac
exit 0
"""
# Stands in for `python -m pytest_modskel.commands.keeper ROOT PLATFORM TOKEN ORIGIN`
# (the module's name is in its command line, as the real keeper's is). FAKE_KEEPER:
# keep (write the record, remove it on SIGTERM), fail, usage, crash, slow (no record),
# stubborn (ignores SIGTERM).
KEEPER_SCRIPT = r"""
# pytest_modskel.commands.keeper, faked
import json, os, signal, sys, time
root, platform, token, origin = sys.argv[1:]
mode = os.environ.get("FAKE_KEEPER", "keep")
record = os.path.join(root, ".modskel", "machines", platform, "machine.json")
if mode == "fail":
    print("starting"); print(f"{platform}: could not start img with podman: no space"); sys.exit(3)
if mode == "usage":
    print(f"{platform}: platform {platform} has unknown kind 'lxd'"); sys.exit(2)
if mode == "crash":
    print("Traceback (most recent call last):"); print("ZeroDivisionError: division by zero")
    sys.exit(1)
def stop(*_):
    if os.path.exists(record):
        os.unlink(record)
    print("removed"); sys.exit(0)
signal.signal(signal.SIGTERM, signal.SIG_IGN if mode == "stubborn" else stop)
name = f"modskel-web-{platform}-{token}"
kept = {"platform": platform, "kind": "container", "keeper": os.getpid(),
        "created": time.time(), "name": name, "origin": origin,
        "target": {"type": "container", "engine": "podman", "name": name,
                   "python": "/usr/bin/python3"}}
if mode != "slow":
    with open(record + ".partial", "w") as out:
        json.dump(kept, out)
    os.replace(record + ".partial", record)
while True:
    time.sleep(0.05)
"""


@pytest.fixture(name="podman")
def podman_fixture(fake_bin: FakeBin) -> FakeBin:
    """A fake podman on PATH whose containers answer."""
    fake_bin.add("podman", PODMAN)
    return fake_bin


ONE = "- id: debian12\n  image: docker.io/library/debian:bookworm\n"


@pytest.fixture(name="one")
def one_fixture(make_project: MakeProject, podman: FakeBin) -> Path:  # noqa: ARG001 - podman on PATH
    """A project with one platform, as the current folder, and podman that answers."""
    return make_project(platforms=ONE)


def output_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Return what a command printed, stdout then stderr, as lines."""
    captured = capsys.readouterr()
    return (captured.out + captured.err).splitlines()


@pytest.fixture(name="fake_keeper")
def fake_keeper_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Make ``spawn`` start the fake keeper; yield the pids started, killed afterwards."""
    from pytest_modskel.commands.dev import lifecycle  # noqa: PLC0415

    started: list[int] = []
    launch = lifecycle.launch

    def recorded(cmd: list[str], log: Path) -> int:
        started.append(launch(cmd, log))
        return started[-1]

    monkeypatch.setattr(lifecycle, "KEEPER", ("-c", KEEPER_SCRIPT))
    monkeypatch.setattr(lifecycle, "launch", recorded)
    yield started
    for pid in started:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


@pytest.fixture(name="keeper_pid")
def keeper_pid_fixture() -> Iterator[int]:
    """A live process that passes for a keeper (its command line names the module)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "pytest_modskel.commands.keeper"]
    )
    yield proc.pid
    proc.kill()
    proc.wait()


def record(  # noqa: PLR0913 - a record's fields, each with a default
    root: Path,
    keeper: int,
    platform: str = "debian12",
    *,
    origin: str = "dev",
    created: float | None = None,
    target: dict[str, object] | None = None,
) -> Kept:
    """Write a kept machine's record into the project at ``root``; return it."""
    name = f"modskel-web-{platform}-abc123"
    kept = Kept(
        platform, "container", keeper, time.time() if created is None else created, name, origin,
        target or {"type": "container", "engine": "podman", "name": name,
                   "python": "/usr/bin/python3"},
    )  # fmt: skip
    place = slot(Project(root), platform)
    place.folder.mkdir(parents=True, exist_ok=True)
    place.write(kept)
    return kept


def task(name: str, line: int, status: str, *, diff: str = "", msg: str = "") -> TaskResult:
    """Return one task result on the kept machine."""
    return TaskResult("box", name, f"tasks/main.yml:{line}", "copy", status, diff=diff, msg=msg)


DIFF = "--- before: /etc/web.conf\n+++ after: /etc/web.conf\n@@ -1 +1 @@\n-port = 80\n+port = 81\n"
CHANGED = PlaybookRun(0, "ok", (task("Install", 2, "ok"), task("Config", 8, "changed", diff=DIFF),
                               task("Restart", 30, "changed")))  # fmt: skip
QUIET = PlaybookRun(0, "ok", (task("Install", 2, "ok"), task("Config", 8, "ok")))
FAILED = PlaybookRun(
    2, "\n".join(f"line {n}" for n in range(30)),
    (task("Install", 2, "ok"), task("Start", 14, "failed", msg="Unable to start\n  web")),
)  # fmt: skip


@dataclass
class Converges:
    """A fake ``run_playbook``: hands out ``runs`` in turn; keeps each inventory and diff mode."""

    runs: list[PlaybookRun]
    inventories: list[str] = field(default_factory=list)
    diffs: list[bool] = field(default_factory=list)

    def __call__(
        self, project: Project, inventory: Path, workdir: Path, *, diff: bool = False
    ) -> PlaybookRun:
        assert project.role.fqcn == "acme.web"
        assert workdir.is_dir()
        assert not list(workdir.glob("results-*.jsonl"))  # old results are cleared first
        (workdir / "results-0.jsonl").touch()
        self.inventories.append(inventory.read_text(encoding="utf-8"))
        self.diffs.append(diff)
        return self.runs.pop(0)
