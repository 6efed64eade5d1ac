"""The harness's user-facing error."""

from __future__ import annotations


class HarnessError(RuntimeError):
    """A problem the user can fix; the message says what is wrong and what to do."""
