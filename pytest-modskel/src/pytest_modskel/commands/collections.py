"""Install the collections a role needs, as its ``requirements.yml`` lists them.

``modskel collections`` runs before the lint, unit and integration envs (tox
``commands_pre``). It reads the author's ``requirements.yml``::

    collections:
      - name: community.general
        version: ">=9.0.0"
      - ansible.posix

and installs those collections, with their dependencies, into the project's
git-ignored ``.modskel/collections``, which tox puts first on
``ANSIBLE_COLLECTIONS_PATH`` so that ansible-playbook, ansible-lint and the
unit syntax check find them. They come from Galaxy when it answers
(``ansible-galaxy collection install -r requirements.yml``), otherwise from the
collections bundled in the ``ansible`` community package: uv fetches that
package once into the user cache (``--no-deps --target``, so the env's own
ansible-core stays as it is) and the requested collections are copied from it.

A file without collections costs a file read. Once installed, a run checks a
hash of ``requirements.yml`` and each collection's version against its
constraint, and installs again only when one of them changed.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.metadata
import json
import operator
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

from pytest_modskel.commands.base import Command
from pytest_modskel.errors import EXIT_OK, ConfigError, SetupError
from pytest_modskel.project import Project
from pytest_modskel.text import last_line

REQUIREMENTS = "requirements.yml"
INSTALLED = Path(".modskel") / "collections"
STAMP = ".requirements.sha256"
# The ansible release whose collections stand in for Galaxy; matrix/tools.yml
# pins the same (tests/test_collections.py checks it). MODSKEL_ANSIBLE_PACKAGE wins.
ANSIBLE_PACKAGE = "12.3.0"
PACKAGE_VAR = "MODSKEL_ANSIBLE_PACKAGE"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "modskel"
GALAXY_TIMEOUT = 10  # seconds for each request to Galaxy
GALAXY_DEADLINE = 600.0  # seconds for a whole install from Galaxy
SOURCES = ("galaxy", "git", "url", "file", "dir", "subdirs")
NAME = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
# ansible-galaxy's version operators, longest first; a bare version means ==.
OPERATORS: dict[str, Callable[[Version, Version], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


def clauses(spec: str) -> list[tuple[Callable[[Version, Version], bool], Version]]:
    """Parse an ansible-galaxy version range (``>=1.0.0,<2.0.0``, ``1.2.3``, ``*``).

    Raises:
        InvalidVersion: a part is not a version.
    """
    parts = [part.strip() for part in spec.split(",") if part.strip() not in ("", "*")]
    found = []
    for part in parts:
        sign = next((s for s in OPERATORS if part.startswith(s)), "==")
        found.append((OPERATORS[sign], Version(part.removeprefix(sign).strip())))
    return found


@dataclass(frozen=True)
class Requirement:
    """One collection a role needs: its name, version range and where it comes from.

    ``source`` is the entry's ``type`` (``galaxy`` unless it says git, url, ...);
    ``wanted_by`` says who asks for it, for messages.
    """

    name: str
    version: str = "*"
    source: str = "galaxy"
    wanted_by: str = REQUIREMENTS

    def allows(self, version: str) -> bool:
        """Return whether ``version`` is in the range (an unreadable version is not)."""
        try:
            return all(test(Version(version), bound) for test, bound in clauses(self.version))
        except InvalidVersion:
            return False

    def __str__(self) -> str:
        """Return ``name range``, or the name alone when any version will do."""
        return self.name if self.version.strip() in ("", "*") else f"{self.name} {self.version}"


def requirement(entry: object) -> Requirement:
    """Turn one entry of ``collections:`` (a name, or a mapping) into a Requirement."""
    fields = {"name": entry} if isinstance(entry, str) else entry
    if not isinstance(fields, dict) or not isinstance(fields.get("name"), str):
        msg = f"{REQUIREMENTS}: entry {entry!r} has no name: give each collection a name"
        raise ConfigError(msg)
    found = Requirement(
        fields["name"], str(fields.get("version") or "*"), str(fields.get("type") or "galaxy")
    )
    if found.source not in SOURCES:
        msg = (
            f"{REQUIREMENTS}: {found.name}: unknown type {found.source!r}: "
            f"use one of {', '.join(SOURCES)}"
        )
        raise ConfigError(msg)
    if found.source == "galaxy" and not NAME.fullmatch(found.name):
        msg = f"{REQUIREMENTS}: {found.name!r} is not namespace.collection: fix the name"
        raise ConfigError(msg)
    try:
        clauses(found.version if found.source == "galaxy" else "*")
    except InvalidVersion as error:
        msg = (
            f"{REQUIREMENTS}: {found.name}: version {found.version!r} is not a version range: "
            "write it as '>=9.0.0' or '>=9.0.0,<12.0.0'"
        )
        raise ConfigError(msg) from error
    return found


def read_requirements(path: Path) -> tuple[Requirement, ...]:
    """Return the collections ``path`` lists; none if it is missing or lists roles only."""
    if not path.is_file():
        return ()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        msg = f"{REQUIREMENTS} is not valid YAML ({' '.join(str(error).split())}): fix it"
        raise ConfigError(msg) from error
    entries = data.get("collections") if isinstance(data, dict) else None
    if entries is None:
        return ()
    if not isinstance(entries, list):
        msg = (
            f"{REQUIREMENTS}: collections must be a list, not {type(entries).__name__}: "
            "write one '- name: namespace.collection' entry per collection"
        )
        raise ConfigError(msg)
    return tuple(requirement(entry) for entry in entries)


def folder_of(root: Path, name: str) -> Path:
    """Return where collection ``name`` lives under the collections folder ``root``."""
    return root / "ansible_collections" / Path(*name.split("."))


def manifest(folder: Path) -> dict[str, object]:
    """Return the ``collection_info`` of a collection folder's MANIFEST.json (empty if none)."""
    try:
        info = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
        return dict(info["collection_info"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def installed_version(root: Path, name: str) -> str | None:
    """Return the version of ``name`` installed under ``root``, if any."""
    version = manifest(folder_of(root, name)).get("version")
    return None if version is None else str(version)


def unmet(requirements: tuple[Requirement, ...], root: Path) -> list[str]:
    """Describe each Galaxy-type requirement that ``root`` lacks or holds at a wrong version."""
    found = []
    for wanted in (r for r in requirements if r.source == "galaxy"):
        have = installed_version(root, wanted.name)
        if have is None or not wanted.allows(have):
            found.append(f"{wanted} ({wanted.wanted_by}): {have or 'not installed'}")
    return found


def up_to_date(requirements: tuple[Requirement, ...], root: Path, digest: str) -> bool:
    """Return whether ``root`` was installed from this very file and still meets it."""
    stamp = root / STAMP
    done = stamp.is_file() and stamp.read_text(encoding="utf-8") == digest
    return done and not unmet(requirements, root)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (parallel tox envs install one at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def from_galaxy(requirements: Path, into: Path) -> str | None:
    """Install ``requirements`` with ansible-galaxy into ``into``; return why not, or None."""
    beside = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))
    galaxy = shutil.which("ansible-galaxy", path=beside)
    if galaxy is None:
        return "ansible-galaxy is not installed here"
    cmd = [galaxy, "collection", "install", "-r", str(requirements), "-p", str(into)]
    # Only ``into`` counts as installed: not ~/.ansible nor an ansible package on sys.path.
    alone = {"ANSIBLE_COLLECTIONS_PATH": str(into), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}
    try:
        done = subprocess.run(
            [*cmd, "--timeout", str(GALAXY_TIMEOUT)],
            capture_output=True,
            text=True,
            check=False,
            timeout=GALAXY_DEADLINE,
            env={**os.environ, **alone},
        )
    except subprocess.TimeoutExpired:
        return f"no answer in {GALAXY_DEADLINE:g} s"
    return None if done.returncode == 0 else last_line(done.stderr or done.stdout)


def ansible_package() -> str:
    """Return the ansible release to take collections from (MODSKEL_ANSIBLE_PACKAGE wins)."""
    version = os.environ.get(PACKAGE_VAR) or ANSIBLE_PACKAGE
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        msg = f"{PACKAGE_VAR}={version!r} is not an ansible release: set it like 12.3.0 or unset it"
        raise ConfigError(msg)
    return version


def own_package(package: str) -> Path | None:
    """Return where this env's ansible package lives, if it is release ``package``."""
    try:
        found = importlib.metadata.distribution("ansible")
    except importlib.metadata.PackageNotFoundError:
        return None
    return Path(str(found.locate_file(""))) if found.version == package else None


def bundle(package: str) -> Path:
    """Return the folder of the ansible package (its collections beneath), fetched once with uv.

    The env's own ansible package serves when it is that release (the integration env).
    """
    if (own := own_package(package)) and (own / "ansible_collections").is_dir():
        return own
    home = CACHE / f"ansible-{package}"
    if (home / "ansible_collections").is_dir():
        return home
    uv = shutil.which("uv")
    if uv is None:
        msg = (
            f"uv is not on PATH: it fetches the ansible {package} package, whose collections "
            "stand in for Galaxy; install uv (https://docs.astral.sh/uv/) or let Galaxy answer"
        )
        raise SetupError(msg)
    with locked(CACHE / f"ansible-{package}.lock"):
        partial = CACHE / f"ansible-{package}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        if not (home / "ansible_collections").is_dir():
            print(f"fetching the ansible {package} package once, into {home}")
            cmd = [uv, "pip", "install", "--quiet", "--no-deps", "--python", sys.executable]
            done = subprocess.run(
                [*cmd, "--target", str(partial), f"ansible=={package}"],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                msg = (
                    f"uv could not fetch the ansible {package} package ({last_line(done.stderr)}): "
                    f"let uv reach the package index, or set {PACKAGE_VAR} to a release it has"
                )
                raise SetupError(msg)
            partial.rename(home)
    return home


def shortfall(wanted: Requirement, bundled: Path, package: str) -> str | None:
    """Say why the ansible package cannot meet ``wanted``, or return None if it can."""
    if wanted.source != "galaxy":
        return f"{wanted} ({wanted.wanted_by}): a {wanted.source} source, not in a package"
    have = installed_version(bundled, wanted.name)
    if have is not None and wanted.allows(have):
        return None
    found = f"has {have}" if have else "does not have it"
    return f"{wanted} ({wanted.wanted_by}): the ansible {package} package {found}"


def pick(
    requirements: tuple[Requirement, ...], bundled: Path, package: str, galaxy: str
) -> list[str]:
    """Return the names of the requirements and their dependencies, all met by ``bundled``.

    Raises:
        SetupError: naming every requirement the package cannot meet.
    """
    chosen: list[str] = []
    problems: list[str] = []
    queue = list(requirements)
    while queue:
        wanted = queue.pop(0)
        if problem := shortfall(wanted, bundled, package):
            problems.append(problem)
        elif wanted.name not in chosen:
            chosen.append(wanted.name)
            needs = manifest(folder_of(bundled, wanted.name)).get("dependencies")
            needs = needs if isinstance(needs, dict) else {}
            by = f"needed by {wanted.name}"
            queue += [Requirement(str(n), str(v), wanted_by=by) for n, v in needs.items()]
    if problems:
        msg = (
            f"{'; '.join(problems)}; and Galaxy could not install them ({galaxy}): "
            f"let Galaxy answer, relax the version in {REQUIREMENTS}, "
            f"or set {PACKAGE_VAR} to an ansible release that has it"
        )
        raise SetupError(msg)
    return chosen


def installed(root: Path) -> list[str]:
    """Return ``namespace.name version`` of each collection under ``root``."""
    return [
        f"{folder.parent.name}.{folder.name} {manifest(folder).get('version', '?')}"
        for folder in sorted(root.glob("ansible_collections/*/*"))
        if folder.is_dir()
    ]


def from_package(requirements: tuple[Requirement, ...], into: Path, galaxy: str) -> str:
    """Copy the requested collections and their dependencies from the ansible package."""
    package = ansible_package()
    print(f"Galaxy could not install them ({galaxy}): using the collections of ansible {package}")
    bundled = bundle(package)
    for name in pick(requirements, bundled, package, galaxy):
        shutil.copytree(folder_of(bundled, name), folder_of(into, name), symlinks=True)
    return f"the ansible {package} package"


def install(requirements: tuple[Requirement, ...], file: Path, target: Path, digest: str) -> None:
    """Install into a fresh folder, from Galaxy or else the ansible package; then swap it in."""
    fresh = target.with_name(f"{target.name}.new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    galaxy = from_galaxy(file, fresh)
    if galaxy is None:
        source = "Galaxy"
        if problems := unmet(requirements, fresh):
            msg = (
                f"ansible-galaxy did not install {'; '.join(problems)}: "
                f"check the names and versions in {REQUIREMENTS}"
            )
            raise SetupError(msg)
    else:
        shutil.rmtree(fresh)  # whatever Galaxy left half-done
        source = from_package(requirements, fresh, galaxy)
    (fresh / STAMP).write_text(digest, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)
    print(f"installed from {source} into {INSTALLED}: {', '.join(installed(target))}")


def run(_args: argparse.Namespace) -> int:
    """Link the role for ansible-lint; install what ``requirements.yml`` lists, if not yet."""
    project = Project.find()
    if env_dir := os.environ.get("TOX_ENV_DIR"):
        project.install(Path(env_dir))
    root = project.root
    file = root / REQUIREMENTS
    requirements = read_requirements(file)
    if not requirements:
        return EXIT_OK
    target = root / INSTALLED
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    if up_to_date(requirements, target, digest):
        return EXIT_OK
    with locked(target.with_name(f"{target.name}.lock")):
        if not up_to_date(requirements, target, digest):  # another env may have just done it
            install(requirements, file, target, digest)
    return EXIT_OK


COMMAND = Command(
    "collections",
    "install requirements.yml's collections into .modskel/collections (and link the role)",
    run,
)
