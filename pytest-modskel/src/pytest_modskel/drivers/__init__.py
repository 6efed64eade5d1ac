"""Drivers, by platform kind: how the harness gets a machine to test.

Drivers are found through the ``modskel.drivers`` entry-point group, so a
package can add a kind without touching modskel (see :mod:`.base`). modskel's
own drivers are registered the same way:

- ``container``: podman or docker (:mod:`.container`);
- ``vm``: qemu, on a throw-away overlay (:mod:`.qemu`);
- ``ssh``: a machine you already have (:mod:`.ssh`).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from pytest_modskel.drivers.base import Driver, Session, Target
from pytest_modskel.errors import ConfigError
from pytest_modskel.platforms import Platform

GROUP = "modskel.drivers"


@cache
def registry() -> dict[str, Driver]:
    """Return every registered driver by kind, in name order (loaded once)."""
    found: dict[str, Driver] = {}
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        loaded = point.load()
        if not isinstance(loaded, Driver):
            msg = (
                f"entry point {point.name} = {point.value} in {GROUP} is a "
                f"{type(loaded).__name__}, not a pytest_modskel Driver: fix that package"
            )
            raise ConfigError(msg)
        found[point.name] = loaded
    return found


def driver(platform: Platform) -> Driver:
    """Return the driver of ``platform``'s kind."""
    drivers = registry()
    if platform.kind not in drivers:
        msg = (
            f"platform {platform.id} has unknown kind {platform.kind!r}: "
            f"use one of {', '.join(drivers)}, or install the package that provides it"
        )
        raise ConfigError(msg)
    return drivers[platform.kind]


def preflight(platforms: list[Platform]) -> None:
    """Run every driver's pre-flight check on the platforms of its kind."""
    kinds = {p.kind: driver(p) for p in platforms}
    for kind, found in kinds.items():
        found.preflight([p for p in platforms if p.kind == kind])


def remove_live() -> None:
    """Tear down every machine this process started (Ctrl-C, SIGTERM)."""
    for found in registry().values():
        found.remove_live()


__all__ = ["GROUP", "Driver", "Session", "Target", "driver", "preflight", "registry", "remove_live"]
