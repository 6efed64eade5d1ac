"""Read the support matrix in ``matrix/``: the single source of platforms and versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MATRIX = Path(__file__).resolve().parent.parent / "matrix"


def load(axis: str) -> Any:  # noqa: ANN401 - YAML data
    """Return the parsed ``matrix/<axis>.yml``."""
    return yaml.safe_load((MATRIX / f"{axis}.yml").read_text(encoding="utf-8"))


def platform(platform_id: str) -> dict[str, Any]:
    """Return one platform's row; the error lists the known ids."""
    rows: list[dict[str, Any]] = load("platforms")
    for row in rows:
        if row["id"] == platform_id:
            return row
    known = ", ".join(r["id"] for r in rows)
    msg = f"unknown platform {platform_id!r}: choose from {known} (matrix/platforms.yml)"
    raise KeyError(msg)
