"""What a ``modskel`` subcommand is: a name, a one-line summary, its options, its work."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


def _no_arguments(_parser: argparse.ArgumentParser) -> None:
    """Add nothing (a command without options)."""


@dataclass(frozen=True)
class Command:
    """One subcommand of ``modskel``.

    Attributes:
        name: the subcommand (``modskel NAME``).
        summary: one line for ``--help`` and the docs.
        run: does the work; returns the exit code, or raises a ModskelError.
        arguments: adds the subcommand's options to its parser.
        passthrough: whether what follows ``--`` is handed to ``run`` as
            ``args.passthrough`` (else it is refused).
    """

    name: str
    summary: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    passthrough: bool = False
