"""The ``modskel`` command line: parser, error handler, exit codes, machine commands."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from pathlib import Path

import pytest
from conftest import FakeBin, Launched, MakeProject, exactly
from pytest_modskel import __version__
from pytest_modskel.commands import COMMANDS, machines, main
from pytest_modskel.commands.base import Command
from pytest_modskel.errors import ConfigError, ModskelError, SetupError
from pytest_modskel.images.vm import BuiltImage

NAMES = ["adopt", "build", "clean", "collections", "conflicts", "coverage", "dev", "docs",
         "drivers", "fix", "fragments", "image", "lint", "release", "sanity", "template-update",
         "update-check", "vm"]  # fmt: skip


def test_commands_registered_in_name_order() -> None:
    assert list(COMMANDS) == NAMES
    assert all(command.name == name for name, command in COMMANDS.items())


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS.values():
        assert f"    {command.name}" in out
        assert command.summary in " ".join(out.split())
    assert "exit codes: 0 ok, 1 a check failed, 2 bad input, 3 something missing here" in out


@pytest.mark.parametrize("name", NAMES)
def test_subcommand_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([name, "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: modskel {name}")
    assert COMMANDS[name].summary in " ".join(out.split())


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"modskel {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["nosuch"], "argument COMMAND: invalid choice: 'nosuch'"),
        (["vm", "down", "vm12"], "argument action: invalid choice: 'down'"),
        (["docs", "--chek"], "unrecognized arguments: --chek"),
    ],
    ids=["no-command", "unknown-command", "unknown-vm-action", "unknown-option"],
)
def test_bad_arguments(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def _replace(monkeypatch: pytest.MonkeyPatch, name: str, error: BaseException) -> None:
    def run(_args: argparse.Namespace) -> int:
        raise error

    monkeypatch.setitem(COMMANDS, name, Command(name, COMMANDS[name].summary, run))


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("platform x: fix it"), 2),
        (SetupError("podman is not installed: install it"), 3),
        (ModskelError("something: do this"), 2),
    ],
    ids=["config", "setup", "base"],
)
def test_error_becomes_one_line_and_its_exit_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: ModskelError,
    code: int,
) -> None:
    _replace(monkeypatch, "drivers", error)
    assert main(["drivers"]) == code
    captured = capsys.readouterr()
    assert captured.err == f"modskel drivers: error: {error}\n"
    assert captured.out == ""


def test_interrupted(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _replace(monkeypatch, "coverage", KeyboardInterrupt())
    assert main(["coverage"]) == 130
    assert capsys.readouterr().err == "modskel coverage: interrupted\n"


def test_other_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    _replace(monkeypatch, "docs", ZeroDivisionError("a bug"))
    with pytest.raises(ZeroDivisionError, match="a bug"):
        main(["docs"])


def test_real_error_outside_a_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["conflicts"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"modskel conflicts: error: {tmp_path.resolve()} is not inside a role or collection "
        "project (no galaxy.yml or meta/main.yml here or above): run modskel from the "
        "project's folder"
    )


@pytest.mark.usefixtures("fresh_registry")
def test_python_dash_m(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["modskel", "drivers"])
    monkeypatch.delitem(sys.modules, "pytest_modskel.__main__", raising=False)
    with pytest.raises(SystemExit) as caught:  # what `python -m pytest_modskel drivers` runs
        importlib.import_module("pytest_modskel.__main__")
    assert caught.value.code == 0
    assert capsys.readouterr().out.splitlines() == [
        "container    a podman or docker container, removed afterwards",
        "ssh          a machine you already have, reached over ssh; left as it is",
        (
            "vm           a qemu virtual machine (resumed or booted) on a throw-away overlay, "
            "ended afterwards"
        ),
    ]


PODMAN = """\
case "$1" in
  ps) printf '%s\\n' ${PS_NAMES:-} ;;
esac
"""


def test_clean(
    fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_bin.add("podman", PODMAN)
    assert main(["clean"]) == 0
    assert capsys.readouterr().out == "removed 0 container(s) labelled io.modskel.harness: -\n"
    monkeypatch.setenv("PS_NAMES", "modskel-web-a modskel-web-b")
    assert main(["clean"]) == 0
    assert capsys.readouterr().out == (
        "removed 2 container(s) labelled io.modskel.harness: modskel-web-a modskel-web-b\n"
    )
    assert fake_bin.calls()[-2:] == ["podman rm -f -t 0 modskel-web-a",
                                     "podman rm -f -t 0 modskel-web-b"]  # fmt: skip


@pytest.mark.usefixtures("fake_bin")
def test_clean_without_an_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clean"]) == 3
    assert capsys.readouterr().err == (
        "modskel clean: error: no container engine can run containers: podman is not installed; "
        "docker is not installed. Install podman (apt-get install podman) or start Docker, "
        "or set MODSKEL_ENGINE\n"
    )


VM_PLATFORMS = """\
- id: debian12
  image: docker.io/library/debian:bookworm
- id: vm12
  image: built:bookworm
  kind: vm
  systemd: true
- id: vm13
  image: built:trixie
  kind: vm
"""


def _built(suite: str) -> BuiltImage:
    image = BuiltImage.of(suite)
    image.disk.parent.mkdir(parents=True, exist_ok=True)
    for path in (image.disk, image.kernel, image.initrd):
        path.touch()
    return image


def test_image(
    make_project: MakeProject,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_project(platforms=VM_PLATFORMS)
    cached = _built("bookworm")
    monkeypatch.setattr(machines, "build", _built)
    assert main(["image"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"vm12: built:bookworm ready (cached): {cached.disk.parent}",
        f"vm13: built:trixie ready (built in 0 s): {BuiltImage.of('trixie').disk.parent}",
    ]


def test_image_selected_by_variable(
    make_project: MakeProject,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_project(platforms=VM_PLATFORMS)
    monkeypatch.setattr(machines, "build", _built)
    monkeypatch.setenv("MODSKEL_PLATFORMS", "vm13")
    assert main(["image"]) == 0
    assert capsys.readouterr().out.startswith("vm13: built:trixie ready (built in ")


@pytest.mark.parametrize("platforms", [[], ["--platforms", "debian12"]], ids=["all", "container"])
def test_image_nothing_to_build(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], platforms: list[str]
) -> None:
    make_project()
    assert main(["image", *platforms]) == 0
    assert capsys.readouterr().out == (
        "no selected platform uses an image built:<suite>: nothing to build\n"
    )


def test_image_unknown_platform(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(platforms=VM_PLATFORMS)
    assert main(["image", "--platforms", "vm99"]) == 2
    assert capsys.readouterr().err.startswith(
        "modskel image: error: unknown platform vm99: choose from debian12, vm12, vm13 "
    )


def test_vm_command_refuses_other_kinds(make_project: MakeProject) -> None:
    make_project(platforms=VM_PLATFORMS)
    args = argparse.Namespace(action="up", platform="debian12")
    with pytest.raises(
        ConfigError,
        match=exactly("platform debian12 is of kind container, not vm: name a VM platform"),
    ):
        machines.vm(args)


def test_vm_not_a_vm(make_project: MakeProject, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(platforms=VM_PLATFORMS)
    assert main(["vm", "up", "debian12"]) == 2
    assert capsys.readouterr().err == (
        "modskel vm: error: platform debian12 is of kind container, not vm: name a VM platform\n"
    )


@pytest.mark.usefixtures("vm_guest_tools")
def test_vm_not_built(make_project: MakeProject, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(platforms=VM_PLATFORMS)
    assert main(["vm", "up", "vm12"]) == 3
    assert capsys.readouterr().err == (
        "modskel vm: error: VM image built:bookworm of vm12 is not built: run `tox -e vm-image`\n"
    )


def test_vm_several_platforms(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(platforms=VM_PLATFORMS)
    assert main(["vm", "up", "vm12,vm13"]) == 2
    assert capsys.readouterr().err.startswith("modskel vm: error: ")


def test_vm_up_until_interrupted(
    make_project: MakeProject,
    vm_guest_tools: FakeBin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    qemus: Launched,
) -> None:
    make_project(platforms=VM_PLATFORMS)
    _built("bookworm")
    monkeypatch.setenv("MODSKEL_VM_RESUME", "0")  # boots (resuming is tested in test_qemu)

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(signal, "pause", interrupted)  # Ctrl-C at once
    assert main(["vm", "up", "vm12"]) == 0
    up, address = capsys.readouterr().out.splitlines()
    assert up.startswith("vm12 is up: ssh -F ")
    assert up.endswith("/ssh_config vm12")
    assert address.startswith("ssh://root@127.0.0.1:")
    assert address.endswith("/id_ed25519 (Ctrl-C to stop)")
    (started,) = vm_guest_tools.calls("qemu-system-x86_64")
    assert "-name modskel-manual-vm12-" in started
    assert [proc.returncode for proc in qemus] == [-signal.SIGTERM]  # ended on the way out
