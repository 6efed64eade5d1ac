"""Module kinds: what a project is (a role, a collection) and how the harness treats it.

Adding a kind: a module with a ``KIND`` (a :class:`~.base.Kind`), an entry
here, a test, a docs row (``docs/harness.md`` lists :data:`KINDS`).
"""

from __future__ import annotations

from pathlib import Path

from pytest_modskel.kinds import collection, role
from pytest_modskel.kinds.base import Content, Kind

# In the order a folder is tested: a collection's roles have meta/main.yml
# too, so a folder with galaxy.yml is a collection whatever else it holds.
KINDS: dict[str, Kind] = {kind.id: kind for kind in (collection.KIND, role.KIND)}


def detect(folder: Path) -> Kind | None:
    """Return the kind whose marker file ``folder`` holds, or None."""
    return next((kind for kind in KINDS.values() if (folder / kind.marker).is_file()), None)


__all__ = ["KINDS", "Content", "Kind", "detect"]
