"""The module project under test: where it is, what it is called, its settings.

A project is the folder that holds ``meta/main.yml`` (a role). Its settings are
the ``[tool.modskel]`` table of its ``pyproject.toml``, which the author owns:
``copier update`` never rewrites that table.

.. code-block:: toml

    [tool.modskel.platforms.debian12]          # override one field of a platform
    image = "registry.example.com/debian:bookworm"

    [tool.modskel.platforms.lab-debian12]      # or add a platform of your own
    kind = "container"
    image = "localhost/lab/debian:12"

    [tool.modskel.vm]
    boot_timeout = 600                         # seconds to wait for ssh
    accel = "tcg"                              # auto, kvm or tcg

    [tool.modskel.task_coverage]
    fail_under = 90
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.errors import ConfigError
from pytest_modskel.schema import check_table

MARKERS = ("meta/main.yml",)
# [tool.modskel] keys and their types; each sub-table is checked the same way.
# readme_table = false: the README has no variables table (an adopted role's, at first).
# untested_platforms: Galaxy platform names meta/main.yml may claim beyond what is tested.
SETTINGS: dict[str, type] = {
    "platforms": dict,
    "vm": dict,
    "task_coverage": dict,
    "readme_table": bool,
    "untested_platforms": list,
}
VM_SETTINGS: dict[str, type] = {"boot_timeout": float, "accel": str, "memory": int, "cpus": int}
COVERAGE_SETTINGS: dict[str, type] = {"fail_under": float}


@dataclass(frozen=True)
class Role:
    """The role under test, as ``meta/main.yml`` names it."""

    namespace: str
    name: str

    @property
    def fqcn(self) -> str:
        """Return ``namespace.name``, the name playbooks use for the role."""
        return f"{self.namespace}.{self.name}"


@dataclass(frozen=True)
class Project:
    """A module project: its root folder and the paths and settings the harness uses."""

    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """Return the project that holds ``start`` (default: the current folder)."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if any((folder / marker).is_file() for marker in MARKERS):
                return cls(folder)
        msg = (
            f"{here} is not inside a role project (no {' or '.join(MARKERS)} here or above): "
            "run modskel from the role's folder"
        )
        raise ConfigError(msg)

    @property
    def platforms_file(self) -> Path:
        """The template-owned platform list (``tests/integration/platforms.yml``)."""
        return self.root / "tests" / "integration" / "platforms.yml"

    @property
    def converge_playbook(self) -> Path:
        """The playbook the harness converges (author-owned)."""
        return self.root / "tests" / "integration" / "converge.yml"

    @property
    def task_results(self) -> Path:
        """Where integration runs keep each platform's task results."""
        return self.root / ".task-coverage"

    @property
    def reports(self) -> Path:
        """Where coverage reports are written."""
        return self.root / "coverage-report"

    def link_role(self, folder: Path) -> Path:
        """Make ``folder/<namespace.name>`` point at the project; return the link.

        tox puts ``.tox/<env>/roles`` first on ``ANSIBLE_ROLES_PATH``, so
        ansible-lint resolves the converge playbook's ``namespace.name`` to this
        role. (A link inside the project's own tree would loop for every tool
        that follows links; tools leave ``.tox`` alone.)
        """
        link = folder / self.role.fqcn
        if link.resolve() != self.root.resolve():
            folder.mkdir(parents=True, exist_ok=True)
            link.unlink(missing_ok=True)
            link.symlink_to(self.root, target_is_directory=True)
        return link

    @cached_property
    def role(self) -> Role:
        """The role, read from ``meta/main.yml``."""
        meta = self.root / "meta" / "main.yml"
        info = (yaml.safe_load(meta.read_text(encoding="utf-8")) or {}).get("galaxy_info") or {}
        missing = [key for key in ("namespace", "role_name") if not info.get(key)]
        if missing:
            msg = f"meta/main.yml: galaxy_info lacks {', '.join(missing)}: add it (Galaxy needs it)"
            raise ConfigError(msg)
        return Role(namespace=str(info["namespace"]), name=str(info["role_name"]))

    @cached_property
    def settings(self) -> dict[str, Any]:
        """The ``[tool.modskel]`` table of ``pyproject.toml``, checked against its schema."""
        path = self.root / "pyproject.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except tomllib.TOMLDecodeError as error:
            msg = f"pyproject.toml is not valid TOML ({error}): fix it"
            raise ConfigError(msg) from None
        table: dict[str, Any] = data.get("tool", {}).get("modskel", {})
        where = "pyproject.toml [tool.modskel]"
        check_table(table, SETTINGS, where)
        check_table(table.get("vm", {}), VM_SETTINGS, f"{where}.vm")
        check_table(table.get("task_coverage", {}), COVERAGE_SETTINGS, f"{where}.task_coverage")
        return table

    def setting(self, section: str, key: str, default: Any = None) -> Any:  # noqa: ANN401
        """Return ``[tool.modskel.<section>] <key>``, or ``default``."""
        return self.settings.get(section, {}).get(key, default)
