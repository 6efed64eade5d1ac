"""End-of-run figures and notes, and how xdist workers hand them to the controller."""

from __future__ import annotations

import io
import sys
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pytest_modskel.plugin import report


@pytest.fixture
def config(pytester: pytest.Pytester) -> pytest.Config:
    """A fresh pytest config (the stash of this run's own config stays untouched)."""
    return pytester.parseconfig()


def test_notes_are_kept_once(config: pytest.Config) -> None:
    assert report.notes(config) == []
    report.note(config, "virtual machines use TCG")
    report.note(config, "virtual machines use TCG")
    report.note(config, "second")
    assert report.notes(config) == ["virtual machines use TCG", "second"]


def test_add_time_sums_by_platform_and_phase(config: pytest.Config) -> None:
    report.add_time(config, "debian12", "converge", 1.5)
    report.add_time(config, "debian12", "converge", 2.0)
    report.add_time(config, "debian12", "verify", 0.25)
    report.add_time(config, "rocky9", "start", 3.0)
    assert report.timings(config) == {
        "debian12": {"converge": 3.5, "verify": 0.25}, "rocky9": {"start": 3.0}
    }  # fmt: skip


def test_timed_counts_a_failing_block(config: pytest.Config) -> None:
    with pytest.raises(RuntimeError, match="converge broke"), report.timed(config, "d", "converge"):
        raise RuntimeError("converge broke")  # noqa: EM101, TRY003
    with report.timed(config, "d", "converge"):
        pass
    (seconds,) = report.timings(config)["d"].values()
    assert 0.0 <= seconds < 5.0


def test_merge_sums_what_workers_sent(config: pytest.Config) -> None:
    report.add_time(config, "debian12", "start", 1.0)
    report.note(config, "shared note")
    report.merge(config, {"timings": {"debian12": {"start": 2.0, "converge": 4.0}},
                          "notes": ["shared note", "worker note"]})  # fmt: skip
    report.merge(config, {"timings": {"rocky9": {"start": 5.0}}})
    report.merge(config, {})
    assert report.timings(config) == {
        "debian12": {"start": 3.0, "converge": 4.0}, "rocky9": {"start": 5.0}
    }  # fmt: skip
    assert report.notes(config) == ["shared note", "worker note"]


def test_lines(config: pytest.Config) -> None:
    assert report.lines(config) == []
    report.add_time(config, "debian12", "start", 1.04)
    report.add_time(config, "debian12", "converge", 12.36)
    report.add_time(config, "vm12", "start", 61.0)
    report.note(config, "virtual machines use TCG (MODSKEL_VM_ACCEL=tcg)")
    assert report.lines(config) == [
        "modskel: virtual machines use TCG (MODSKEL_VM_ACCEL=tcg)",
        "modskel: debian12: start 1.0 s, converge 12.4 s",
        "modskel: vm12: start 61.0 s",
    ]


def _session(config: pytest.Config) -> pytest.Session:
    return cast("pytest.Session", SimpleNamespace(config=config))


def test_worker_sends_its_figures(config: pytest.Config) -> None:
    workeroutput: dict[str, Any] = {}
    config.workeroutput = workeroutput  # type: ignore[attr-defined]  # as xdist sets it
    report.add_time(config, "debian12", "verify", 0.5)
    report.note(config, "a note")
    report.pytest_sessionfinish(_session(config))
    assert workeroutput == {
        report.OUTPUT_KEY: {"timings": {"debian12": {"verify": 0.5}}, "notes": ["a note"]}
    }


def test_controller_sends_nothing(config: pytest.Config) -> None:
    report.add_time(config, "debian12", "verify", 0.5)
    report.pytest_sessionfinish(_session(config))
    assert not hasattr(config, "workeroutput")


def test_testnodedown_merges_a_worker(config: pytest.Config) -> None:
    sent = {"timings": {"debian12": {"converge": 7.0}}, "notes": ["from gw0"]}
    report.pytest_testnodedown(
        SimpleNamespace(config=config, workeroutput={report.OUTPUT_KEY: sent}), None
    )
    report.pytest_testnodedown(
        SimpleNamespace(config=config, workeroutput={report.OUTPUT_KEY: sent}), None
    )
    assert report.lines(config) == ["modskel: from gw0", "modskel: debian12: converge 14.0 s"]


@pytest.mark.parametrize(
    "node",
    [{}, {"workeroutput": {}}, {"workeroutput": {report.OUTPUT_KEY: {}}}],
    ids=["crashed-worker", "no-report", "empty-report"],
)
def test_testnodedown_without_figures(config: pytest.Config, node: dict[str, Any]) -> None:
    report.pytest_testnodedown(SimpleNamespace(config=config, **node), RuntimeError("crashed"))
    assert report.lines(config) == []


def test_terminal_summary(config: pytest.Config) -> None:
    written: list[str] = []
    reporter = SimpleNamespace(config=config, write_line=written.append)
    report.note(config, "note")
    report.add_time(config, "debian12", "start", 2.0)
    report.pytest_terminal_summary(cast("pytest.TerminalReporter", reporter))
    assert written == ["modskel: note", "modskel: debian12: start 2.0 s"]


def test_progress_on_the_terminal(
    config: pytest.Config, capsys: pytest.CaptureFixture[str]
) -> None:
    written: list[str] = []
    reporter = SimpleNamespace(write_line=written.append)
    config.pluginmanager.register(reporter, "terminalreporter")
    report.progress(config, "debian12", "converge")
    assert written == ["modskel: debian12: converge…"]
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("worker", [True, False], ids=["xdist-worker", "no-terminal"])
def test_progress_on_the_standard_error(
    config: pytest.Config,
    monkeypatch: pytest.MonkeyPatch,
    worker: bool,  # noqa: FBT001
) -> None:
    written: list[str] = []
    if worker:
        config.workerinput = {}  # type: ignore[attr-defined]  # as xdist sets it in workers
        config.pluginmanager.register(
            SimpleNamespace(write_line=written.append), "terminalreporter"
        )
    stream = io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", stream)
    report.progress(config, "rocky9", "start")
    assert stream.getvalue() == "modskel: rocky9: start…\n"
    assert written == []


def test_progress_without_a_standard_error(
    config: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "__stderr__", None)  # pythonw, or a closed stderr
    report.progress(config, "rocky9", "start")  # says nothing, raises nothing
