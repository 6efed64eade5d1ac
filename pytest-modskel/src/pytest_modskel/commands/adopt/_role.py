"""The role being adopted: its folder, its ``meta/main.yml``, its git state.

Every check here runs before anything is written, and each failure is one line
saying what is wrong and what to do (``modskel adopt`` prints it and exits 2).
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.errors import ConfigError

META = "meta/main.yml"
TASKS = ("tasks/main.yml", "tasks/main.yaml")


@dataclass(frozen=True)
class Role:
    """An existing role: where it is and what its ``meta/main.yml`` says.

    Attributes:
        root: the role's folder (a git work tree).
        meta: the parsed ``meta/main.yml`` (empty when the role has none).
    """

    root: Path
    meta: dict[str, Any]

    @property
    def galaxy_info(self) -> dict[str, Any]:
        """The ``galaxy_info`` mapping (empty when absent)."""
        info = self.meta.get("galaxy_info")
        return info if isinstance(info, dict) else {}


def git(root: Path, *args: str) -> str:
    """Run git in ``root``; return its output, or None-like '' when git fails."""
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = (
            f"{root}: not a git work tree: run `git init && git add -A && git commit "
            "-m 'before modskel'` first, so the adoption is one reviewable change"
        )
        raise ConfigError(msg)
    return done.stdout


def load(root: Path) -> Role:
    """Return the role at ``root``; ConfigError when it is none or its meta does not parse."""
    if not any((root / name).is_file() for name in TASKS):
        msg = (
            f"{root}: not an Ansible role (no tasks/main.yml): run `modskel adopt` "
            "in a role's folder, or name it (modskel adopt PATH)"
        )
        raise ConfigError(msg)
    path = root / META
    if not path.is_file():
        return Role(root, {})
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or error
        msg = f"{META}: not valid YAML{where} ({problem}): fix it, then run `modskel adopt` again"
        raise ConfigError(msg) from None
    if data is not None and not isinstance(data, dict):
        msg = (
            f"{META}: expected a mapping with galaxy_info, found {type(data).__name__}: "
            "fix it, then run `modskel adopt` again"
        )
        raise ConfigError(msg)
    return Role(root, data or {})


def require_clean(root: Path) -> None:
    """Raise ConfigError when the work tree has uncommitted changes to tracked files."""
    if changed := git(root, "status", "--porcelain", "--untracked-files=no").splitlines():
        first = changed[0][3:]
        msg = (
            f"{root}: uncommitted changes ({len(changed)} file(s), first {first}): "
            "commit or stash them, then run `modskel adopt` again"
        )
        raise ConfigError(msg)


def tracked(root: Path) -> list[str]:
    """Return the files of ``root`` git tracks or would add (relative paths)."""
    return [
        name
        for name in git(root, "ls-files", "-z", "-co", "--exclude-standard").split("\0")
        if name
    ]


def fingerprints(root: Path, names: list[str]) -> dict[str, str]:
    """Return path -> sha256 of each file that exists."""
    return {
        name: hashlib.sha256((root / name).read_bytes()).hexdigest()
        for name in names
        if (root / name).is_file()
    }


def adopted(root: Path, answers_file: str = ".copier-answers.yml") -> bool:
    """Whether ``root`` was adopted already (its answers file records ``adopting: true``)."""
    path = root / answers_file
    if not path.is_file():
        return False
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and data.get("adopting") is True
