"""What the harness tells the user at the end of a run: phase timings and notes.

Under pytest-xdist the figures are gathered in the workers, which run the
tests, and printed by the controller, which owns the terminal: each worker
sends its own in ``workeroutput`` and the controller merges them as workers
finish.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

TIMINGS = pytest.StashKey[dict[str, dict[str, float]]]()  # platform id -> phase -> seconds
NOTES = pytest.StashKey[list[str]]()
OUTPUT_KEY = "modskel_report"


def timings(config: pytest.Config) -> dict[str, dict[str, float]]:
    """Return this process's phase timings, by platform."""
    return config.stash.setdefault(TIMINGS, {})


def notes(config: pytest.Config) -> list[str]:
    """Return this process's notes for the end of the run."""
    return config.stash.setdefault(NOTES, [])


def note(config: pytest.Config, line: str) -> None:
    """Add a line to print at the end of the run (once, however many workers add it)."""
    if line not in notes(config):
        notes(config).append(line)


def progress(config: pytest.Config, platform_id: str, phase: str) -> None:
    """Say that a phase of a platform starts, so a long run does not look hung.

    On the terminal when this process owns it; from an xdist worker, on the
    standard error it shares with the controller.
    """
    line = f"modskel: {platform_id}: {phase}…"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not hasattr(config, "workerinput"):
        reporter.write_line(line)
    elif sys.__stderr__ is not None:
        sys.__stderr__.write(f"{line}\n")


def add_time(config: pytest.Config, platform_id: str, phase: str, seconds: float) -> None:
    """Add ``seconds`` to ``phase`` of ``platform_id``."""
    phases = timings(config).setdefault(platform_id, {})
    phases[phase] = phases.get(phase, 0.0) + seconds


@contextmanager
def timed(config: pytest.Config, platform_id: str, phase: str) -> Iterator[None]:
    """Add the time spent in the block to ``phase`` of ``platform_id``."""
    started = time.monotonic()
    try:
        yield
    finally:
        add_time(config, platform_id, phase, time.monotonic() - started)


def merge(config: pytest.Config, sent: dict[str, Any]) -> None:
    """Merge a worker's figures and notes into this (the controlling) process's."""
    for platform_id, phases in sent.get("timings", {}).items():
        for phase, seconds in phases.items():
            add_time(config, platform_id, phase, seconds)
    for line in sent.get("notes", []):
        note(config, line)


def lines(config: pytest.Config) -> list[str]:
    """Return the end-of-run lines: notes, then one timing line per platform."""
    out = [f"modskel: {line}" for line in notes(config)]
    for platform_id, phases in timings(config).items():
        figures = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in phases.items())
        out.append(f"modskel: {platform_id}: {figures}")
    return out


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker, send the figures and notes to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[OUTPUT_KEY] = {
            "timings": timings(session.config),
            "notes": notes(session.config),
        }


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:  # noqa: ANN401, ARG001 - xdist's node
    """In the xdist controller, merge what a finished worker sent."""
    sent = getattr(node, "workeroutput", {}).get(OUTPUT_KEY)
    if sent:
        merge(node.config, sent)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the notes and how long each platform's phases took."""
    for line in lines(terminalreporter.config):
        terminalreporter.write_line(line)
