"""The module project under test: where it is, what it is called, its settings.

A project is the folder that holds ``galaxy.yml`` (a collection) or
``meta/main.yml`` (a role): its kind (:mod:`pytest_modskel.kinds`). Its settings are
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

from pytest_modskel.errors import ConfigError
from pytest_modskel.kinds import KINDS, Content, Kind, detect
from pytest_modskel.schema import check_table

MARKERS = tuple(kind.marker for kind in KINDS.values())
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


# The name tests used before collections: a role's namespace and name.
Role = Content


@dataclass(frozen=True)
class Project:
    """A module project: its root folder and the paths and settings the harness uses."""

    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """Return the project that holds ``start`` (default: the current folder)."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if detect(folder) is not None:
                return cls(folder)
        msg = (
            f"{here} is not inside a role or collection project "
            f"(no {' or '.join(MARKERS)} here or above): run modskel from the project's folder"
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

    def install(self, folder: Path) -> Path:
        """Link the project under its FQCN below ``folder``; return the link.

        tox puts ``.tox/<env>/roles`` first on ``ANSIBLE_ROLES_PATH`` (a role)
        or ``.tox/<env>/collections`` on ``ANSIBLE_COLLECTIONS_PATH`` (a
        collection), so ansible-lint and the tests resolve the converge
        playbook's names to this project. (A link inside the project's own tree
        would loop for every tool that follows links; tools leave ``.tox`` alone.)
        """
        return self.kind.install(self.root, folder)

    @cached_property
    def kind(self) -> Kind:
        """The project's kind: a collection if it has ``galaxy.yml``, else a role."""
        return detect(self.root) or KINDS["role"]

    @cached_property
    def content(self) -> Content:
        """The role's or collection's namespace and name, read from its metadata."""
        return self.kind.content(self.root)

    @property
    def role(self) -> Content:
        """The project's namespace and name (for a role: the role's; the older name)."""
        return self.content

    @property
    def role_dirs(self) -> list[Path]:
        """The folders of the project's roles (the project itself, for a role)."""
        return self.kind.role_dirs(self.root)

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
