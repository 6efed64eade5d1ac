"""Python coverage of a role's plugins: coverage.py's data from the unit envs, combined and judged.

The data is real: a tiny package run once under ``coverage run -p`` (in a
subprocess, so the measurement of this suite is left alone), with relative
file names so that each test works on its own copy of the project.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_project
from pytest_modskel.commands import main, python_coverage
from pytest_modskel.errors import EXIT_FAILED, EXIT_USAGE

# Two of its three statements run: 66.67 %, shown as 67.
MODULE = "import sys\n\nif len(sys.argv) > 5:\n    sys.exit(3)\n"
PYPROJECT = """\
[tool.coverage.run]
source = ["plugins"]
relative_files = true
parallel = true
[tool.coverage.report]
{report}
"""
NO_DATA = "Python coverage: no data: the unit envs write it (run tox -e unit first)"


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose unit env left one ``.coverage.*`` file (made once per module)."""
    root = tmp_path_factory.mktemp("measured")
    (root / "plugins").mkdir()
    (root / "plugins" / "__init__.py").write_text("", encoding="utf-8")
    (root / "plugins" / "filters.py").write_text(MODULE, encoding="utf-8")
    (root / "pyproject.toml").write_text(PYPROJECT.format(report=""), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "plugins.filters"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return root


def _project(measured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: str) -> Path:
    """A copy of the measured project, with ``report`` as its [tool.coverage.report]; entered."""
    root = tmp_path / "role"
    shutil.copytree(measured, root)
    (root / "pyproject.toml").write_text(PYPROJECT.format(report=report), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def test_data_files(measured: Path, tmp_path: Path) -> None:
    (data,) = python_coverage.data_files(measured)
    assert data.name.startswith(".coverage.")
    (tmp_path / ".coverage.b").write_bytes(b"")
    (tmp_path / ".coverage.a").write_bytes(b"")
    (tmp_path / ".coverage.dir").mkdir()
    (tmp_path / ".coverage").write_bytes(b"")  # combined data: not a unit env's file
    assert python_coverage.data_files(tmp_path) == [tmp_path / ".coverage.a",
                                                    tmp_path / ".coverage.b"]  # fmt: skip


def test_no_data(tmp_path: Path) -> None:
    assert python_coverage.report(tmp_path) == (True, [NO_DATA])
    assert not (tmp_path / "coverage-report").exists()


def test_passing(
    measured: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(measured, tmp_path, monkeypatch, "fail_under = 60")
    assert python_coverage.report(root) == (True, [])
    table = capsys.readouterr().out.splitlines()
    assert table[-1].split() == ["TOTAL", "3", "1", "67%"]
    assert (root / "coverage-report" / "python" / "index.html").is_file()
    assert "filters.py" in (root / "coverage-report" / "python.xml").read_text(encoding="utf-8")
    assert (root / ".coverage").is_file()  # combined
    assert len(python_coverage.data_files(root)) == 1  # and kept


@pytest.mark.parametrize("report", ["", "precision = 1"], ids=["unset", "no-threshold"])
def test_passing_without_a_threshold(
    measured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: str
) -> None:
    root = _project(measured, tmp_path, monkeypatch, report)
    assert python_coverage.report(root) == (True, [])


def test_failing(measured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(measured, tmp_path, monkeypatch, "fail_under = 90")
    assert python_coverage.report(root) == (
        False, ["Coverage failure: total of 67 is less than fail-under=90"]
    )  # fmt: skip
    assert (root / "coverage-report" / "python.xml").is_file()  # the reports, all the same


def test_combined_data_alone(
    measured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(measured, tmp_path, monkeypatch, "fail_under = 90")
    python_coverage.report(root)
    for data in python_coverage.data_files(root):
        data.unlink()  # what is left: .coverage, combined earlier
    assert python_coverage.report(root) == (
        False, ["Coverage failure: total of 67 is less than fail-under=90"]
    )  # fmt: skip


def test_coverage_not_installed(
    measured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(measured, tmp_path, monkeypatch, "fail_under = 90")
    monkeypatch.setitem(sys.modules, "coverage", None)  # import coverage: ImportError
    assert python_coverage.report(root) == (
        True, ["Python coverage: coverage.py is not installed in this env: skipped"]
    )  # fmt: skip
    assert not (root / "coverage-report").exists()


def test_judged_as_coverage_py_judges(
    measured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(measured, tmp_path, monkeypatch, "fail_under = 67")
    assert python_coverage.report(root) == (True, [])


@pytest.mark.filterwarnings("ignore::coverage.exceptions.CoverageWarning")  # as users see it
def test_unusable_data_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "role", pyproject="[tool.coverage.report]\nfail_under = 90\n")
    (root / ".coverage.gw0.123").write_bytes(b"")
    monkeypatch.chdir(root)
    assert main(["coverage"]) in {EXIT_FAILED, EXIT_USAGE}
    said = capsys.readouterr()
    assert len([line for line in (said.out + said.err).splitlines() if "coverage" in line]) == 1
