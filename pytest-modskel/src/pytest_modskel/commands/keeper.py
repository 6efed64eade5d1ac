"""The keeper: one process per kept machine, started by ``modskel dev up`` (or ``--keep``).

``python -m pytest_modskel.commands.keeper ROOT PLATFORM TOKEN ORIGIN`` starts
the platform's machine with its driver's own ``start`` context, installs Python
on it, writes the record (:class:`~pytest_modskel.commands.dev.state.Kept`),
then waits. SIGTERM or SIGINT make it leave the context, so the driver cleans
up as after any test run (a container removed; a VM powered off, qemu killed,
its overlay deleted), and delete the record. So does the loss of its record
(``.modskel/`` deleted, or another keeper started for the platform). It runs
in a session of its own: a Ctrl-C in the terminal never reaches it. What it
prints goes to ``keeper.log`` in the machine's folder; its last line on failure
is the error ``modskel dev up`` reports.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pytest_modskel import drivers
from pytest_modskel.commands.dev.state import Kept, slot
from pytest_modskel.drivers.base import Session
from pytest_modskel.drivers.kept import describe, run_id
from pytest_modskel.errors import EXIT_OK, ModskelError
from pytest_modskel.platforms import Platform, load, select
from pytest_modskel.plugin import VM_VARIABLES
from pytest_modskel.plugin.fixtures import ensure_python
from pytest_modskel.project import Project

WATCH = 1.0  # seconds between looks at the record: without it, the machine goes


def _stop(signum: int, _frame: object) -> NoReturn:
    """Turn the first SIGTERM or SIGINT into KeyboardInterrupt; ignore later ones."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print(f"stopping on signal {signum}", flush=True)
    raise KeyboardInterrupt


def _pause() -> None:
    """Wait a moment between looks at the record (a signal ends the wait at once)."""
    time.sleep(WATCH)


def keep(project: Project, platform: Platform, token: str, origin: str) -> None:
    """Start ``platform``'s machine, write its record, and keep it until a signal."""
    place = slot(project, platform.id)
    session = Session(project.role.name, run_id(project.root), token)
    driver = drivers.driver(platform)
    driver.preflight([platform])
    try:
        with driver.start(platform, place.workdir, session) as target:
            ready = ensure_python(target, platform)
            kept = Kept(platform.id, platform.kind, os.getpid(), time.time(),
                        session.name(platform.id), origin, describe(ready))  # fmt: skip
            place.write(kept)
            print(f"kept {kept.name}: {kept.target}", flush=True)
            while (found := place.read()) is not None and found.keeper == kept.keeper:
                _pause()
            print("the record is gone (.modskel/machines deleted?): removing the machine")
    finally:
        if (found := place.read()) is not None and found.keeper == os.getpid():
            place.record.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    """Keep one machine: ``ROOT PLATFORM TOKEN ORIGIN``; return 0 once it is removed."""
    root, platform_id, token, origin = argv if argv is not None else sys.argv[1:]
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        project = Project(Path(root))
        for key, variable in VM_VARIABLES.items():
            if (value := project.setting("vm", key)) is not None:
                os.environ.setdefault(variable, str(value))
        (platform,) = select(load(project), platform_id)
        keep(project, platform, token, origin)
    except KeyboardInterrupt:
        print("removed the machine", flush=True)
    except ModskelError as error:
        print(f"{platform_id}: {error}", flush=True)
        return error.exit_code
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover - run as a process; main() is tested in-process
    sys.exit(main())
