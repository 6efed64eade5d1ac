"""The repository holds itself to the standard it generates: ruff and strict mypy."""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers import BIN, REPO


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_repository_is_clean(command: list[str]) -> None:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_lockfile_matches_the_projects() -> None:
    # scripts/test and scripts/setup-host run with --locked: a stale uv.lock stops CI at once.
    check = ["uv", "lock", "--check", "--offline"]
    done = subprocess.run(check, cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
