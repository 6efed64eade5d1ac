"""Report what ``copier update`` would change; exit 1 when the project is behind.

``modskel update-check`` (``tox -e update-check``) asks copier itself whether a
newer release of the template exists (``copier check-update --output-format
json``). When one does, it runs the real ``copier update`` in a throw-away
clone of the last commit (``--pretend`` lists no files for updates) and prints
each file it would add, change or delete, and each conflict it would leave.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_modskel.commands.base import Command
from pytest_modskel.commands.conflicts import leftovers
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK, SetupError
from pytest_modskel.project import Project
from pytest_modskel.text import last_line

GIT = ("git", "-c", "user.name=update-check", "-c", "user.email=update-check@invalid")
COPIER = (sys.executable, "-m", "copier")
STATUS = {"M": "change", "A": "add", "D": "delete", "?": "add", "R": "rename"}


def run_tool(*cmd: str, cwd: Path) -> str:
    """Run ``cmd`` and return its output; raise one line when it fails."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # Name the command by what it does: python's arguments, or git's subcommand.
        words = cmd[1:4] if cmd[0] == sys.executable else [w for w in cmd if w not in GIT[1:]][:3]
        msg = f"`{' '.join(words)} …` failed: {last_line(done.stderr or done.stdout)}"
        raise SetupError(msg)
    return done.stdout


def check_update(root: Path) -> dict[str, object]:
    """Return copier's own answer: update_available, current_version, latest_version."""
    answer = run_tool(*COPIER, "check-update", "--output-format", "json", cwd=root)
    return dict(json.loads(answer.strip().splitlines()[-1]))


def describe(status: str) -> list[str]:
    """Turn ``git status --porcelain`` lines into ``  change  path`` rows."""
    return [
        f"{STATUS.get(line[:2].strip()[:1], 'change'):>8}  {line[3:]}"
        for line in status.splitlines()
    ]


def trial_update(root: Path) -> list[str]:
    """Update a throw-away clone of HEAD to the newest release; describe each changed file."""
    with tempfile.TemporaryDirectory(prefix="update-check-") as tmp:
        clone = Path(tmp) / "project"
        run_tool(*GIT, "clone", "-q", str(root), str(clone), cwd=root)
        run_tool(*COPIER, "update", "--defaults", "--trust", cwd=clone)
        status = run_tool("git", "status", "--porcelain", "--untracked-files=all", cwd=clone)
        return describe(status) + [f"conflict  {where}" for where in leftovers(clone)]


def run(_args: argparse.Namespace) -> int:
    """Print how the project stands against its template; return the exit code."""
    root = Project.find().root
    state = check_update(root)
    current, latest = state["current_version"], state["latest_version"]
    if not state["update_available"]:
        print(f"up to date: generated from {current}, the newest release is {latest}")
        return EXIT_OK
    changes = trial_update(root)
    print(f"behind: generated from {current}, the template is at {latest}.")
    print(f"`copier update` would change {len(changes)} file(s):")
    print("\n".join(changes) or "  (none: only the recorded version moves)")
    print("To update: commit your work, run `copier update --trust`, then `tox -e lint,unit`.")
    return EXIT_FAILED


COMMAND = Command("update-check", "report what `copier update` would change", run)
