"""What a module author does besides tox: pre-commit hooks and watch mode."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import TYPE_CHECKING

import pytest

from tests.helpers import BIN, clone, git

if TYPE_CHECKING:
    from pathlib import Path

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
