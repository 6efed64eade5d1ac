"""Read the support matrix in ``matrix/``: the single source of platforms and versions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    import datetime as dt

MATRIX = Path(__file__).resolve().parent.parent / "matrix"
# A series or Python this close to its end of life is reported as near it.
NEAR_EOL_DAYS = 90


def load(axis: str) -> Any:  # noqa: ANN401 - YAML data
    """Return the parsed ``matrix/<axis>.yml``."""
    return yaml.safe_load((MATRIX / f"{axis}.yml").read_text(encoding="utf-8"))


def pythons() -> list[str]:
    """Return the controller Pythons of ``matrix/python.yml``, oldest first."""
    return [str(row["version"]) for row in load("python")]


def platform(platform_id: str) -> dict[str, Any]:
    """Return one platform's row; the error lists the known ids."""
    rows: list[dict[str, Any]] = load("platforms")
    for row in rows:
        if row["id"] == platform_id:
            return row
    known = ", ".join(r["id"] for r in rows)
    msg = f"unknown platform {platform_id!r}: choose from {known} (matrix/platforms.yml)"
    raise KeyError(msg)


def eol_status(eol: dt.date | None, today: dt.date, near_days: int = NEAR_EOL_DAYS) -> str:
    """Say where ``eol`` stands from ``today``: past, near (within ``near_days``) or nothing.

    ``reached end of life on 2026-11-30`` on that day and after, ``reaches end
    of life on 2027-02-01, in 63 days`` within ``near_days``; an empty string
    when it is further away or unknown (``None``).
    """
    if eol is None:
        return ""
    if eol <= today:
        return f"reached end of life on {eol}"
    left = (eol - today).days
    return f"reaches end of life on {eol}, in {left} days" if left <= near_days else ""


def maintained_minimum(
    rows: list[dict[str, Any]], today: dt.date, near_days: int = NEAR_EOL_DAYS
) -> str:
    """Return the oldest series with more than ``near_days`` of maintenance left.

    A series of unknown end of life (``eol: null``, just added) counts as
    maintained; with none left, the newest series is returned.
    """
    for row in rows:
        if not eol_status(row.get("eol"), today, near_days):
            return str(row["version"])
    return str(rows[-1]["version"])
