"""What a module author does besides tox: pre-commit hooks and watch mode."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.helpers import BIN, clone, git, workflow_checks

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate

pytestmark = pytest.mark.slow


def pre_commit(project: Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(BIN / "pre-commit"), "run", "--all-files", "--show-diff-on-failure"]
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=False)


def test_pre_commit_passes_as_generated_and_catches_conflict_markers(
    default_project: Path, tmp_path: Path
) -> None:
    project = clone(default_project, tmp_path)
    git(project, "init", "-q")
    git(project, "add", "-A")
    clean = pre_commit(project)
    assert clean.returncode == 0, clean.stdout
    assert "ansible-lint" in clean.stdout
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> v2\n")
    conflicted = pre_commit(project)
    assert conflicted.returncode != 0
    assert "Merge conflict string" in conflicted.stdout


def wait_for(log: Path, text: str, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while log.read_text().count(text) < count:
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.3)


def test_watch_reruns_unit_tests_when_a_file_changes(default_project: Path, tmp_path: Path) -> None:
    project = clone(default_project, tmp_path)
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        watch = subprocess.Popen(
            [str(BIN / "tox"), "-e", "watch"],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_for(log, " passed in ", 1)
        defaults = project / "defaults" / "main.yml"
        defaults.write_text(defaults.read_text().replace("_port: 8080", "_port: nope"))
        wait_for(log, " failed, ", 1)
    finally:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait(timeout=30)


# ---- the template-update and release workflows: least privilege, pinned, checked ----

WORKFLOWS = ["ci.yml", "template-update.yml", "release.yml"]


@pytest.fixture(scope="module")
def workflows(generate: Generate) -> Path:
    """The workflow folder of a project with both CI providers."""
    return generate({"ci_providers": ["github", "gitlab"]}) / ".github" / "workflows"


@pytest.mark.parametrize("name", WORKFLOWS[1:], ids=str)
def test_update_and_release_workflows_pass_zizmor_actionlint_and_schema(
    workflows: Path, name: str
) -> None:
    for command in workflow_checks(workflows / name):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{command[0]}: {done.stdout}{done.stderr}"


def test_only_the_update_job_may_write_and_every_action_is_pinned(workflows: Path) -> None:
    assert sorted(path.name for path in workflows.iterdir()) == sorted(WORKFLOWS)
    writers = {}
    for name in WORKFLOWS:
        text = (workflows / name).read_text()
        workflow = yaml.safe_load(text)
        assert workflow["permissions"] == {}, name
        for job_id, job in workflow["jobs"].items():
            granted = job.get("permissions", {})
            writers.update({job_id: granted} if "write" in granted.values() else {})
            for step in job.get("steps", []):
                assert "${{" not in step.get("run", ""), f"{name}: {job_id}: ${{{{ }}}} in run:"
        unpinned = [
            u for u in re.findall(r"uses: (\S+)", text) if not re.search(r"@[0-9a-f]{40}$", u)
        ]
        assert unpinned == [], name
    assert writers == {"template-update": {"contents": "write", "pull-requests": "write"}}
    triggers = yaml.safe_load((workflows / "template-update.yml").read_text())[True]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
