"""The plugin and kept machines: the gate's ``--keep``, and ``--modskel-kept`` (``dev verify``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import exactly, write_project
from dev_fakes import CHANGED, QUIET, keeper_pid_fixture, podman_fixture, record  # noqa: F401 - fixtures, used by name
from pytest_modskel.commands.dev import lifecycle
from pytest_modskel.commands.dev.state import Kept, Runs, alive, slot, slots
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.platforms import Platform
from pytest_modskel.plugin import fixtures, keep
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import PlaybookRun

RUN_ID = "run42"
ONE = "- id: debian12\n  image: docker.io/library/debian:bookworm\n"
TESTS = """\
def test_converged(converge):
    assert converge.first.output == "ok"

def test_{outcome}(instance):
    assert instance.name.startswith("modskel-web-debian12-")
    assert {passes}
"""


@pytest.fixture(autouse=True)
def _run_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODSKEL_RUN_ID", RUN_ID)
    monkeypatch.delenv("MODSKEL_KEEP", raising=False)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:hypothesispytest", "-p", "no:cacheprovider", *args, no_reraise_ctrlc=True
    )


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch, keeper_pid: int) -> list[Kept]:
    """Make keepers stand-ins: records of a live process, kept in this list."""
    made: list[Kept] = []

    def spawn(project: Project, platform: Platform, origin: str) -> Kept:
        made.append(record(project.root, keeper_pid, platform.id, origin=origin))
        return made[-1]

    monkeypatch.setattr(lifecycle, "spawn", spawn)
    return made


def _converges(monkeypatch: pytest.MonkeyPatch, *runs: PlaybookRun) -> list[bool]:
    """Hand out ``runs`` as converges; return the diff modes they were asked in."""
    left, diffs = list(runs), []

    def converge(
        _project: Project, _inventory: Path, _workdir: Path, *, diff: bool = False
    ) -> PlaybookRun:
        diffs.append(diff)
        return left.pop(0)

    monkeypatch.setattr(fixtures, "run_playbook", converge)
    return diffs


def _project(pytester: pytest.Pytester, *, passes: bool) -> Project:
    write_project(pytester.path, platforms=ONE)
    outcome = "passes" if passes else "fails"
    pytester.makepyfile(test_role=TESTS.format(outcome=outcome, passes=passes))
    return Project(pytester.path)


def _notes(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if line.startswith("modskel: debian12: ")
            and not line.endswith(("…", " s"))]  # fmt: skip


@pytest.mark.usefixtures("podman")
def test_keep_on_failure_keeps_a_failed_platform(
    pytester: pytest.Pytester, spawned: list[Kept], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(pytester, passes=False)
    diffs = _converges(monkeypatch, CHANGED, QUIET)
    result = run(pytester, "--keep=failure")
    result.assert_outcomes(passed=1, failed=1)
    (kept,) = spawned
    assert kept.origin == f"gate:{RUN_ID}"
    assert _notes(result) == [
        (
            f"modskel: debian12: kept {kept.name} (a test failed): log in with "
            "`tox -e dev -- login debian12`, remove it with `tox -e dev -- destroy debian12`"
        )
    ]
    assert alive(kept.keeper)
    assert diffs == [False, True]
    place = slot(project, "debian12")
    assert place.runs() == Runs(CHANGED, QUIET)  # `tox -e dev -- verify` can run at once
    assert place.failed_marker.exists()


@pytest.mark.parametrize(
    ("args", "env"), [(["--keep=failure"], ""), ([], "failure")], ids=["option", "variable"]
)
@pytest.mark.usefixtures("podman")
def test_keep_on_failure_destroys_a_passed_platform(
    pytester: pytest.Pytester,
    spawned: list[Kept],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: str,
) -> None:
    if env:
        monkeypatch.setenv("MODSKEL_KEEP", env)
    project = _project(pytester, passes=True)
    _converges(monkeypatch, CHANGED, QUIET)
    result = run(pytester, *args)
    result.assert_outcomes(passed=2)
    (kept,) = spawned
    assert _notes(result) == [
        f"modskel: debian12: its tests passed: destroyed the kept {kept.name}"
    ]
    assert not alive(kept.keeper)
    assert slots(project) == []


@pytest.mark.usefixtures("podman")
def test_keep_always_replaces_a_machine_kept_before(
    pytester: pytest.Pytester, spawned: list[Kept], monkeypatch: pytest.MonkeyPatch,
    keeper_pid: int,
) -> None:  # fmt: skip
    project = _project(pytester, passes=True)
    earlier = record(project.root, keeper_pid)
    stopped: list[str] = []
    monkeypatch.setattr(lifecycle, "destroy", lambda _place, kept: stopped.append(kept.name))
    _converges(monkeypatch, CHANGED, QUIET)
    result = run(pytester, "--keep=always")
    result.assert_outcomes(passed=2)
    (kept,) = spawned
    assert stopped == [earlier.name]
    assert _notes(result) == [
        f"modskel: debian12: destroyed {earlier.name} (kept before): this run keeps its own",
        (
            f"modskel: debian12: kept {kept.name} (--keep=always): log in with "
            "`tox -e dev -- login debian12`, remove it with `tox -e dev -- destroy debian12`"
        ),
    ]


@pytest.mark.usefixtures("podman")
def test_an_interrupted_run_keeps_its_machine(
    pytester: pytest.Pytester, spawned: list[Kept], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path, platforms=ONE)
    pytester.makepyfile("def test_a(converge):\n    raise KeyboardInterrupt\n")
    _converges(monkeypatch, CHANGED, QUIET)
    result = run(pytester, "--keep=failure")
    (kept,) = spawned
    assert any(line.startswith(f"modskel: debian12: kept {kept.name} (interrupted)")
               for line in result.outlines)  # fmt: skip


@pytest.mark.usefixtures("podman")
def test_a_machine_that_does_not_start_is_not_kept(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, keeper_pid: int
) -> None:
    project = _project(pytester, passes=True)
    other = record(project.root, keeper_pid, "rocky9")  # kept by `modskel dev`: left alone

    def spawn(_project: Project, _platform: Platform, _origin: str) -> Kept:
        raise SetupError("debian12: could not start img with podman: no space")  # noqa: EM101, TRY003

    monkeypatch.setattr(lifecycle, "spawn", spawn)
    result = run(pytester, "--keep=failure")
    result.assert_outcomes(errors=2)
    assert "debian12: debian12: could not start img with podman: no space" in result.outlines
    assert _notes(result) == []
    assert slots(project) == [slot(project, "rocky9")]
    assert slot(project, "rocky9").read() == other


@pytest.mark.usefixtures("podman")
def test_a_converge_that_fails_is_recorded(
    pytester: pytest.Pytester, spawned: list[Kept], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(pytester, passes=True)
    failed = PlaybookRun(2, "boom", ())
    _converges(monkeypatch, failed)
    run(pytester, "--keep=always").assert_outcomes(passed=1, errors=1)
    assert len(spawned) == 1
    assert slot(project, "debian12").runs() == Runs(failed, None)


def test_ssh_hosts_are_never_kept(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_modskel import drivers  # noqa: PLC0415
    from pytest_modskel.drivers.base import Driver  # noqa: PLC0415
    from test_plugin import Lab  # noqa: PLC0415 - the plugin tests' fake driver

    lab = Lab()
    monkeypatch.setattr(drivers, "registry",
                        lambda: {"ssh": Driver("fake", lab.preflight, lab.start)})  # fmt: skip
    monkeypatch.setattr(lifecycle, "spawn", lambda *_: pytest.fail("an ssh host was kept"))
    write_project(pytester.path, platforms="- id: lab\n  image: ssh://lab\n  kind: ssh\n")
    pytester.makepyfile("def test_a(instance):\n    pass\n")
    run(pytester, "--keep=always").assert_outcomes(passed=1)
    assert lab.events == ["start lab", "stop lab"]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], "sometimes", ("MODSKEL_KEEP='sometimes' is not a keep mode: "
                          "set it to never, failure or always")),
        (["--keep=failure", "--dist", "load"], "", ("--keep=failure needs each platform's tests "
         "on one worker, not --dist load: add --dist loadgroup")),
    ],
    ids=["bad-variable", "tests-spread-over-workers"],
)  # fmt: skip
def test_keep_usage_errors(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: list[str], env: str,
    message: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("MODSKEL_KEEP", env)
    write_project(pytester.path, platforms=ONE)
    pytester.makepyfile("def test_a():\n    pass\n")
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"ERROR: {message}" in result.errlines


def test_keep_mode_outside_a_run() -> None:
    class Config:
        @staticmethod
        def getoption(_name: str, _default: object = None) -> str:
            return "often"

    with pytest.raises(ConfigError, match=exactly(
        "MODSKEL_KEEP='often' is not a keep mode: set it to never, failure or always"
    )):  # fmt: skip
        keep.keep_mode(Config())  # type: ignore[arg-type]


def test_a_bad_variable_is_ignored_outside_a_role_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODSKEL_KEEP", "sometimes")
    pytester.makepyfile("def test_a():\n    pass\n")
    run(pytester).assert_outcomes(passed=1)


# ---- --modskel-kept: what `modskel dev verify` runs ----

CONVERGE_CHECKS = """\
def test_converge_ran_tasks(converge):
    assert False, "judges a fresh machine: deselected"
"""
ROLE_TESTS = """\
def test_host(converge, instance):
    assert converge.first.output == "ok"
    assert converge.second is None
    assert instance.name == "modskel-web-debian12-abc123"
"""


@pytest.mark.usefixtures("podman")
def test_kept_machine_is_tested_as_last_converged(
    pytester: pytest.Pytester, keeper_pid: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path, platforms=ONE)
    pytester.makepyfile(test_idempotence=CONVERGE_CHECKS, test_role=ROLE_TESTS)
    record(pytester.path, keeper_pid)
    slot(Project(pytester.path), "debian12").save_runs(Runs(CHANGED, None))
    _converges(monkeypatch)  # none: a converge would fail the test
    monkeypatch.setattr(lifecycle, "spawn", lambda *_: pytest.fail("a machine was started"))
    result = run(pytester, "--modskel-kept", "-v")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["modskel: debian12: attach…", "modskel: debian12: attach * s"])
    assert alive(keeper_pid)  # verify never destroys


@pytest.mark.parametrize(
    ("kept", "message"),
    [
        (False, "debian12: debian12 has no kept machine: start one with tox -e dev -- up debian12"),
        (True, ("nothing converged on the kept machine of debian12 yet: "
               "run tox -e dev -- converge debian12")),
    ],
    ids=["no-machine", "not-converged"],
)  # fmt: skip
@pytest.mark.usefixtures("podman")
def test_kept_machine_must_be_there(
    pytester: pytest.Pytester,
    keeper_pid: int,
    kept: bool,  # noqa: FBT001
    message: str,
) -> None:
    write_project(pytester.path, platforms=ONE)
    pytester.makepyfile(test_role=ROLE_TESTS)
    if kept:
        record(pytester.path, keeper_pid)
    result = run(pytester, "--modskel-kept")
    result.assert_outcomes(errors=1)
    assert message in result.outlines
