"""Entering a container's namespaces: the connection mode, and testinfra's nsenter backend."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FakeBin, exactly
from pytest_modskel.drivers import nsenter
from pytest_modskel.drivers.nsenter_testinfra import NsenterBackend
from pytest_modskel.errors import ConfigError
from testinfra.host import Host

# `nsenter --target PID --all COMMAND...`: the command runs here, in the environment it was given.
NSENTER = '[ "$1 $3" = "--target --all" ] || exit 1\nshift 3\nexec "$@"'


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("", "auto"),
        ("  ", "auto"),
        ("auto", "auto"),
        (" exec ", "exec"),
        ("collection", "collection"),
    ],
    ids=["empty", "blank", "auto", "exec-padded", "collection"],
)
def test_mode(value: str, mode: str) -> None:
    assert nsenter.mode({"MODSKEL_CONNECTION": value}) == mode


def test_mode_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODSKEL_CONNECTION", raising=False)
    assert nsenter.mode() == "auto"


@pytest.mark.parametrize("value", ["ssh", "Exec", "nsenter"])
def test_mode_unknown(value: str) -> None:
    message = (
        f"MODSKEL_CONNECTION={value!r} is not a connection mode: "
        "set it to one of auto, exec, collection"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        nsenter.mode({"MODSKEL_CONNECTION": value})


@pytest.mark.parametrize(
    ("uid", "program", "mode", "usable"),
    [(0, "nsenter", "auto", True), (1000, "nsenter", "auto", False), (0, "other", "auto", False),
     (0, "nsenter", "exec", False), (0, "nsenter", "collection", False)],
    ids=["root", "not-root", "no-nsenter", "exec", "collection"],
)  # fmt: skip
def test_usable(fake_bin: FakeBin, uid: int, program: str, mode: str, usable: bool) -> None:  # noqa: FBT001
    fake_bin.add(program)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "geteuid", lambda: uid)
        assert nsenter.usable({"MODSKEL_CONNECTION": mode}) is usable


def test_usable_refuses_a_bad_mode() -> None:
    with pytest.raises(ConfigError, match=r"^MODSKEL_CONNECTION='fast' is not a connection mode: "):
        nsenter.usable({"MODSKEL_CONNECTION": "fast"})


def test_argv(fake_bin: FakeBin) -> None:
    assert nsenter.argv(42, ["cat", "/etc/os-release"]) == [
        "nsenter", "--target", "42", "--all", "cat", "/etc/os-release"
    ]  # fmt: skip
    program = fake_bin.add("nsenter")
    assert nsenter.argv(42, ["true"]) == [str(program), "--target", "42", "--all", "true"]


DEFAULTS = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "container": "docker",
}


def test_environment_without_a_pid_is_the_engines_default() -> None:
    assert nsenter.environment("docker") == DEFAULTS


def test_environment_is_the_container_inits(tmp_path: Path) -> None:
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "environ").write_bytes(
        b"PATH=/opt/bin:/bin\0APP_MODE=a=b\0container=podman\0\0"
    )
    assert nsenter.environment("podman", 42, tmp_path) == {
        "PATH": "/opt/bin:/bin", "APP_MODE": "a=b", "container": "podman",
    }  # fmt: skip


def test_environment_falls_back_when_unreadable(tmp_path: Path) -> None:
    assert nsenter.environment("docker", 42, tmp_path) == DEFAULTS


@pytest.fixture
def host(fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch) -> Host:
    """A testinfra host on container ``box`` (PID 4242) through a fake nsenter."""
    fake_bin.add("nsenter", NSENTER)
    monkeypatch.setenv("LEAK", "leaked")
    backend = NsenterBackend("box", 4242, "podman")
    found = Host(backend)
    backend.set_host(found)
    return found


def test_backend_runs_in_the_container(host: Host, fake_bin: FakeBin) -> None:
    result = host.run("echo %s; echo ${LEAK-unset} $HOME $container; echo oops >&2; exit 3", "a b")
    assert (result.rc, result.stdout, result.stderr) == (
        3, "a b\nunset /root podman\n", "oops\n"
    )  # fmt: skip
    command = "echo 'a b'; echo ${LEAK-unset} $HOME $container; echo oops >&2; exit 3"
    assert result.command == command.encode()
    assert fake_bin.calls() == [f"nsenter --target 4242 --all /bin/sh -c {command}"]


def test_backend_serves_testinfra_modules(host: Host) -> None:
    assert host.backend.NAME == "modskel-nsenter"
    assert host.backend.get_hostname() == "box"
    assert host.file("/bin/sh").exists
    assert host.run_expect([1], "exit 1").rc == 1
