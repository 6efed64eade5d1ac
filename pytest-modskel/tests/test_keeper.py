"""The keeper process, run in-process: a machine started, written down, kept, then removed."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import FakeBin, MakeProject
from dev_fakes import podman_fixture  # noqa: F401 - a fixture, used by name
from pytest_modskel import drivers
from pytest_modskel.commands import keeper
from pytest_modskel.commands.dev.state import Kept, slot
from pytest_modskel.drivers.base import Driver, Session
from pytest_modskel.drivers.container import ENGINES, Container
from pytest_modskel.errors import SetupError
from pytest_modskel.platforms import Platform
from pytest_modskel.project import Project

ONE = "- id: debian12\n  image: docker.io/library/debian:bookworm\n"


class Lab:
    """A fake container driver: records what it does; its machines are podman containers."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.error: SetupError | None = None

    def preflight(self, platforms: list[Platform]) -> None:
        self.events.append(f"preflight {','.join(p.id for p in platforms)}")

    @contextmanager
    def start(self, platform: Platform, workdir: Path, session: Session) -> Iterator[Container]:
        assert workdir.is_dir()
        self.events.append(f"start {session.name(platform.id)} run {session.run_id}")
        if self.error:
            raise self.error
        try:
            yield Container(ENGINES["podman"], session.name(platform.id))
        finally:
            self.events.append("stop")


@pytest.fixture
def lab(monkeypatch: pytest.MonkeyPatch, podman: FakeBin) -> Lab:  # noqa: ARG001 - podman on PATH
    found = Lab()
    driver = Driver("fake", found.preflight, found.start)
    monkeypatch.setattr(drivers, "registry", lambda: {"container": driver})
    return found


def _signal_after(monkeypatch: pytest.MonkeyPatch, looks: int, seen: list[Kept | None]) -> None:
    """Make the keeper's wait end with a SIGTERM after ``looks`` looks at its record."""
    place = slot(Project(Path.cwd()), "debian12")

    def pause() -> None:
        seen.append(place.read())
        if len(seen) == looks:
            os.kill(os.getpid(), signal.SIGTERM)  # the handler raises here, as in the real wait

    monkeypatch.setattr(keeper, "_pause", pause)


def test_keeps_until_a_signal(
    make_project: MakeProject, lab: Lab, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    root = make_project(platforms=ONE)
    (root / ".modskel" / "machines" / "debian12" / "work").mkdir(parents=True)
    seen: list[Kept | None] = []
    _signal_after(monkeypatch, 3, seen)
    assert keeper.main([str(root), "debian12", "abc123", "gate:run9"]) == 0
    name = "modskel-web-debian12-abc123"
    assert lab.events == ["preflight debian12", f"start {name} run kept:{root}", "stop"]
    kept = seen[0]
    assert kept is not None
    assert seen == [kept] * 3
    assert (kept.platform, kept.kind, kept.keeper, kept.name, kept.origin) == (
        "debian12", "container", os.getpid(), name, "gate:run9")  # fmt: skip
    assert kept.target == {"type": "container", "engine": "podman", "name": name,
                           "python": "/usr/bin/python3"}  # fmt: skip
    assert slot(Project(root), "debian12").read() is None  # the record goes with the machine
    assert capsys.readouterr().out.splitlines()[1:] == [
        f"stopping on signal {signal.SIGTERM}",
        "removed the machine",
    ]
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # clean-up is not cut short


def test_leaves_when_its_record_is_gone(
    make_project: MakeProject, lab: Lab, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    root = make_project(platforms=ONE)
    place = slot(Project(root), "debian12")
    place.workdir.mkdir(parents=True)

    def pause() -> None:
        place.forget()  # rm -rf .modskel

    monkeypatch.setattr(keeper, "_pause", pause)
    assert keeper.main([str(root), "debian12", "abc123", "dev"]) == 0
    assert lab.events[-1] == "stop"
    assert capsys.readouterr().out.splitlines()[-1] == (
        "the record is gone (.modskel/machines deleted?): removing the machine"
    )


def test_leaves_another_keepers_record(
    make_project: MakeProject, lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(platforms=ONE)
    place = slot(Project(root), "debian12")
    place.workdir.mkdir(parents=True)

    def pause() -> None:
        found = place.read()
        assert found is not None
        place.write(Kept(**{**vars(found), "keeper": 1}))  # another `up` took the platform over

    monkeypatch.setattr(keeper, "_pause", pause)
    assert keeper.main([str(root), "debian12", "abc123", "dev"]) == 0
    assert lab.events[-1] == "stop"
    taken_over = place.read()
    assert taken_over is not None
    assert taken_over.keeper == 1


def test_says_why_the_machine_did_not_start(
    make_project: MakeProject, lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(platforms=ONE)
    (root / ".modskel" / "machines" / "debian12" / "work").mkdir(parents=True)
    lab.error = SetupError("could not start img with podman: no space")
    assert keeper.main([str(root), "debian12", "abc123", "dev"]) == 3
    assert capsys.readouterr().out.splitlines()[-1] == (
        "debian12: could not start img with podman: no space"
    )
    assert slot(Project(root), "debian12").read() is None


def test_applies_the_vm_settings(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MODSKEL_VM_CPUS", raising=False)
    root = make_project(platforms=ONE, pyproject="[tool.modskel.vm]\ncpus = 3\n")
    assert keeper.main([str(root), "nosuch", "abc123", "dev"]) == 2
    assert os.environ["MODSKEL_VM_CPUS"] == "3"
    assert capsys.readouterr().out.startswith(
        "nosuch: unknown platform nosuch: choose from debian12"
    )


def test_a_signal_before_the_machine_is_up(
    make_project: MakeProject, lab: Lab, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    root = make_project(platforms=ONE)
    (root / ".modskel" / "machines" / "debian12" / "work").mkdir(parents=True)

    def interrupted(_platforms: list[Platform]) -> None:
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(lab, "preflight", interrupted)
    driver = Driver("fake", lab.preflight, lab.start)
    monkeypatch.setattr(drivers, "registry", lambda: {"container": driver})
    assert keeper.main([str(root), "debian12", "abc123", "dev"]) == 0
    assert lab.events == []
    assert capsys.readouterr().out.splitlines()[-1] == "removed the machine"


def test_pause_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    keeper._pause()
    assert slept == [keeper.WATCH]
    assert keeper.WATCH <= 1
