"""What the plugin keeps on pytest's config, shared by its hooks and fixtures."""

from __future__ import annotations

import pytest

from pytest_modskel.platforms import Platform
from pytest_modskel.project import Project

ACTIVE = pytest.StashKey[bool]()  # whether the run is in a role project
PROJECT = pytest.StashKey[Project]()
PLATFORMS = pytest.StashKey[list[Platform]]()  # platforms of this run (--platforms, --hosts)
SELECTED = pytest.StashKey[list[Platform]]()  # platforms of the selected tests
VERIFIED = pytest.StashKey[dict[str, list[str]]]()  # platform id: tests that used its ``host``
NARROWED = pytest.StashKey[bool]()  # the user picked tests (-k, -m, node ids)


def platform_of(item: pytest.Item) -> Platform | None:
    """Return the platform a test item is parametrized with, if any."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("platform") if callspec is not None else None
