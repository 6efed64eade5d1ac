"""``modskel dev``: the author's inner loop on a kept machine (``tox -e dev -- VERB [PLATFORM]``).

- ``up``: start a platform's machine and keep it (in a keeper process);
- ``converge``: converge the role on it (``up`` first if needed) and print the
  recap: changed tasks with their diffs, failed tasks with their messages;
- ``idempotence``: converge again and apply the gate's idempotence check;
- ``verify``: run ``pytest tests/integration`` (and ``-- ARGS``) on it, as last converged;
- ``login``: open a shell on it, or run ``-- COMMAND`` there;
- ``list``: the kept machines, their age and how to log in;
- ``destroy``: remove one platform's machine, or ``--all``.

PLATFORM may be left out when one platform is selected (``MODSKEL_PLATFORMS``
or the project's only one). Machines live under ``.modskel/machines/``
(:mod:`.state`), each in a keeper of its own (:mod:`.lifecycle`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_modskel.commands.base import Command
from pytest_modskel.commands.dev import lifecycle
from pytest_modskel.commands.dev.state import Kept, Runs, Slot, slot
from pytest_modskel.drivers.kept import login_command, login_hint
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK, ConfigError
from pytest_modskel.platforms import Platform, load, select
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import PlaybookRun, run_playbook

if TYPE_CHECKING:
    from pytest_modskel.drivers.base import Target

PLATFORMS_VAR = "MODSKEL_PLATFORMS"
VERBS = ("up", "converge", "idempotence", "verify", "login", "list", "destroy")
COUNTED = ("changed", "ok", "skipped", "failed", "ignored", "unreachable")
OUTPUT_LINES = 20  # lines of ansible-playbook output shown when it fails without a failed task


def say(line: str) -> None:
    """Print one line of ``modskel dev``, at once."""
    print(f"modskel dev: {line}", flush=True)


def choose(project: Project, wanted: str | None) -> Platform:
    """Return the platform named, or the only selected one."""
    if wanted is not None:
        if "," in wanted:
            msg = f"modskel dev works on one platform at a time, not {wanted!r}: name one id"
            raise ConfigError(msg)
        return select(load(project), wanted)[0]
    candidates = select(load(project), os.environ.get(PLATFORMS_VAR, ""))
    if len(candidates) != 1:
        ids = ", ".join(p.id for p in candidates) or "(none)"
        msg = f"name a platform, e.g. tox -e dev -- converge ID: this project has {ids}"
        raise ConfigError(msg)
    return candidates[0]


def _up(project: Project, platform: Platform) -> tuple[Kept, float | None]:
    """Return the platform's kept machine, starting one first if none is; and the start time."""
    place = slot(project, platform.id)
    if (kept := lifecycle.current(place, say)) is not None:
        return kept, None
    say(f"{platform.id}: start…")
    started = time.monotonic()
    kept = lifecycle.spawn(project, platform)
    return kept, time.monotonic() - started


def _how_to_use(kept: Kept) -> None:
    """Print how to log in to a kept machine, and how to destroy it."""
    direct = login_hint(kept.attach())
    say(f"{kept.platform}: log in: tox -e dev -- login {kept.platform}  (or {direct})")
    say(f"{kept.platform}: destroy: tox -e dev -- destroy {kept.platform}")


def up(project: Project, platform: Platform) -> int:
    """Start the platform's machine and keep it (nothing to do if it is kept already)."""
    kept, seconds = _up(project, platform)
    if seconds is None:
        say(f"{platform.id}: {kept.name} is kept already (up {kept.age()}): nothing to do")
    else:
        say(f"{platform.id}: kept {kept.name}: {kept.engine}, up in {seconds:.1f} s")
    _how_to_use(kept)
    return EXIT_OK


def recap(platform: Platform, run: PlaybookRun, what: str = "converge") -> list[str]:
    """Return the recap of one converge: counts, changed tasks with diffs, failures.

    The first line is the headline; the others are indented.
    """
    from pytest_modskel.plugin.converge import with_diff  # noqa: PLC0415 - pytest loads late

    counts = {status: len(run.with_status(status)) for status in COUNTED}
    figures = ", ".join(f"{n} {status}" for status, n in counts.items() if n or status == "changed")
    lines = [f"{platform.id}: {what}: {figures}"]
    lines += [with_diff(task) if task.diff else task.line() for task in run.with_status("changed")]
    lines += [task.line() for task in run.with_status("failed", "unreachable")]
    if run.returncode != 0 and not run.with_status("failed", "unreachable"):
        lines.append(f"  ansible-playbook exited {run.returncode}; its last lines:")
        lines += [f"    {line}" for line in run.output.splitlines()[-OUTPUT_LINES:]]
    return lines


def converge_once(project: Project, place: Slot, target: Target) -> PlaybookRun:
    """Converge the role on ``target`` once, in --diff mode."""
    work = place.converge_dir
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("results-*.jsonl"):
        old.unlink()
    inventory = work / "inventory.ini"
    inventory.write_text(f"{target.inventory_line()}\n", encoding="utf-8")
    return run_playbook(project, inventory, work, diff=True)


def _timed_converge(
    project: Project, platform: Platform, kept: Kept, what: str
) -> tuple[PlaybookRun, float]:
    """Converge, saying so first and printing the recap; return the run and its seconds."""
    say(f"{platform.id}: {what}…")
    started = time.monotonic()
    run = converge_once(project, slot(project, platform.id), kept.attach())
    seconds = time.monotonic() - started
    headline, *details = recap(platform, run, what)
    say(headline)
    for line in details:
        print(line, flush=True)
    return run, seconds


def _timings(platform: Platform, phases: dict[str, float | None]) -> None:
    """Print one line with each phase's time (phases that did not run are left out)."""
    figures = ", ".join(f"{k} {v:.1f} s" for k, v in phases.items() if v is not None)
    say(f"{platform.id}: {figures}")


def converge(project: Project, platform: Platform) -> int:
    """Converge the role on the kept machine (started first if none is); 1 if it failed."""
    kept, started = _up(project, platform)
    run, seconds = _timed_converge(project, platform, kept, "converge")
    slot(project, platform.id).save_runs(Runs(run, None))
    _timings(platform, {"start": started, "converge": seconds})
    return EXIT_FAILED if run.returncode else EXIT_OK


def idempotence(project: Project, platform: Platform) -> int:
    """Converge again; fail like the gate if anything changed (converge first if needed)."""
    from pytest_modskel.plugin.converge import (  # noqa: PLC0415 - pytest loads late
        Converge,
        idempotence_problem,
        opted_out_note,
    )

    kept, started = _up(project, platform)
    place = slot(project, platform.id)
    first, first_seconds = place.runs().converge, None
    if first is None or first.returncode != 0:
        first, first_seconds = _timed_converge(project, platform, kept, "converge")
        place.save_runs(Runs(first, None))
        if first.returncode != 0:
            return EXIT_FAILED
    second, seconds = _timed_converge(project, platform, kept, "idempotence")
    place.save_runs(Runs(first, second))
    _timings(platform, {"start": started, "converge": first_seconds, "idempotence": seconds})
    result = Converge(platform, kept.attach(), first, second)
    if (problem := idempotence_problem(result)) is not None:
        say(problem)
        return EXIT_FAILED
    say(f"{platform.id}: idempotent: the second converge changed nothing")
    if line := opted_out_note(result):
        say(line)
    return EXIT_OK


def _kept(project: Project, platform: Platform) -> Kept:
    """Return the platform's kept machine, or say how to start one."""
    kept = lifecycle.current(slot(project, platform.id), say)
    if kept is None:
        msg = f"{platform.id} has no kept machine: start one with tox -e dev -- up {platform.id}"
        raise ConfigError(msg)
    return kept


def verify(project: Project, platform: Platform, passed: list[str]) -> int:
    """Run the integration tests (or the selection passed) on the kept machine."""
    _kept(project, platform)
    if slot(project, platform.id).runs().converge is None:
        msg = (
            f"nothing converged on the kept machine of {platform.id} yet: "
            f"run tox -e dev -- converge {platform.id}"
        )
        raise ConfigError(msg)
    picked = any(Path(a.partition("::")[0]).exists() for a in passed if not a.startswith("-"))
    where = [] if picked else ["tests/integration"]
    cmd = [sys.executable, "-m", "pytest", *where, "--modskel-kept", "--platforms", platform.id]
    return subprocess.run([*cmd, *passed], cwd=project.root, check=False).returncode


def login(project: Project, platform: Platform, passed: list[str]) -> int:
    """Open a shell on the kept machine, or run the command passed; return its exit code."""
    target = _kept(project, platform).attach()
    return subprocess.run(login_command(target, passed or None), check=False).returncode


def list_kept(project: Project) -> int:
    """Print one line per kept machine, and kept containers that lost their record."""
    machines = lifecycle.kept_machines(project, say)
    for kept in machines:
        print(f"{kept.platform:<16} up {kept.age():<7} {kept.engine:<18} {kept.name}  "
              f"login: tox -e dev -- login {kept.platform}", flush=True)  # fmt: skip
    for name in lifecycle.orphans(project, {kept.name for kept in machines}):
        say(f"{name}: kept container without a record (its .modskel folder is gone): "
            "remove it with tox -e dev -- destroy --all")  # fmt: skip
    if not machines:
        say("no kept machine: tox -e dev -- up PLATFORM keeps one")
    return EXIT_OK


def destroy(project: Project, platform: Platform | None) -> int:
    """Destroy one platform's kept machine, or (``platform`` None) every one."""
    if platform is None:
        names = lifecycle.destroy_all(project, say)
        say(f"destroyed {len(names)} kept machine(s)")
        return EXIT_OK
    place = slot(project, platform.id)
    kept = lifecycle.current(place, say)
    if kept is None:
        say(f"{platform.id}: no kept machine: nothing to destroy")
        return EXIT_OK
    lifecycle.destroy(place, kept)
    say(f"{platform.id}: destroyed {kept.name} ({kept.engine})")
    return EXIT_OK


# The verbs that work on one platform, and those that also take what follows --.
ON_PLATFORM: dict[str, Callable[[Project, Platform], int]] = {
    "up": up, "converge": converge, "idempotence": idempotence, "destroy": destroy,
}  # fmt: skip
WITH_ARGUMENTS: dict[str, Callable[[Project, Platform, list[str]], int]] = {
    "verify": verify, "login": login,
}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run one verb of ``modskel dev``."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # tox stops with SIGTERM too
    project, passed = Project.find(), list(getattr(args, "passthrough", []))
    if passed and args.verb not in WITH_ARGUMENTS:
        msg = f"modskel dev {args.verb} takes no arguments after --, got {shlex.join(passed)!r}"
        raise ConfigError(msg)
    if args.all and args.verb != "destroy":
        msg = f"--all goes with destroy, not with {args.verb}: name a platform instead"
        raise ConfigError(msg)
    if args.verb == "list":
        return list_kept(project)
    if args.all:
        return destroy(project, None)
    platform = choose(project, args.platform)
    if args.verb in WITH_ARGUMENTS:
        return WITH_ARGUMENTS[args.verb](project, platform, passed)
    return ON_PLATFORM[args.verb](project, platform)


def arguments(parser: argparse.ArgumentParser) -> None:
    """Add the verb, the platform, and ``--all``."""
    parser.add_argument("verb", choices=VERBS, help="what to do (see the docs: dev-loop)")
    parser.add_argument("platform", nargs="?", help="a platform id (default: the only one)")
    parser.add_argument("--all", action="store_true", help="destroy: every kept machine")
    parser.epilog = "verify and login pass what follows -- to pytest, or run it as a command"


COMMAND = Command(
    "dev", "keep a machine to converge, verify and log in again and again (dev VERB ID)", run,
    arguments, passthrough=True,
)  # fmt: skip
