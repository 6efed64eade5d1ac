"""The maintainer command that refreshes ansible-core rows from the package index."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.helpers import REPO
from tools import refresh_ansible_core as refresh

if TYPE_CHECKING:
    from pathlib import Path

RECORDED = REPO / "tests" / "data" / "ansible-core-index.json"


@pytest.fixture
def matrix_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of matrix/ansible_core.yml that the command may rewrite."""
    target = tmp_path / "ansible_core.yml"
    target.write_text(refresh.TARGET.read_text())
    monkeypatch.setattr(refresh, "TARGET", target)
    return target


def index_with(tmp_path: Path, releases: dict[str, str]) -> str:
    """Write the recorded index plus ``releases`` ({version: requires_python})."""
    index: dict[str, Any] = json.loads(RECORDED.read_text())
    for version, spec in releases.items():
        index["releases"][version] = [{"requires_python": spec, "yanked": False}]
    path = tmp_path / "index.json"
    path.write_text(json.dumps(index))
    return str(path)


def test_recorded_index_shows_no_drift(
    matrix_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refresh.main(["--check", "--index", str(RECORDED)]) == 0
    assert capsys.readouterr().out == ""
    assert refresh.render(yaml.safe_load(matrix_copy.read_text())) == matrix_copy.read_text()


def test_new_series_is_reported_then_added(
    matrix_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = index_with(tmp_path, {"2.22.0": ">=3.13", "2.22.1rc1": ">=3.14"})
    assert refresh.main(["--check", "--index", index]) == 1
    assert "2.22: new series, Pythons 3.13" in capsys.readouterr().out
    assert refresh.main(["--index", index]) == 0
    assert "2.22: fill in its eol date" in capsys.readouterr().out
    rows = yaml.safe_load(matrix_copy.read_text())
    assert rows[-1] == {"version": "2.22", "python": ["3.13"], "eol": None}


def test_changed_requires_python_is_reported(
    matrix_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = index_with(tmp_path, {"2.21.99": ">=3.13"})
    assert refresh.main(["--check", "--index", index]) == 1
    assert "2.21: Pythons 3.12, 3.13 -> 3.13" in capsys.readouterr().out
    assert matrix_copy.read_text() == refresh.TARGET.read_text()


def test_unreadable_index_names_the_fix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert refresh.main(["--check", "--index", str(tmp_path / "missing.json")]) == 2
    assert "check the network or pass --index FILE" in capsys.readouterr().err
    with pytest.raises(refresh.RefreshError, match=r"cannot read the index at http://127.0.0.1:9/"):
        refresh.fetch("http://127.0.0.1:9/")


@pytest.mark.network
@pytest.mark.usefixtures("matrix_copy")
def test_live_index_can_be_checked(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        index = refresh.fetch(refresh.INDEX_URL)
    except refresh.RefreshError as error:
        pytest.skip(f"package index unreachable: {error}")
    assert refresh.latest_requires_python(index)["2.19"].startswith(">=3.")
    assert refresh.main(["--check"]) in (0, 1)
    out = capsys.readouterr().out
    assert all(": " in line for line in out.splitlines())
