"""A standalone role: ``meta/main.yml`` at the root names it (``galaxy_info``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import yaml

from pytest_modskel.errors import ConfigError
from pytest_modskel.kinds.base import Content, Kind, default_roles, joined


class RoleKind(Kind):
    """The project is one role; playbooks call it ``namespace.role_name``."""

    id = "role"
    marker = "meta/main.yml"
    summary = "one Ansible role (Galaxy role import)"
    python_sources: ClassVar[tuple[str, ...]] = ("filter_plugins",)

    def content(self, root: Path) -> Content:
        """Read ``galaxy_info.namespace`` and ``role_name`` from ``meta/main.yml``."""
        meta = root / self.marker
        info = (yaml.safe_load(meta.read_text(encoding="utf-8")) or {}).get("galaxy_info") or {}
        missing = [key for key in ("namespace", "role_name") if not info.get(key)]
        if missing:
            msg = f"meta/main.yml: galaxy_info lacks {', '.join(missing)}: add it (Galaxy needs it)"
            raise ConfigError(msg)
        return Content(namespace=str(info["namespace"]), name=str(info["role_name"]))

    def role_dirs(self, root: Path) -> list[Path]:
        """The project is the role."""
        return [root]

    def installed(self, folder: Path, content: Content) -> Path:
        """``folder/roles/<namespace.name>``."""
        return folder / "roles" / content.fqcn

    def ansible_paths(self, root: Path, folder: Path) -> dict[str, str]:
        """The role by its FQCN first, then the project's roles/ (dependencies), then defaults.

        ``ansible-galaxy install -r requirements.yml -p roles`` puts dependencies in roles/.
        """
        extra = root / "roles"
        return {
            "ANSIBLE_ROLES_PATH": joined(
                folder / "roles", extra if extra.is_dir() else "", *default_roles()
            ),
            "ANSIBLE_FILTER_PLUGINS": str(root / "filter_plugins"),
        }


KIND = RoleKind()
