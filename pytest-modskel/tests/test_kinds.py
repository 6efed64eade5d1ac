"""Module kinds: a role or a collection, found, named, installed for Ansible."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import exactly, write_project
from pytest_modskel import Project
from pytest_modskel.checks import CHECKS
from pytest_modskel.errors import ConfigError
from pytest_modskel.kinds import KINDS, detect
from pytest_modskel.kinds.base import DEFAULT_ROLES
from pytest_modskel.plugin import importable
from pytest_modskel.render import role_folder

GALAXY = "namespace: acme\nname: tools\nversion: 1.0.0\n"


def write_collection(root: Path, galaxy: str = GALAXY, roles: tuple[str, ...] = ("web",)) -> Path:
    """Write a minimal collection with ``roles`` (each with tasks/main.yml) into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "galaxy.yml").write_text(galaxy, encoding="utf-8")
    for role in roles:
        (root / "roles" / role / "tasks").mkdir(parents=True)
        (root / "roles" / role / "tasks" / "main.yml").write_text("---\n[]\n", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("markers", "expected"),
    [
        (("galaxy.yml",), "collection"),
        (("meta/main.yml",), "role"),
        (("galaxy.yml", "meta/main.yml"), "collection"),
        ((), None),
    ],
    ids=["galaxy-yml", "meta-main", "both", "none"],
)
def test_detect(tmp_path: Path, markers: tuple[str, ...], expected: str | None) -> None:
    for marker in markers:
        (tmp_path / marker).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / marker).write_text("{}\n", encoding="utf-8")
    found = detect(tmp_path)
    assert (found.id if found else None) == expected


def test_registry_lists_each_kind_by_id() -> None:
    assert list(KINDS) == ["collection", "role"]
    assert all(kind.summary and kind.python_sources for kind in KINDS.values())


def test_a_collection_project(tmp_path: Path) -> None:
    root = write_collection(tmp_path / "tools", roles=("web", "db"))
    (root / "roles" / "notes").mkdir()  # neither tasks nor meta: not a role
    (root / "roles" / "meta_only" / "meta").mkdir(parents=True)
    project = Project.find(root / "roles" / "notes")
    assert project.root == root.resolve()
    assert project.kind.id == "collection"
    assert project.content.fqcn == "acme.tools"
    assert project.role == project.content
    assert [p.name for p in project.role_dirs] == ["db", "meta_only", "web"]
    assert Project(tmp_path / "empty").kind.id == "role"  # no marker: a role, as before


def test_a_role_project_is_its_own_role(tmp_path: Path) -> None:
    project = Project(write_project(tmp_path / "web"))
    assert project.kind.id == "role"
    assert project.role_dirs == [project.root]


@pytest.mark.parametrize(
    ("galaxy", "message"),
    [
        ("name: tools\n", "galaxy.yml lacks namespace: add it (Galaxy needs it)"),
        ("version: 1.0.0\n", "galaxy.yml lacks namespace, name: add it (Galaxy needs it)"),
        (
            "name: [tools\n",
            (
                "galaxy.yml is not valid YAML at line 2 "
                "(expected ',' or ']', but got '<stream end>'): fix it"
            ),
        ),
    ],
    ids=["no-namespace", "no-names", "bad-yaml"],
)
def test_bad_galaxy_yml(tmp_path: Path, galaxy: str, message: str) -> None:
    project = Project(write_collection(tmp_path / "tools", galaxy))
    with pytest.raises(ConfigError, match=exactly(message)):
        _ = project.content


def test_install_links_the_collection_where_ansible_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_collection(tmp_path / "tools")
    kind = Project(root).kind
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", "/given/one")
    env = kind.ansible_env(root, tmp_path / "work")
    link = tmp_path / "work" / "collections" / "ansible_collections" / "acme" / "tools"
    assert link.is_symlink()
    assert link.resolve() == root.resolve()
    assert env["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep) == [
        str(tmp_path / "work" / "collections"),
        "/given/one",
    ]
    assert env["ANSIBLE_ROLES_PATH"].split(os.pathsep) == [
        str(Path(p).expanduser()) for p in DEFAULT_ROLES
    ]
    monkeypatch.delenv("ANSIBLE_COLLECTIONS_PATH")
    again = kind.ansible_env(root, tmp_path / "work")  # the link is kept
    assert again["ANSIBLE_COLLECTIONS_PATH"] == str(tmp_path / "work" / "collections")


def test_collection_code_is_importable_in_tests(tmp_path: Path) -> None:
    root = write_collection(tmp_path / "tools")
    utils = root / "plugins" / "module_utils"
    utils.mkdir(parents=True)
    (utils / "greeting.py").write_text("WORD = 'hello'\n", encoding="utf-8")
    # A fresh interpreter: Ansible's collection finder, once another test started
    # it, serves ``ansible_collections`` from the paths it had then.
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from pytest_modskel import Project\n"
        "from pytest_modskel.plugin import importable\n"
        f"importable(Project(Path({str(root)!r})))\n"
        f"importable(Project(Path({str(root)!r})))\n"
        f"assert sys.path.count({str(tmp_path / 'env' / 'collections')!r}) == 1\n"
        "from ansible_collections.acme.tools.plugins.module_utils.greeting import WORD\n"
        "print(WORD)\n"
    )
    env = {**os.environ, "TOX_ENV_DIR": str(tmp_path / "env")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, "hello\n"), done.stderr


def test_importable_leaves_a_role_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = list(sys.path)
    importable(Project(write_project(tmp_path / "web")))
    assert sys.path == before


def test_importable_outside_tox_uses_a_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("TOX_ENV_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)
    importable(Project(write_collection(tmp_path / "tools")))
    assert Path(sys.path[0]).is_relative_to(tmp_path / "tmp")


def test_checks_name_the_role_folder_of_a_collection(tmp_path: Path) -> None:
    root = write_collection(tmp_path / "tools")
    (root / "roles" / "web" / "templates").mkdir()
    (root / "roles" / "web" / "templates" / "a.conf.j2").write_text("{{ x \n", encoding="utf-8")
    (problem,) = CHECKS["jinja"].run(Project(root))
    assert problem.startswith("roles/web: templates/a.conf.j2:1: ")


def test_role_folder(tmp_path: Path) -> None:
    project = Project(write_collection(tmp_path / "tools", roles=("web", "db")))
    assert role_folder(project, "db") == project.root / "roles" / "db"
    only = Project(write_collection(tmp_path / "one"))
    assert role_folder(only, None) == only.root / "roles" / "web"
    role = Project(write_project(tmp_path / "web"))
    assert role_folder(role, None) == role.root


@pytest.mark.parametrize(
    ("role", "expected"), [(None, "None"), ("cache", "cache")], ids=["unnamed", "unknown"]
)
def test_role_folder_refuses(tmp_path: Path, role: str | None, expected: str) -> None:
    project = Project(write_collection(tmp_path / "tools", roles=("web", "db")))
    message = (
        f"no role {expected} in {project.root / 'roles'} (roles: db, web): pass role=<one of them>"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        role_folder(project, role)
