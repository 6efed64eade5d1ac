"""The harness package: one version everywhere, a release workflow that lints clean."""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.helpers import REPO, build_harness, workflow_checks
from tools import release_check

if TYPE_CHECKING:
    from pathlib import Path

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def test_package_version_is_the_pin_generated_projects_use() -> None:
    package, pin = release_check.versions()
    assert package == pin
    assert release_check.main([f"v{package}"]) == 0


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("v9.9.9", r"tag v9.9.9 is not v\d"),
        ("9.9.9", r"tag 9.9.9 is not v\d"),
    ],
    ids=["other-version", "no-v-prefix"],
)
def test_release_check_refuses_a_tag_that_disagrees(
    tag: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release_check.main([tag]) == 1
    assert any(line.startswith("error: ") for line in capsys.readouterr().err.splitlines())
    assert re.match(message, release_check.problems(tag)[0])


def test_release_check_refuses_a_stale_pin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "tools.yml"
    stale.write_text("pytest-modskel: 0.0.1\n")
    monkeypatch.setattr(release_check, "TOOLS", stale)
    package, _ = release_check.versions()
    assert release_check.problems(f"v{package}") == [
        f"matrix/tools.yml pins pytest-modskel 0.0.1, not {package}: pin {package}"
    ]


def test_release_workflow_publishes_with_least_privilege() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["build"]["permissions"] == {"contents": "read"}
    publish = workflow["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert len(step["uses"].split("@")[1]) == 40, step["uses"]  # pinned by SHA
            assert "${{" not in step.get("run", ""), step


@pytest.mark.parametrize(
    "command", workflow_checks(WORKFLOW), ids=["zizmor", "actionlint", "schema"]
)
def test_release_workflow_passes_its_linters(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_wheel_carries_the_plugin_the_drivers_and_the_command(
    tmp_path: pytest.TempPathFactory,
) -> None:

    out = build_harness(tmp_path)  # type: ignore[arg-type]
    (wheel,) = out.glob("pytest_modskel-*.whl")
    listing = subprocess.run(
        ["unzip", "-p", str(wheel), "*.dist-info/entry_points.txt"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "[pytest11]\nmodskel = pytest_modskel.plugin" in listing
    for kind in ("container", "ssh", "vm"):
        assert f"{kind} = pytest_modskel.drivers." in listing
    assert "modskel = pytest_modskel.commands:main" in listing
    names = subprocess.run(["unzip", "-l", str(wheel)], capture_output=True, text=True, check=True)
    assert "pytest_modskel/runner/callback_plugins/modskel_results.py" in names.stdout
    assert "pytest_modskel/py.typed" in names.stdout
