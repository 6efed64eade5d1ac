"""The maintainer command that refreshes ansible-core rows from the package index."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.helpers import REPO
from tools import refresh_ansible_core as refresh

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

RECORDED = REPO / "tests" / "data" / "ansible-core-index.json"
# The day the matrix was last reviewed: 2.18 and 2.19 are past end of life,
# the default minimum (2.20) has over 90 days left.
TODAY = "2026-11-30"
PAST_EOL = "2.18: reached end of life on 2026-05-31\n2.19: reached end of life on 2026-11-30\n"


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
    assert refresh.main(["--check", "--index", str(RECORDED), "--today", TODAY]) == 0
    assert capsys.readouterr().out == PAST_EOL
    assert refresh.render(yaml.safe_load(matrix_copy.read_text())) == matrix_copy.read_text()


def test_new_series_is_reported_then_added(
    matrix_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = index_with(tmp_path, {"2.22.0": ">=3.13", "2.22.1rc1": ">=3.14"})
    assert refresh.main(["--check", "--index", index]) == 1
    assert "2.22: new series, Pythons 3.13, 3.14" in capsys.readouterr().out
    assert refresh.main(["--index", index]) == 0
    assert "2.22: fill in its eol date" in capsys.readouterr().out
    rows = yaml.safe_load(matrix_copy.read_text())
    assert rows[-1] == {
        "version": "2.22", "python": ["3.13", "3.14"], "latest": "2.22.0", "eol": None
    }  # fmt: skip


def test_changed_requires_python_is_reported(
    matrix_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = index_with(tmp_path, {"2.21.99": ">=3.13"})
    assert refresh.main(["--check", "--index", index]) == 1
    assert "2.21: Pythons 3.12, 3.13, 3.14 -> 3.13, 3.14" in capsys.readouterr().out
    assert matrix_copy.read_text() == refresh.TARGET.read_text()


def test_unreadable_index_names_the_fix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert refresh.main(["--check", "--index", str(tmp_path / "missing.json")]) == 2
    assert "check the network or pass --index FILE" in capsys.readouterr().err
    with pytest.raises(refresh.RefreshError, match=r"cannot read the index at http://127.0.0.1:9/"):
        refresh.fetch("http://127.0.0.1:9/")


@pytest.fixture
def served_index(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bytes, int], str]]:
    """Return a function that serves ``body`` with ``status`` as the default index URL."""
    servers: list[HTTPServer] = []
    monkeypatch.setenv("no_proxy", "*")  # 127.0.0.1 is reached directly, never via a proxy

    def serve(body: bytes, status: int = 200) -> str:
        class Index(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                """Keep the server's request log out of the command's stderr."""

        server = HTTPServer(("127.0.0.1", 0), Index)
        servers.append(server)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/pypi/ansible-core/json"
        monkeypatch.setattr(refresh, "INDEX_URL", url)
        return url

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


OUT_OF_DATE = "ansible_core.yml is out of date: run `python -m tools.refresh_ansible_core`.\n"


@pytest.mark.parametrize(
    ("releases", "code", "out"),
    [
        pytest.param({}, 0, PAST_EOL, id="recorded-index-no-drift"),
        pytest.param(
            {"2.22.0": ">=3.13"},
            1,
            "2.22: new series, Pythons 3.13, 3.14\n" + PAST_EOL + OUT_OF_DATE,
            id="new-series-drifts",
        ),
        pytest.param(
            {"2.21.99": ">=3.13"},
            1,
            "2.21: Pythons 3.12, 3.13, 3.14 -> 3.13, 3.14\n2.21: latest 2.21.5 -> 2.21.99\n"
            + PAST_EOL
            + OUT_OF_DATE,
            id="dropped-python-drifts",
        ),
    ],
)
def test_check_reads_the_default_index_url(
    matrix_copy: Path,
    tmp_path: Path,
    served_index: Callable[[bytes, int], str],
    capsys: pytest.CaptureFixture[str],
    releases: dict[str, str],
    code: int,
    out: str,
) -> None:
    before = matrix_copy.read_text()
    served_index(Path(index_with(tmp_path, releases)).read_bytes(), 200)
    assert refresh.main(["--check", "--today", TODAY]) == code
    assert capsys.readouterr() == (out, "")
    assert matrix_copy.read_text() == before


def test_failing_index_url_exits_2_and_names_the_fix(
    matrix_copy: Path,
    served_index: Callable[[bytes, int], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = matrix_copy.read_text()
    url = served_index(b"unavailable", 503)
    assert refresh.main(["--check"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: cannot read the index at {url} (HTTP Error 503: ")
    assert err.endswith("): check the network or pass --index FILE\n")
    assert matrix_copy.read_text() == before


@pytest.mark.network
def test_live_index_has_every_series_of_the_matrix() -> None:
    try:
        index = refresh.fetch(refresh.INDEX_URL)
    except refresh.RefreshError as error:
        pytest.skip(f"package index unreachable: {error}")
    specs = {series: spec for series, (_, spec) in refresh.newest_releases(index).items()}
    series = [row["version"] for row in yaml.safe_load(refresh.TARGET.read_text())]
    assert [s for s in series if s not in specs] == []
    assert {s: specs[s] for s in series if not specs[s].startswith(">=3.")} == {}


MAKE_221 = "make it 2.21 in copier.yml (the oldest series with over 90 days of maintenance left)"


@pytest.mark.usefixtures("matrix_copy")
@pytest.mark.parametrize(
    ("today", "code", "report"),
    [
        pytest.param("2026-11-29", 0, ["2.18: reached end of life on 2026-05-31",
                                       "2.19: reaches end of life on 2026-11-30, in 1 days"],
                     id="eve-of-2.19-eol"),
        pytest.param("2027-03-02", 1, [
            "2.18: reached end of life on 2026-05-31",
            "2.19: reached end of life on 2026-11-30",
            "2.20: reaches end of life on 2027-05-31, in 90 days",
            "default min_ansible_core 2.20 reaches end of life on 2027-05-31, in 90 days: "
            + MAKE_221,
        ], id="default-within-90-days"),
        pytest.param("2027-10-31", 1, [
            "2.18: reached end of life on 2026-05-31",
            "2.19: reached end of life on 2026-11-30",
            "2.20: reached end of life on 2027-05-31",
            "2.21: reaches end of life on 2027-11-30, in 30 days",
            "Python 3.11: reached end of life on 2027-10-31",
            "default min_ansible_core 2.20 reached end of life on 2027-05-31: " + MAKE_221,
        ], id="everything-old"),
    ],
)  # fmt: skip
def test_end_of_life_is_reported_and_a_new_default_proposed(
    capsys: pytest.CaptureFixture[str], today: str, code: int, report: list[str]
) -> None:
    assert refresh.main(["--check", "--index", str(RECORDED), "--today", today]) == code
    assert capsys.readouterr().out.splitlines() == report


def test_default_minimum_dropped_from_the_matrix_is_reported(tmp_path: Path) -> None:
    rows = yaml.safe_load(refresh.TARGET.read_text())
    assert refresh.proposal(rows, "2.17", dt.date(2026, 11, 30)) == (
        "default min_ansible_core 2.17 is no longer in the matrix: make it 2.20 in copier.yml "
        "(the oldest series with over 90 days of maintenance left)"
    )
    copier_yml = tmp_path / "copier.yml"
    copier_yml.write_text("min_ansible_core:\n  type: str\n")
    with pytest.raises(refresh.RefreshError, match=r"copier.yml: no min_ansible_core default"):
        refresh.default_minimum(copier_yml)


def test_default_minimum_is_read_from_copier_yml() -> None:
    assert refresh.default_minimum(refresh.COPIER_YML) == "2.20"


def test_python_newer_than_a_series_gets_no_cell() -> None:
    pythons = [{"version": "3.13", "since": "2.18"}, {"version": "3.14", "since": "2.20"}]
    assert refresh.supported("2.19", ">=3.11", pythons) == ["3.13"]
    assert refresh.supported("2.20", ">=3.12", pythons) == ["3.13", "3.14"]
