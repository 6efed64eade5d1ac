"""Fixtures: a committed snapshot of this template, generated projects, tox runs."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from copier import run_copy
from pytest_modskel.plugin import xdist_group

from tests.helpers import BIN, REPO, build_harness, containers_left, git, labelled_containers

Generate = Callable[..., Path]


@pytest.fixture(scope="session", autouse=True)
def sealed_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Give git a throw-away identity and no user or system config; serve the harness wheel.

    Generated projects pin ``pytest-modskel``; uv finds it in a folder holding the
    wheel built from this work tree (a new folder per session, so uv's cache never
    serves an older build of the same version).
    """
    # xdist's workers ignore SIGINT (Ctrl-C is the controller's). A child inherits
    # an ignored signal, and a Python started with SIGINT ignored never raises
    # KeyboardInterrupt: the tests that interrupt tox would reach nothing.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        signal.signal(signal.SIGINT, signal.default_int_handler)
    home = tmp_path_factory.mktemp("gitconfig")
    config = home / "gitconfig"
    config.write_text("[user]\n\tname = modskel tests\n\temail = tests@modskel.invalid\n")
    wheels = build_harness(tmp_path_factory.mktemp("wheels"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GIT_CONFIG_GLOBAL", str(config))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
        mp.setenv("UV_FIND_LINKS", str(wheels))
        yield


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repo holding the template as it is in the work tree now."""
    src = tmp_path_factory.mktemp("template")
    files = git(REPO, "ls-files", "-co", "--exclude-standard").splitlines()
    for name in files:
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    git(src, "init", "-q")
    git(src, "add", "-A")
    git(src, "commit", "-qm", "snapshot")
    return src


@pytest.fixture(scope="session")
def generate(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Generate:
    """Return a function that renders a project with copier's API and returns its path."""

    def _generate(data: dict[str, Any] | None = None, name: str = "sample_role") -> Path:
        dst = tmp_path_factory.mktemp("dst") / name
        run_copy(
            str(template_src),
            dst,
            data=data or {},
            defaults=True,
            unsafe=True,
            vcs_ref="HEAD",
            quiet=True,
        )
        return dst

    return _generate


@pytest.fixture(scope="session")
def seeded_debian12() -> str:
    """Make docker.io/library/debian:bookworm available to podman (seeded offline)."""
    from tools.images import ensure  # noqa: PLC0415 - needs podman, integration only

    return ensure("debian12")


@pytest.fixture(scope="session")
def default_project(generate: Generate) -> Path:
    """A project generated with every default answer (the Debian 12 systemd container)."""
    return generate()


@pytest.fixture(scope="session")
def container_project(default_project: Path) -> Path:
    """A project with only the Debian 12 container platform (the default answers)."""
    return default_project


@pytest.fixture(scope="session")
def vm_project(generate: Generate) -> Path:
    """A project with the Debian 12 container and the Debian 12 VM platforms."""
    return generate({"platforms": ["debian12", "debian12-vm"]})


@pytest.fixture(scope="session")
def collection_project(generate: Generate) -> Path:
    """A collection (kind=collection, other answers default) in folder ``acme_tools``."""
    return generate({"kind": "collection"}, name="acme_tools")


Edit = Callable[[Path], None]


@pytest.fixture(scope="session")
def template_variant(
    template_src: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Edit], Path]:
    """Return a function that copies the template, applies an edit, and commits it."""

    def _variant(edit: Edit) -> Path:
        src = tmp_path_factory.mktemp("variant") / "template"
        shutil.copytree(template_src, src)
        edit(src)
        git(src, "commit", "-qam", "edit the matrix")
        return src

    return _variant


def render(src: Path, dst: Path, data: dict[str, Any] | None = None) -> Path:
    """Render the template at ``src`` into ``dst`` with default answers and ``data``."""
    run_copy(str(src), dst, data=data or {}, defaults=True, unsafe=True, vcs_ref="HEAD", quiet=True)
    return dst


@pytest.fixture
def no_container_left(seeded_debian12: str) -> Iterator[None]:
    """Fail the test if it leaves a container with the harness label behind."""
    assert seeded_debian12 == "docker.io/library/debian:bookworm"
    before = set(labelled_containers())
    yield
    assert containers_left(before) == set()


# Tests that start containers or VMs: under xdist (scripts/test runs `-n 2 --dist
# loadgroup`) they all run on one worker, one after another, so no two fight
# over the machine's cores with qemu and the "nothing left" checks see only
# their own machines; every other test runs on the other worker meanwhile.
MACHINE_MARKERS = ("integration", "vm")
MACHINE_FIXTURES = ("no_container_left", "seeded_debian12", "container_project", "vm_project")
GROUP = "machines"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put every test that starts a machine in the xdist group ``machines``."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if any(item.get_closest_marker(m) for m in MACHINE_MARKERS) or any(
            f in fixtures for f in MACHINE_FIXTURES
        ):
            xdist_group(item, GROUP)
