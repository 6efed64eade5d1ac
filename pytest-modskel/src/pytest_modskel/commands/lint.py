"""``modskel lint`` runs every linter and reports each; ``modskel fix`` applies their fixes.

tox stops an env at its first failing command, so a ruff finding would hide
every yamllint and ansible-lint finding. ``lint`` runs the tools of
:data:`TOOLS` side by side, prints each one's findings in a fixed order, and
fails if any failed. ``fix`` runs the fixers in turn and lists the files they
changed. Template-owned files are generated in the tools' own formatting, so
a fix touches only what the author wrote.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pytest_modskel.commands.base import Command
from pytest_modskel.commands.conflicts import leftovers, project_files
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK, ConfigError, SetupError
from pytest_modskel.project import Project


@dataclass(frozen=True)
class Tool:
    """A linter: how it checks and, if it can, how it fixes (and its exit codes when fixed)."""

    name: str
    check: tuple[str, ...]
    fix: tuple[str, ...] = ()
    fixed: frozenset[int] = frozenset({0})


@dataclass(frozen=True)
class Outcome:
    """What one tool said."""

    tool: Tool
    returncode: int
    output: str
    seconds: float


TOOLS = (
    Tool("ruff", ("ruff", "check", "."), ("ruff", "check", "--fix", ".")),
    Tool("ruff-format", ("ruff", "format", "--check", "--diff", "."), ("ruff", "format", ".")),
    Tool("yamllint", ("yamllint", "--strict", ".")),
    # ansible-lint --fix exits 8 when it fixed everything it found (RC.FIXED_VIOLATIONS).
    # --offline: `modskel collections` (tox's commands_pre) installed the collections
    # and linked the role; ansible-lint would otherwise ask Galaxy on every run.
    Tool(
        "ansible-lint",
        ("ansible-lint", "--offline"),
        ("ansible-lint", "--offline", "--fix"),
        frozenset({0, 8}),
    ),
)
BY_NAME = {tool.name: tool for tool in TOOLS}


def executable(command: tuple[str, ...]) -> list[str]:
    """Return ``command`` with its program's full path, or say how to get it."""
    found = shutil.which(command[0])
    if found is None:
        msg = f"{command[0]} not found on PATH: run it through tox (`tox -e lint` installs it)"
        raise SetupError(msg)
    return [found, *command[1:]]


def run_check(tool: Tool, root: Path) -> Outcome:
    """Run one tool's check, capturing what it prints."""
    started = time.monotonic()
    proc = subprocess.run(
        executable(tool.check), cwd=root, capture_output=True, text=True, check=False
    )
    output = (proc.stdout + proc.stderr).strip()
    return Outcome(tool, proc.returncode, output, time.monotonic() - started)


def no_conflicts(root: Path, command: str) -> bool:
    """Print conflict leftovers of an update; return whether there are none."""
    found = leftovers(root)
    for line in found:
        print(line)
    if found:
        print(f"{command}: resolve the {len(found)} update conflict(s) first; nothing else ran")
    return not found


def summary(outcomes: list[Outcome]) -> str:
    """Return the closing line: which tools failed and what to run next."""
    failed = [o.tool for o in outcomes if o.returncode != 0]
    if not failed:
        return f"lint: {', '.join(o.tool.name for o in outcomes)} passed"
    names = ", ".join(tool.name for tool in failed)
    line = f"lint: {len(failed)} of {len(outcomes)} tools failed: {names}"
    if fixable := [t.name for t in failed if t.fix]:
        line += f"; `tox -e fix` applies what {', '.join(fixable)} can fix, then rerun"
    return line


def lint(args: argparse.Namespace) -> int:
    """Run the selected tools side by side; print each one's findings, then a summary."""
    root = Project.find().root
    if not no_conflicts(root, "lint"):
        return EXIT_FAILED
    tools = selected(args.tools)
    for tool in tools:
        executable(tool.check)  # a missing tool is said before anything runs
    with ThreadPoolExecutor(max_workers=len(tools)) as pool:
        outcomes = list(pool.map(lambda tool: run_check(tool, root), tools))
    for outcome in outcomes:
        verdict = "passed" if outcome.returncode == 0 else f"failed (exit {outcome.returncode})"
        print(f"--- {' '.join(outcome.tool.check)}: {verdict} in {outcome.seconds:.1f} s")
        if outcome.output:
            print(outcome.output)
    print(summary(outcomes))
    return EXIT_OK if all(o.returncode == 0 for o in outcomes) else EXIT_FAILED


def fingerprints(root: Path) -> dict[Path, str]:
    """Return a hash of every project file (tool and cache folders left out)."""
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in project_files(root)}


def fix(_args: argparse.Namespace) -> int:
    """Run every fixer in turn; list the files they changed and what is left to do."""
    root = Project.find().root
    if not no_conflicts(root, "fix"):
        return EXIT_FAILED
    fixers = [tool for tool in TOOLS if tool.fix]
    commands = [executable(tool.fix) for tool in fixers]
    before = fingerprints(root)
    left = []
    for tool, command in zip(fixers, commands, strict=True):
        print(f"--- {' '.join(tool.fix)}", flush=True)
        if subprocess.run(command, cwd=root, check=False).returncode not in tool.fixed:
            left.append(tool.name)
    after = fingerprints(root)
    changed = sorted(str(p.relative_to(root)) for p in before.keys() | after.keys()
                     if before.get(p) != after.get(p))  # fmt: skip
    print(f"fix: changed {', '.join(changed)}" if changed else "fix: nothing to change")
    if left:
        print(f"fix: problems left that {', '.join(left)} cannot fix: edit by hand, "
              "then `tox -e lint`")  # fmt: skip
    return EXIT_FAILED if left else EXIT_OK


def _lint_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "tools", nargs="*", metavar="TOOL", help=f"only these ({', '.join(BY_NAME)}); default: all"
    )


def selected(names: list[str]) -> list[Tool]:
    """Return the tools named (all when none is), or say which name is unknown."""
    if unknown := [name for name in names if name not in BY_NAME]:
        msg = f"unknown lint tool {unknown[0]!r}: choose from {', '.join(BY_NAME)}"
        raise ConfigError(msg)
    return [BY_NAME[name] for name in names] or list(TOOLS)


COMMANDS = (
    Command("lint", "run every linter (ruff, yamllint, ansible-lint) and report all", lint,
            _lint_arguments),
    Command("fix", "apply ruff's and ansible-lint's fixes; list the files changed", fix),
)  # fmt: skip
