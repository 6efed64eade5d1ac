"""Kept machines' lifecycle: keepers started and stopped, stale records, list, destroy, clean."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FakeBin, MakeProject
from dev_fakes import (  # noqa: F401 - fixtures, used by name
    ONE,
    fake_keeper_fixture,
    keeper_pid_fixture,
    one_fixture,
    output_lines,
    podman_fixture,
    record,
)
from pytest_modskel.commands import main
from pytest_modskel.commands.dev import lifecycle
from pytest_modskel.commands.dev.state import alive, slot, slots
from pytest_modskel.drivers.container import ENGINES, Container
from pytest_modskel.platforms import Platform
from pytest_modskel.project import Project

DEBIAN = Platform("debian12", "docker.io/library/debian:bookworm")


def _dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", ""])
    done.wait()
    return done.pid


def test_launch_and_exit_code(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    pid = lifecycle.launch([sys.executable, "-c", "import os; print(os.getsid(0)); exit(3)"], log)
    while (code := lifecycle.exit_code(pid)) is None:
        time.sleep(0.01)
    assert code == 3
    assert log.read_text(encoding="utf-8") == f"{pid}\n"  # a session of its own: a Ctrl-C
    assert lifecycle.exit_code(pid) == 0  # reaped already, not a keeper: gone
    assert lifecycle.exit_code(os.getppid()) == 0  # not our child: gone unless a keeper


def test_exit_code_of_a_keeper_we_did_not_start(keeper_pid: int) -> None:
    assert lifecycle.exit_code(keeper_pid) is None  # the fixture's child, not lifecycle's


@pytest.mark.usefixtures("fake_keeper")
def test_spawn_and_destroy(one: Path, podman: FakeBin) -> None:
    project = Project(one)
    kept = lifecycle.spawn(project, DEBIAN)
    place = slot(project, "debian12")
    assert (kept.platform, kept.origin, kept.kind) == ("debian12", "dev", "container")
    assert kept.attach() == Container(ENGINES["podman"], kept.name, "/usr/bin/python3")
    assert place.read() == kept
    assert lifecycle.current(place) == kept
    lifecycle.destroy(place, kept)
    assert not alive(kept.keeper)
    assert not place.folder.exists()
    assert podman.calls()[-1] == f"podman rm -f -t 0 {kept.name}"


def test_spawn_interrupted_leaves_nothing(
    one: Path, podman: FakeBin, fake_keeper: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KEEPER", "slow")  # never up
    polls = iter(range(5))

    class Clock:
        monotonic = staticmethod(time.monotonic)

        @staticmethod
        def sleep(seconds: float) -> None:
            if next(polls) == 3:  # a Ctrl-C while waiting for the machine
                raise KeyboardInterrupt
            time.sleep(seconds)

    monkeypatch.setattr(lifecycle, "time", Clock)
    with pytest.raises(KeyboardInterrupt):
        lifecycle.spawn(Project(one), DEBIAN)
    (pid,) = fake_keeper
    assert lifecycle.exit_code(pid) == 0 or not alive(pid)  # stopped by SIGTERM
    assert not slot(Project(one), "debian12").folder.exists()
    engine, removal = podman.calls()[-2:]  # the keeper may have been killed: its container too
    assert engine == "podman info"
    assert removal.startswith("podman rm -f -t 0 modskel-web-debian12-")
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # a second Ctrl-C cannot cut it short


@pytest.mark.usefixtures("fake_keeper")
def test_a_stubborn_keeper_is_killed(one: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEEPER", "stubborn")
    monkeypatch.setattr(lifecycle, "STOP_TIMEOUT", 0.3)
    project = Project(one)
    kept = lifecycle.spawn(project, DEBIAN)
    started = time.monotonic()
    lifecycle.destroy(slot(project, "debian12"), kept)
    assert 0.3 <= time.monotonic() - started < 5
    assert not alive(kept.keeper)


def test_gone_machine_is_forgotten_once(
    one: Path, keeper_pid: int, podman: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = record(one, keeper_pid)
    said: list[str] = []
    monkeypatch.setenv("EXEC_RC", "125")  # podman rm -f by hand
    assert lifecycle.current(slot(Project(one), "debian12"), said.append) is None
    assert said == ["debian12: kept machine is gone (removed outside modskel); forgot it"]
    assert not alive(keeper_pid)  # asked to leave
    assert podman.calls()[-1] == f"podman rm -f -t 0 {kept.name}"
    assert lifecycle.current(slot(Project(one), "debian12"), said.append) is None
    assert len(said) == 1


def test_dead_keeper_is_forgotten(one: Path, podman: FakeBin) -> None:
    kept = record(one, _dead_pid())
    said: list[str] = []
    assert lifecycle.current(slot(Project(one), "debian12"), said.append) is None
    assert said == [("debian12: the keeper of the kept machine is gone (killed?); removed what was "
                    "left and forgot it")]  # fmt: skip
    assert podman.calls() == [f"podman rm -f -t 0 {kept.name}"]


@pytest.mark.usefixtures("one")
def test_a_machine_that_does_not_answer_in_time_is_kept(
    keeper_pid: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hangs(_self: Container, command: str, timeout: float = 300) -> None:
        raise subprocess.TimeoutExpired(command, timeout)

    monkeypatch.setattr(Container, "sh", hangs)
    kept = record(Path.cwd(), keeper_pid)
    assert lifecycle.current(slot(Project(Path.cwd()), "debian12")) == kept


def test_an_ssh_machine_is_not_removed_with_podman(
    one: Path, keeper_pid: int, podman: FakeBin
) -> None:
    address = {"host": "h", "user": "", "port": 0, "key": ""}
    target = {"type": "ssh", "name": "debian12", "ssh_config": "/nowhere", "python": "p",
              "address": address, "become": False}  # fmt: skip
    kept = record(one, keeper_pid, target=target)
    lifecycle.destroy(slot(Project(one), "debian12"), kept)
    assert podman.calls() == []
    assert not alive(keeper_pid)


def test_what_is_not_a_container_is_not_removed_with_an_engine(
    one: Path, keeper_pid: int, podman: FakeBin
) -> None:
    lifecycle._remove_container("modskel-web-vm12-abc123", "vm")
    kept = record(one, keeper_pid, target={"type": "container", "engine": "nerdctl"})
    lifecycle.destroy(slot(Project(one), "debian12"), kept)
    assert podman.calls() == []


# ---- list, destroy, clean ----


def test_list(
    one: Path, keeper_pid: int, podman: FakeBin, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert main(["dev", "list"]) == 0
    assert output_lines(capsys) == [
        "modskel dev: no kept machine: tox -e dev -- up PLATFORM keeps one"
    ]
    kept = record(one, keeper_pid, created=time.time() - 125)
    monkeypatch.setenv("PS_NAMES", f"{kept.name} modskel-web-debian12-0ld0ne")
    assert main(["dev", "list"]) == 0
    assert output_lines(capsys) == [
        (
            f"debian12         up 2 min   container/podman   {kept.name}  "
            "login: tox -e dev -- login debian12"
        ),
        (
            "modskel dev: modskel-web-debian12-0ld0ne: kept container without a record "
            "(its .modskel folder is gone): remove it with tox -e dev -- destroy --all"
        ),
    ]
    assert f"podman ps -a --filter label=io.modskel.run=kept:{one} --format {{{{.Names}}}}" in (
        podman.calls()
    )


def test_list_reports_a_stale_record_once(
    one: Path, keeper_pid: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record(one, keeper_pid)
    monkeypatch.setenv("EXEC_RC", "125")
    assert main(["dev", "list"]) == 0
    assert output_lines(capsys) == [
        "modskel dev: debian12: kept machine is gone (removed outside modskel); forgot it",
        "modskel dev: no kept machine: tox -e dev -- up PLATFORM keeps one",
    ]
    assert main(["dev", "list"]) == 0
    assert output_lines(capsys) == [
        "modskel dev: no kept machine: tox -e dev -- up PLATFORM keeps one"
    ]


@pytest.mark.usefixtures("one")
def test_list_without_an_engine(fake_bin: FakeBin, capsys: pytest.CaptureFixture[str]) -> None:
    (fake_bin.folder / "podman").unlink()
    assert main(["dev", "list"]) == 0
    assert output_lines(capsys) == [
        "modskel dev: no kept machine: tox -e dev -- up PLATFORM keeps one"
    ]


def test_destroy_one(
    one: Path, keeper_pid: int, podman: FakeBin, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = record(one, keeper_pid)
    assert main(["dev", "destroy"]) == 0
    assert output_lines(capsys) == [
        f"modskel dev: debian12: destroyed {kept.name} (container/podman)"
    ]
    assert not alive(keeper_pid)
    assert podman.calls()[-1] == f"podman rm -f -t 0 {kept.name}"
    assert slots(Project(one)) == []
    assert main(["dev", "destroy", "debian12"]) == 0
    assert output_lines(capsys) == ["modskel dev: debian12: no kept machine: nothing to destroy"]


def test_destroy_all(
    make_project: MakeProject, keeper_pid: int, podman: FakeBin, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    root = make_project()
    kept = [record(root, keeper_pid, "debian12"), record(root, _dead_pid(), "rocky9")]
    unreadable = slot(Project(root), "centos7")
    unreadable.folder.mkdir()
    unreadable.record.write_text("{", encoding="utf-8")
    monkeypatch.setenv("PS_NAMES", "modskel-web-debian12-0ld0ne")
    assert main(["dev", "destroy", "--all"]) == 0
    assert output_lines(capsys) == [
        f"modskel dev: debian12: destroyed {kept[0].name} (container/podman)",
        f"modskel dev: rocky9: destroyed {kept[1].name} (container/podman)",
        "modskel dev: removed modskel-web-debian12-0ld0ne, a kept container without a record",
        "modskel dev: destroyed 3 kept machine(s)",
    ]
    assert podman.calls()[-1] == "podman rm -f -t 0 modskel-web-debian12-0ld0ne"
    assert slots(Project(root)) == []


def test_clean_destroys_kept_machines(
    one: Path, keeper_pid: int, podman: FakeBin, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = record(one, keeper_pid)
    assert main(["clean"]) == 0
    assert output_lines(capsys) == [
        f"destroyed 1 kept machine(s) (tox -e dev): {kept.name}",
        "removed 0 container(s) labelled io.modskel.harness: -",
    ]
    assert not alive(keeper_pid)
    assert f"podman rm -f -t 0 {kept.name}" in podman.calls()
