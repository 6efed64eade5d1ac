"""Target platforms: the template's list, the author's overrides, and selection.

The list comes from ``tests/integration/platforms.yml`` (rendered by the
template from the ``platforms`` answer). The author may override any field of
a listed platform, or add platforms, in ``[tool.modskel.platforms.<id>]`` of
``pyproject.toml``. Every entry is checked against :data:`FIELDS`: an unknown
key or a wrong type is one line naming the file, the platform and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import yaml

from pytest_modskel.errors import ConfigError
from pytest_modskel.project import Project
from pytest_modskel.schema import check_table

# How to install packages, by `bootstrap` key (the platform's package manager).
INSTALL: dict[str, str] = {
    "apt": (
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y -qq --no-install-recommends {packages} >/dev/null"
        " && apt-get clean && rm -rf /var/lib/apt/lists/*"
    ),
    "dnf": "dnf install -y -q {packages} && dnf clean all",
}
# What a prepared container image adds to the platform's image: Python for
# Ansible; ps, ss and sudo for testinfra's process, socket and service checks
# and for roles that become another user; systemd when the platform runs it.
PREPARE: dict[str, tuple[str, ...]] = {
    "apt": ("python3", "procps", "iproute2", "sudo"),
    "dnf": ("python3", "procps-ng", "iproute", "sudo"),
}
SYSTEMD: dict[str, tuple[str, ...]] = {"apt": ("systemd", "systemd-sysv"), "dnf": ("systemd",)}


@dataclass(frozen=True)
class Platform:
    """One platform the role is tested on.

    Attributes:
        id: pytest id, used to select it (``--platforms debian12``).
        name: display name.
        image: container image; for a VM, a disk image path or URL (qcow2 or
            raw) or ``built:<suite>`` (built offline by ``modskel image``).
        bootstrap: the package manager (a key of INSTALL): how the image is prepared.
        kind: the driver that starts it: ``container``, ``vm``, ``ssh``, or a
            kind a third-party driver registers.
        systemd: whether systemd runs as PID 1, so service checks apply.
        kernel: for a VM disk without a boot loader, the kernel to boot directly.
        initrd: the initrd that goes with ``kernel``.
        key: for ``ssh``, the private key that logs in (else ssh's configuration).
        prepare: for containers, whether to build the prepared image (Python,
            procps, iproute2, sudo, and systemd if asked) from ``image`` first.
    """

    id: str
    image: str
    name: str = ""
    bootstrap: str = "apt"
    kind: str = "container"
    systemd: bool = False
    kernel: str = ""
    initrd: str = ""
    key: str = ""
    prepare: bool = True

    def install_command(self, *packages: str) -> str:
        """Return the shell command that installs ``packages`` on this platform."""
        if self.bootstrap not in INSTALL:
            known = ", ".join(sorted(INSTALL))
            msg = f"platform {self.id} has unknown bootstrap {self.bootstrap!r}: use one of {known}"
            raise ConfigError(msg)
        return INSTALL[self.bootstrap].format(packages=" ".join(packages))

    @property
    def bootstrap_command(self) -> str:
        """Return the shell command that installs Python on this platform."""
        return self.install_command("python3")

    @property
    def prepare_command(self) -> str:
        """Return the command that prepares a container image of this platform."""
        packages = PREPARE.get(self.bootstrap, ())
        packages += SYSTEMD.get(self.bootstrap, ()) if self.systemd else ()
        return self.install_command(*packages)


FIELDS: dict[str, type] = {f.name: bool if f.type == "bool" else str for f in fields(Platform)}


def parse(row: object, where: str) -> Platform:
    """Check one platform entry against :data:`FIELDS` and build it."""
    label = f"{where}: platform {row.get('id', '?')}" if isinstance(row, dict) else where
    check_table(row, FIELDS, label)
    assert isinstance(row, dict)  # noqa: S101 - check_table proved it
    missing = [key for key in ("id", "image") if not row.get(key)]
    if missing:
        msg = f"{label}: missing {', '.join(missing)}: every platform needs an id and an image"
        raise ConfigError(msg)
    return Platform(**{"name": row["id"], **row})


def merge(listed: list[Platform], overrides: dict[str, Any], where: str) -> list[Platform]:
    """Apply ``[tool.modskel.platforms.<id>]`` tables: change listed platforms, add new ones."""
    by_id = {p.id: p for p in listed}
    for platform_id, table in overrides.items():
        check_table(table, FIELDS, f"{where}: platform {platform_id}")
        base = by_id.get(platform_id)
        row = {**(vars(base) if base else {}), **table, "id": platform_id}
        by_id[platform_id] = parse(row, where)
    return list(by_id.values())


def load(project: Project) -> list[Platform]:
    """Return the project's platforms: the listed ones with the author's overrides."""
    path = project.platforms_file
    where = str(path.relative_to(project.root))
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else []
    if not isinstance(rows, list):
        msg = f"{where}: expected a list of platforms, found {type(rows).__name__}: fix the file"
        raise ConfigError(msg)
    listed = [parse(row, where) for row in rows]
    overrides = project.settings.get("platforms", {})
    return merge(listed, overrides, "pyproject.toml [tool.modskel.platforms]")


def select(platforms: list[Platform], wanted: str | None) -> list[Platform]:
    """Keep the platforms named in ``wanted`` (comma-separated ids), or all of them."""
    if not wanted:
        return platforms
    by_id = {p.id: p for p in platforms}
    ids = [w.strip() for w in wanted.split(",") if w.strip()]
    if unknown := [i for i in ids if i not in by_id]:
        msg = (
            f"unknown platform {', '.join(unknown)}: choose from {', '.join(by_id) or '(none)'} "
            "(tests/integration/platforms.yml and [tool.modskel.platforms] in pyproject.toml)"
        )
        raise ConfigError(msg)
    return [by_id[i] for i in ids]
