"""A collection: ``galaxy.yml`` at the root names it; roles live in ``roles/``.

Ansible finds a collection only below a folder named ``ansible_collections``
and then ``<namespace>/<name>``. The harness links the project there, in a
folder of its own (a tox env's, a test run's), never inside the author's tree,
and puts that folder first on ``ANSIBLE_COLLECTIONS_PATH``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import yaml

from pytest_modskel.errors import ConfigError
from pytest_modskel.kinds.base import Content, Kind, default_roles, joined


class CollectionKind(Kind):
    """The project is a collection; playbooks call its content ``namespace.name.<item>``."""

    id = "collection"
    marker = "galaxy.yml"
    summary = "an Ansible collection: modules, plugins and roles (Galaxy collection)"
    python_sources: ClassVar[tuple[str, ...]] = ("plugins",)

    def content(self, root: Path) -> Content:
        """Read ``namespace`` and ``name`` from ``galaxy.yml``."""
        try:
            data = yaml.safe_load((root / self.marker).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            msg = (
                f"galaxy.yml is not valid YAML{where} ({getattr(error, 'problem', error)}): fix it"
            )
            raise ConfigError(msg) from None
        missing = [key for key in ("namespace", "name") if not data.get(key)]
        if missing:
            msg = f"galaxy.yml lacks {', '.join(missing)}: add it (Galaxy needs it)"
            raise ConfigError(msg)
        return Content(namespace=str(data["namespace"]), name=str(data["name"]))

    def role_dirs(self, root: Path) -> list[Path]:
        """Every folder of ``roles/`` that holds tasks or metadata."""
        roles = root / "roles"
        found = sorted(p for p in roles.iterdir() if p.is_dir()) if roles.is_dir() else []
        return [p for p in found if (p / "tasks").is_dir() or (p / "meta").is_dir()]

    def installed(self, folder: Path, content: Content) -> Path:
        """``folder/collections/ansible_collections/<namespace>/<name>``."""
        return folder / "collections" / "ansible_collections" / content.namespace / content.name

    def ansible_paths(self, root: Path, folder: Path) -> dict[str, str]:  # noqa: ARG002
        """This collection first, then the collection paths already set (tox's)."""
        given = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
        return {
            "ANSIBLE_COLLECTIONS_PATH": joined(folder / "collections", given),
            "ANSIBLE_ROLES_PATH": joined(*default_roles()),
        }


KIND = CollectionKind()
