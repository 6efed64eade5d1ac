"""The ``modskel`` command line: one parser, one error handler, consistent exit codes.

Subcommands come from :data:`COMMANDS`, so ``modskel --help`` and the docs
list exactly what exists. Every ModskelError becomes one line on stderr and
its exit code (see :mod:`pytest_modskel.errors`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pytest_modskel import __version__
from pytest_modskel.commands import (
    adopt,
    build,
    changelog,
    collections,
    conflicts,
    dev,
    docs,
    lint,
    machines,
    sanity,
    task_coverage,
    template_update,
    update_check,
)
from pytest_modskel.commands.base import Command
from pytest_modskel.errors import EXIT_INTERRUPTED, ModskelError

COMMANDS: dict[str, Command] = {
    command.name: command
    for command in sorted(
        (
            adopt.COMMAND,
            build.COMMAND,
            collections.COMMAND,
            conflicts.COMMAND,
            dev.COMMAND,
            docs.COMMAND,
            sanity.COMMAND,
            task_coverage.COMMAND,
            template_update.COMMAND,
            update_check.COMMAND,
            *changelog.COMMANDS,
            *lint.COMMANDS,
            *machines.COMMANDS,
        ),
        key=lambda c: c.name,
    )
}


def parser() -> argparse.ArgumentParser:
    """Build the parser, one subparser per registered command."""
    top = argparse.ArgumentParser(
        prog="modskel",
        description="Commands of the modskel test harness for Ansible roles.",
        epilog="exit codes: 0 ok, 1 a check failed, 2 bad input, 3 something missing here",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subs = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        sub = subs.add_parser(command.name, help=command.summary, description=command.summary)
        command.arguments(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; turn a ModskelError into one line and its exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    cut = words.index("--") if "--" in words else len(words)
    args = parser().parse_args(words[:cut])
    if COMMANDS[args.command].passthrough:  # what follows -- is the command's, verbatim
        args.passthrough = words[cut + 1 :]
    elif cut < len(words):
        args = parser().parse_args(words)
    try:
        return COMMANDS[args.command].run(args)
    except ModskelError as error:
        print(f"modskel {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"modskel {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


__all__ = ["COMMANDS", "main", "parser"]
