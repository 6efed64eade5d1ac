"""Load the modskel harness (tests/harness) as a pytest plugin."""

from __future__ import annotations

pytest_plugins = ["harness.plugin"]
