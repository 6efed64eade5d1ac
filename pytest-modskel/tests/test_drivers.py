"""The driver registry (``modskel.drivers`` entry points), lookup, pre-flight, clean-up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from conftest import exactly
from pytest_modskel import drivers
from pytest_modskel.drivers import GROUP, Driver, Session, Target, container, qemu, ssh
from pytest_modskel.errors import ConfigError
from pytest_modskel.platforms import Platform

pytestmark = pytest.mark.usefixtures("fresh_registry")


def _points(*pairs: tuple[str, str]) -> list[EntryPoint]:
    return [EntryPoint(name=name, value=value, group=GROUP) for name, value in pairs]


def test_installed_drivers() -> None:
    assert drivers.registry() == {
        "container": container.DRIVER,
        "ssh": ssh.DRIVER,
        "vm": qemu.DRIVER,
    }
    assert drivers.registry() is drivers.registry()  # loaded once


def test_third_party_kind_in_name_order(monkeypatch: pytest.MonkeyPatch) -> None:
    points = _points(("vm", "pytest_modskel.drivers.qemu:DRIVER"),
                     ("lxd", "pytest_modskel.drivers.ssh:DRIVER"))  # fmt: skip
    monkeypatch.setattr(drivers, "entry_points", lambda group: points if group == GROUP else [])
    found = drivers.registry()
    assert list(found) == ["lxd", "vm"]
    assert found["lxd"] is ssh.DRIVER


@pytest.mark.parametrize(
    ("value", "kind"),
    [("pytest_modskel.text:last_line", "function"), ("pytest_modskel.drivers:GROUP", "str")],
    ids=["function", "str"],
)
def test_bad_entry_point(monkeypatch: pytest.MonkeyPatch, value: str, kind: str) -> None:
    monkeypatch.setattr(drivers, "entry_points", lambda **_: _points(("lxd", value)))
    message = (
        f"entry point lxd = {value} in modskel.drivers is a {kind}, not a pytest_modskel "
        "Driver: fix that package"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        drivers.registry()


def test_driver_by_kind() -> None:
    assert drivers.driver(Platform("d", "img")) is container.DRIVER
    assert drivers.driver(Platform("v", "built:bookworm", kind="vm")) is qemu.DRIVER
    assert drivers.driver(Platform("h", "ssh://h", kind="ssh")) is ssh.DRIVER


def test_driver_unknown_kind() -> None:
    expected = (
        "platform lab has unknown kind 'lxd': use one of container, ssh, vm, "
        "or install the package that provides it"
    )
    with pytest.raises(ConfigError, match=exactly(expected)):
        drivers.driver(Platform("lab", "lab:1", kind="lxd"))


class Recorder:
    """A driver whose hooks record what they were given."""

    def __init__(self) -> None:
        self.preflights: list[list[str]] = []
        self.removed = 0

    def preflight(self, platforms: list[Platform]) -> None:
        self.preflights.append([p.id for p in platforms])

    def remove_live(self) -> None:
        self.removed += 1

    @contextmanager
    def start(self, _platform: Platform, _workdir: Path, _session: Session) -> Iterator[Target]:
        raise NotImplementedError
        yield  # pragma: no cover

    def driver(self) -> Driver:
        return Driver("recorded", self.preflight, self.start, self.remove_live)


@pytest.fixture
def recorders(monkeypatch: pytest.MonkeyPatch) -> dict[str, Recorder]:
    found = {"container": Recorder(), "vm": Recorder()}
    monkeypatch.setattr(drivers, "registry", lambda: {k: r.driver() for k, r in found.items()})
    return found


def test_preflight_by_kind(recorders: dict[str, Recorder]) -> None:
    drivers.preflight([Platform("a", "i"), Platform("v", "i", kind="vm"), Platform("b", "i")])
    assert recorders["container"].preflights == [["a", "b"]]
    assert recorders["vm"].preflights == [["v"]]


def test_preflight_unknown_kind_first(recorders: dict[str, Recorder]) -> None:
    with pytest.raises(ConfigError, match=r"^platform h has unknown kind 'ssh': use one of "):
        drivers.preflight([Platform("a", "i"), Platform("h", "ssh://h", kind="ssh")])
    assert recorders["container"].preflights == []


def test_remove_live_asks_every_driver(recorders: dict[str, Recorder]) -> None:
    drivers.remove_live()
    assert [r.removed for r in recorders.values()] == [1, 1]


def test_session_names() -> None:
    session = Session("web", "run1", "abc123")
    assert session.name("debian12") == "modskel-web-debian12-abc123"
    first, second = Session("web", "run1"), Session("web", "run1")
    assert re.fullmatch(r"[0-9a-f]{6}", first.token)
    assert first.token != second.token


def test_default_remove_live_does_nothing() -> None:
    driver = Driver("s", lambda _platforms: None, Recorder().start)
    assert driver.remove_live.__name__ == "_nothing"
    driver.remove_live()
