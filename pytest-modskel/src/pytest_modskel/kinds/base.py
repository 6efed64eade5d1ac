"""What a module kind is: how the harness finds, names, installs and reads a project.

A kind is one module here plus one entry in :data:`pytest_modskel.kinds.KINDS`
(``docs/harness.md`` lists them). The harness asks the kind of a project
four things: its name (:class:`Content`), the folders of its roles, the
Python folders whose coverage counts, and how Ansible finds the content
under its fully qualified name while it runs (a link and a few variables).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

# Where Ansible looks for roles by default (`ansible-galaxy role install` puts them there).
DEFAULT_ROLES = ("~/.ansible/roles", "/usr/share/ansible/roles", "/etc/ansible/roles")


@dataclass(frozen=True)
class Content:
    """A role or a collection, as its metadata names it."""

    namespace: str
    name: str

    @property
    def fqcn(self) -> str:
        """Return ``namespace.name``, the name playbooks use."""
        return f"{self.namespace}.{self.name}"


def link(link: Path, target: Path) -> Path:
    """Make ``link`` point at ``target`` (a folder), replacing another link; return it."""
    if link.resolve() != target.resolve():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(target, target_is_directory=True)
    return link


def default_roles() -> list[str]:
    """Return Ansible's default role folders, expanded."""
    return [str(Path(p).expanduser()) for p in DEFAULT_ROLES]


class Kind(ABC):
    """A module kind: a role, a collection."""

    id: ClassVar[str]
    marker: ClassVar[str]  # the file at a project's root that says it is of this kind
    summary: ClassVar[str]
    python_sources: ClassVar[tuple[str, ...]]  # folders whose Python coverage counts

    @abstractmethod
    def content(self, root: Path) -> Content:
        """Return the namespace and name the project's metadata states."""

    @abstractmethod
    def role_dirs(self, root: Path) -> list[Path]:
        """Return the folders of the project's roles."""

    @abstractmethod
    def installed(self, folder: Path, content: Content) -> Path:
        """Return where :meth:`install` links the project under ``folder``."""

    @abstractmethod
    def ansible_paths(self, root: Path, folder: Path) -> dict[str, str]:
        """Return the variables that make Ansible find the project installed in ``folder``."""

    def install(self, root: Path, folder: Path) -> Path:
        """Link the project under its FQCN below ``folder``; return the link."""
        return link(self.installed(folder, self.content(root)), root)

    def ansible_env(self, root: Path, folder: Path) -> dict[str, str]:
        """Install the project below ``folder``; return the variables for Ansible."""
        self.install(root, folder)
        return self.ansible_paths(root, folder)


def joined(*paths: object) -> str:
    """Join search paths with the OS separator, leaving out empty ones."""
    return os.pathsep.join(str(p) for p in paths if p)
