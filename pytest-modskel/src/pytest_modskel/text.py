"""Small text helpers for one-line messages."""

from __future__ import annotations


def last_line(text: str, default: str = "no output", limit: int = 300) -> str:
    r"""Return the last non-empty line of ``text`` (at most ``limit`` characters).

    >>> last_line("warning\nerror: disk full\n\n")
    'error: disk full'
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:limit] if lines else default
