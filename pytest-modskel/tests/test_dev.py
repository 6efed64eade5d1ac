"""``modskel dev``: records of kept machines, and each verb, against fake keepers and podman."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FakeBin, MakeProject, exactly
from dev_fakes import (  # noqa: F401 - fixtures, used by name
    CHANGED,
    DIFF,
    FAILED,
    ONE,
    QUIET,
    Converges,
    fake_keeper_fixture,
    keeper_pid_fixture,
    one_fixture,
    output_lines,
    podman_fixture,
    record,
    task,
)
from pytest_modskel.commands import dev, main
from pytest_modskel.commands.dev import lifecycle
from pytest_modskel.commands.dev.state import Kept, Runs, Slot, alive, slot, slots
from pytest_modskel.drivers import kept
from pytest_modskel.drivers.container import ENGINES, Container
from pytest_modskel.drivers.ssh import Address, SshTarget
from pytest_modskel.errors import ConfigError
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import PlaybookRun

PODMAN = ENGINES["podman"]
SSH = SshTarget("vm12", Path("/w/ssh_config"), Address("127.0.0.1", "root", 2222, "/w/key"),
                "/usr/bin/python3")  # fmt: skip
NAME = "modskel-web-debian12-abc123"


# ---- drivers/kept.py: a target written down and reached again ----


@pytest.mark.parametrize(
    "target",
    [Container(PODMAN, "box", "/usr/bin/python3"), Container(ENGINES["docker"], "b"), SSH,
     SshTarget("h", Path("/c"), Address("h"), become=True)],
    ids=["podman", "docker", "vm", "ssh-become"],
)  # fmt: skip
def test_describe_and_attach(target: Container | SshTarget) -> None:
    described = kept.describe(target)
    assert json.loads(json.dumps(described)) == described
    assert kept.attach(described) == target


def test_describe_refuses_other_targets() -> None:
    from test_plugin import FakeTarget, Machine  # noqa: PLC0415

    expected = (
        "machine box is a FakeTarget, which modskel dev cannot keep (it keeps containers and "
        "machines reached over ssh): test it with tox -e integration"
    )
    with pytest.raises(ConfigError, match=exactly(expected)):
        kept.describe(FakeTarget("box", Machine()))
    with pytest.raises(ConfigError, match=exactly(expected)):
        kept.login_command(FakeTarget("box", Machine()))


@pytest.mark.parametrize(
    "described",
    [{"type": "lxd", "name": "x"}, {"type": "container", "engine": "lxc", "name": "x"}],
    ids=["unknown-type", "unknown-engine"],
)
def test_attach_refuses_what_it_does_not_know(described: dict[str, str]) -> None:
    with pytest.raises(
        ConfigError,
        match=exactly(
            f"a kept machine's record describes an unknown machine {described!r}: "
            "remove it with modskel dev destroy --all"
        ),
    ):
        kept.attach(described)


def test_login_commands() -> None:
    box = Container(PODMAN, "box")
    assert kept.login_command(box) == ["podman", "exec", "-it", "box", "sh", "-c", kept.SHELL]
    assert kept.login_command(box, ["cat", "/etc/os-release"]) == [
        "podman", "exec", "-i", "box", "cat", "/etc/os-release"]  # fmt: skip
    assert kept.login_command(SSH) == ["ssh", "-F", "/w/ssh_config", "vm12"]
    assert kept.login_command(SSH, ["id"]) == ["ssh", "-F", "/w/ssh_config", "vm12", "id"]
    assert kept.login_hint(box) == "podman exec -it box bash"
    assert kept.login_hint(SSH) == "ssh -F /w/ssh_config vm12"


@pytest.mark.parametrize(
    ("shell", "prompt"), [("/bin/bash", "bash"), ("/bin/dash", "sh")], ids=["bash", "sh-only"]
)
def test_login_shell_falls_back_to_sh(tmp_path: Path, shell: str, prompt: str) -> None:
    if not Path(shell).exists():
        pytest.skip(f"{shell} is not installed here")
    bin_dir = tmp_path / "only"
    bin_dir.mkdir()
    (bin_dir / "sh").symlink_to(Path("/bin/sh").resolve())
    if prompt == "bash":
        (bin_dir / "bash").symlink_to(shell)
    env = {"PATH": str(bin_dir)}
    done = subprocess.run(["/bin/sh", "-c", kept.SHELL], input="echo $0\n", env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.stdout.strip().rsplit("/", 1)[-1].lstrip("-") == prompt


def test_run_id_is_the_project_path(tmp_path: Path) -> None:
    assert kept.run_id(tmp_path / "x" / "..") == f"kept:{tmp_path}"


# ---- state.py: records, converges, folders ----


def _kept(**changes: object) -> Kept:
    fields = {
        "platform": "debian12",
        "kind": "container",
        "keeper": 1,
        "created": 1000.0,
        "name": NAME,
        "origin": "dev",
        "target": {"type": "container", "engine": "podman", "name": NAME, "python": "p"},
    }
    return Kept(**{**fields, **changes})  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(-5, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "59 min"), (7200, "2 h"), (90000, "1 d")],
    ids=["clock-skew", "seconds", "a-minute", "minutes", "hours", "days"],
)
def test_age(seconds: float, shown: str) -> None:
    assert _kept().age(now=1000.0 + seconds) == shown
    assert _kept(created=0.0).age().endswith(" d")


@pytest.mark.parametrize(
    ("kind", "target", "shown"),
    [("container", {"type": "container", "engine": "docker"}, "container/docker"),
     ("vm", {"type": "ssh"}, "vm/ssh"), ("ssh", {"type": "ssh"}, "ssh")],
    ids=["container", "vm", "ssh"],
)  # fmt: skip
def test_engine(kind: str, target: dict[str, str], shown: str) -> None:
    assert _kept(kind=kind, target=target).engine == shown


def test_record_round_trip(tmp_path: Path) -> None:
    place = Slot(tmp_path / "debian12")
    assert place.read() is None
    place.folder.mkdir()
    place.write(_kept())
    assert place.read() == _kept()
    assert _kept().attach() == Container(PODMAN, NAME, "p")
    assert not place.record.with_suffix(".partial").exists()
    place.record.write_text("{", encoding="utf-8")
    assert place.read() is None
    place.record.write_text('{"platform": "x"}', encoding="utf-8")
    assert place.read() is None


def test_runs_round_trip(tmp_path: Path) -> None:
    place = Slot(tmp_path)
    assert place.runs() == Runs()
    place.save_runs(Runs(CHANGED, None))
    assert place.runs() == Runs(CHANGED, None)
    tagged = PlaybookRun(0, "", (replace(task("T", 1, "changed"), tags=("a", "b")),))
    place.save_runs(Runs(FAILED, tagged))
    assert place.runs() == Runs(FAILED, tagged)


def test_forget(tmp_path: Path) -> None:
    place = Slot(tmp_path / "debian12")
    place.forget(keep_log=True)  # nothing there: nothing to do
    (place.workdir / "sub").mkdir(parents=True)
    place.log.write_text("boot\n", encoding="utf-8")
    place.record.write_text("{}", encoding="utf-8")
    place.forget(keep_log=True)
    assert [p.name for p in place.folder.iterdir()] == ["keeper.log"]
    place.forget()
    assert not place.folder.exists()


def test_slots_are_folders_with_a_record(make_project: MakeProject) -> None:
    project = Project(make_project())
    assert slots(project) == []
    for name in ("rocky9", "debian12", "empty"):
        (project.root / ".modskel" / "machines" / name).mkdir(parents=True)
    for name in ("rocky9", "debian12"):
        slot(project, name).record.write_text("{}", encoding="utf-8")
    assert [s.platform for s in slots(project)] == ["debian12", "rocky9"]


def test_alive(keeper_pid: int) -> None:
    assert alive(keeper_pid)
    assert not alive(os.getpid())  # alive, but not a keeper
    assert not alive(2**22 + 1)  # no such process
    child = subprocess.Popen([sys.executable, "-c", "", "pytest_modskel.commands.keeper"])
    while Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        pass  # a zombie: ended, not yet reaped
    assert not alive(child.pid)
    child.wait()


# ---- the verbs, through `modskel dev` ----


def _without_times(lines: list[str]) -> list[str]:
    """Replace the seconds in lines by S (they vary)."""
    import re  # noqa: PLC0415

    return [re.sub(r"\d+\.\d s", "S s", line) for line in lines]


@pytest.mark.usefixtures("fake_keeper")
def test_up_keeps_a_machine_once(one: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "up"]) == 0
    kept_now = slot(Project(one), "debian12").read()
    assert kept_now is not None
    assert alive(kept_now.keeper)
    name = kept_now.name
    assert _without_times(output_lines(capsys)) == [
        "modskel dev: debian12: start…",
        f"modskel dev: debian12: kept {name}: container/podman, up in S s",
        (
            "modskel dev: debian12: log in: tox -e dev -- login debian12  "
            f"(or podman exec -it {name} bash)"
        ),
        "modskel dev: debian12: destroy: tox -e dev -- destroy debian12",
    ]
    assert main(["dev", "up", "debian12"]) == 0
    assert (
        output_lines(capsys)[0]
        == f"modskel dev: debian12: {name} is kept already (up 0 s): nothing to do"
    )
    assert slot(Project(one), "debian12").read() == kept_now


@pytest.mark.parametrize(
    ("mode", "code", "message"),
    [
        ("fail", 3, "debian12: could not start img with podman: no space"),
        ("usage", 2, "debian12: platform debian12 has unknown kind 'lxd'"),
        ("crash", 3, ("the keeper of debian12 exited (1) before the machine was up: "
                     "ZeroDivisionError: division by zero: see {log}")),
    ],
    ids=["setup-error", "usage-error", "crash"],
)  # fmt: skip
@pytest.mark.usefixtures("fake_keeper", "one")
def test_up_reports_why_the_keeper_stopped(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    code: int,
    message: str,
) -> None:
    monkeypatch.setenv("FAKE_KEEPER", mode)
    assert main(["dev", "up"]) == code
    place = slot(Project(Path.cwd()), "debian12")
    assert output_lines(capsys)[-1] == f"modskel dev: error: {message.format(log=place.log)}"
    assert [p.name for p in place.folder.iterdir()] == ["keeper.log"]  # the log, for the record


def _converge(monkeypatch: pytest.MonkeyPatch, *runs: PlaybookRun) -> Converges:
    fake = Converges(list(runs))
    monkeypatch.setattr(dev, "run_playbook", fake)
    return fake


RECAP = [
    "modskel dev: debian12: converge: 2 changed, 1 ok",
    "  - Config [changed] (tasks/main.yml:8)",
    *(f"      {line}" for line in DIFF.splitlines()),
    "  - Restart [changed] (tasks/main.yml:30)",  # no diff: no hint either, this is no failure
]


@pytest.mark.usefixtures("fake_keeper")
def test_converge_starts_once_then_reuses_the_machine(
    one: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    converges = _converge(monkeypatch, CHANGED, QUIET)
    assert main(["dev", "converge"]) == 0
    lines = _without_times(output_lines(capsys))
    assert lines[0] == "modskel dev: debian12: start…"
    assert lines[1:] == ["modskel dev: debian12: converge…", *RECAP,
                         "modskel dev: debian12: start S s, converge S s"]  # fmt: skip
    name = slot(Project(one), "debian12").read().name  # type: ignore[union-attr]
    assert converges.inventories == [
        (
            f"{name} ansible_connection=modskel_container modskel_engine=podman "
            "ansible_pipelining=true ansible_python_interpreter=/usr/bin/python3\n"
        )
    ]
    assert converges.diffs == [True]
    assert slot(Project(one), "debian12").runs() == Runs(CHANGED, None)
    assert main(["dev", "converge", "debian12"]) == 0
    assert _without_times(output_lines(capsys)) == [
        "modskel dev: debian12: converge…",
        "modskel dev: debian12: converge: 0 changed, 2 ok",
        "modskel dev: debian12: converge S s",  # no start: the same machine
    ]
    assert converges.inventories[1] == converges.inventories[0]


@pytest.mark.parametrize(
    ("run", "shown"),
    [
        (FAILED, ["modskel dev: debian12: converge: 0 changed, 1 ok, 1 failed",
                  "  - Start [failed] (tasks/main.yml:14): Unable to start web"]),
        (PlaybookRun(4, "ERROR! the role 'acme.web' was not found\n", ()),
         ["modskel dev: debian12: converge: 0 changed",
          "  ansible-playbook exited 4; its last lines:",
          "    ERROR! the role 'acme.web' was not found"]),
    ],
    ids=["failed-task", "playbook-error"],
)  # fmt: skip
@pytest.mark.usefixtures("one")
def test_converge_failure(
    keeper_pid: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    run: PlaybookRun,
    shown: list[str],
) -> None:
    one = Path.cwd()
    record(one, keeper_pid)
    _converge(monkeypatch, run)
    assert main(["dev", "converge"]) == 1
    assert _without_times(output_lines(capsys)) == ["modskel dev: debian12: converge…", *shown,
                                            "modskel dev: debian12: converge S s"]  # fmt: skip
    assert slot(Project(one), "debian12").runs() == Runs(run, None)


def test_idempotence_converges_first_when_needed(
    one: Path, keeper_pid: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record(one, keeper_pid)
    _converge(monkeypatch, CHANGED, QUIET)
    assert main(["dev", "idempotence"]) == 0
    assert _without_times(output_lines(capsys)) == [
        "modskel dev: debian12: converge…", *RECAP,
        "modskel dev: debian12: idempotence…",
        "modskel dev: debian12: idempotence: 0 changed, 2 ok",
        "modskel dev: debian12: converge S s, idempotence S s",
        "modskel dev: debian12: idempotent: the second converge changed nothing",
    ]  # fmt: skip
    assert slot(Project(one), "debian12").runs() == Runs(CHANGED, QUIET)


def test_idempotence_reports_like_the_gate(
    one: Path, keeper_pid: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record(one, keeper_pid)
    slot(Project(one), "debian12").save_runs(Runs(CHANGED, None))
    optout = replace(task("Refresh", 20, "changed"), tags=("modskel-idempotence-notest",))
    _converge(monkeypatch, PlaybookRun(0, "", (*CHANGED.results, optout)),
              PlaybookRun(0, "", (optout,)))  # fmt: skip
    assert main(["dev", "idempotence"]) == 1
    lines = output_lines(capsys)
    assert lines[0] == "modskel dev: debian12: idempotence…"  # the recorded converge is reused
    report = lines.index("modskel dev: not idempotent on debian12: the second converge changed or "
                         "failed 2 task(s):")  # fmt: skip
    assert lines[report + 1 : report + 3] == ["  - Config [changed] (tasks/main.yml:8)",
                                              "      --- before: /etc/web.conf"]  # fmt: skip
    assert lines[report + 7 :] == [  # the gate's hint, as in the gate
        "  - Restart [changed] (tasks/main.yml:30)",
        "      (no diff reported: for command or shell, add creates:, removes: or changed_when:)",
        "left out of the check by tag (modskel-idempotence-notest, molecule-idempotence-notest):",
        "  - Refresh (tasks/main.yml:20)",
    ]
    assert main(["dev", "idempotence"]) == 0
    assert output_lines(capsys)[-2:] == [
        "modskel dev: debian12: idempotent: the second converge changed nothing",
        (
            "modskel dev: debian12: idempotence check skipped 1 changed task(s) by tag: "
            "Refresh (tasks/main.yml:20)"
        ),
    ]


def test_idempotence_stops_at_a_failed_converge(
    one: Path, keeper_pid: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record(one, keeper_pid)
    slot(Project(one), "debian12").save_runs(Runs(FAILED, None))
    converges = _converge(monkeypatch, FAILED)
    assert main(["dev", "idempotence"]) == 1
    assert "modskel dev: debian12: idempotence…" not in output_lines(capsys)
    assert converges.runs == []


@pytest.mark.parametrize(
    ("passed", "where"),
    [([], ["tests/integration"]), (["-k", "config", "-x"], ["tests/integration"]),
     (["tests/integration/test_role.py::test_a"], [])],
    ids=["all", "options", "a-test-id"],
)  # fmt: skip
def test_verify_runs_pytest_on_the_kept_machine(
    one: Path, keeper_pid: int, monkeypatch: pytest.MonkeyPatch, passed: list[str],
    where: list[str],
) -> None:  # fmt: skip
    (one / "tests" / "integration" / "test_role.py").touch()
    record(one, keeper_pid)
    slot(Project(one), "debian12").save_runs(Runs(CHANGED, None))
    ran: list[tuple[list[str], Path]] = []

    real_run = subprocess.run

    def fake_run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if cmd[0] != sys.executable:  # the engine, checking that the machine is up
            return real_run(cmd, **kwargs)  # type: ignore[call-overload, no-any-return]
        assert kwargs == {"cwd": one, "check": False}
        ran.append((cmd, one))
        return subprocess.CompletedProcess(cmd, 5)

    monkeypatch.setattr(subprocess, "run", fake_run)
    assert main(["dev", "verify", "debian12", "--", *passed]) == 5
    assert ran == [([sys.executable, "-m", "pytest", *where, "--modskel-kept", "--platforms",
                     "debian12", *passed], one)]  # fmt: skip


def test_verify_needs_a_converged_machine(
    one: Path, keeper_pid: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dev", "verify"]) == 2
    assert output_lines(capsys) == [
        (
            "modskel dev: error: debian12 has no kept machine: start one with "
            "tox -e dev -- up debian12"
        )
    ]
    record(one, keeper_pid)
    assert main(["dev", "verify"]) == 2
    assert output_lines(capsys) == [
        (
            "modskel dev: error: nothing converged on the kept machine of debian12 yet: "
            "run tox -e dev -- converge debian12"
        )
    ]


def test_login(
    one: Path, keeper_pid: int, podman: FakeBin, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    record(one, keeper_pid)
    assert main(["dev", "login", "--", "cat", "/etc/os-release"]) == 0
    assert capfd.readouterr().out == "ran: cat /etc/os-release\n"
    assert podman.calls()[-1] == f"podman exec -i {NAME} cat /etc/os-release"
    assert main(["dev", "login"]) == 0
    assert podman.calls()[-1] == f"podman exec -it {NAME} sh -c {kept.SHELL}"
    monkeypatch.setenv("EXEC_RC", "7")
    lifecycle_checked = podman.calls()
    monkeypatch.setattr(lifecycle, "machine_alive", lambda _kept: True)
    assert main(["dev", "login", "--", "false"]) == 7
    assert len(podman.calls()) == len(lifecycle_checked) + 1


def test_arguments_after_dashes_only_for_verify_and_login(
    one: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert one.is_dir()
    assert main(["dev", "converge", "--", "-k", "x"]) == 2
    assert output_lines(capsys) == [
        "modskel dev: error: modskel dev converge takes no arguments after --, got '-k x'"
    ]


def test_all_goes_with_destroy_only(one: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert one.is_dir()
    assert main(["dev", "converge", "--all"]) == 2
    assert output_lines(capsys) == [
        "modskel dev: error: --all goes with destroy, not with converge: name a platform instead"
    ]


def test_other_commands_keep_their_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["docs", "--", "--check"])
    assert caught.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .startswith("modskel: error: unrecognized arguments:")
    )


@pytest.mark.parametrize(
    ("platforms", "argv", "message"),
    [
        (None, ["dev", "up"], ("name a platform, e.g. tox -e dev -- converge ID: this project has "
                              "debian12, rocky9")),
        ("", ["dev", "up"], ("name a platform, e.g. tox -e dev -- converge ID: this project has "
                            "(none)")),
        (None, ["dev", "up", "debian12,rocky9"], ("modskel dev works on one platform at a time, "
                                                 "not 'debian12,rocky9': name one id")),
        (None, ["dev", "up", "nosuch"], ("unknown platform nosuch: choose from debian12, rocky9 "
         "(tests/integration/platforms.yml and [tool.modskel.platforms] in pyproject.toml)")),
    ],
    ids=["two-platforms", "no-platform", "a-list", "unknown"],
)  # fmt: skip
def test_platform_must_be_one(
    make_project: MakeProject,
    capsys: pytest.CaptureFixture[str],
    platforms: str | None,
    argv: list[str],
    message: str,
) -> None:
    if platforms is None:
        make_project()
    else:
        make_project(platforms="[]\n")
    assert main(argv) == 2
    assert output_lines(capsys) == [f"modskel dev: error: {message}"]


@pytest.mark.usefixtures("fake_keeper")
def test_selected_platform_is_the_default(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch, podman: FakeBin
) -> None:
    root = make_project()
    monkeypatch.setenv("MODSKEL_PLATFORMS", "rocky9")
    assert podman.folder.is_dir()
    assert main(["dev", "up"]) == 0
    assert [s.platform for s in slots(Project(root))] == ["rocky9"]
