"""Helpers the tests share: git, tox and podman calls, project copies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LABEL = "io.modskel.harness"


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its output."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def tox(project: Path, envs: str, *posargs: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``tox -e envs -- posargs`` in ``project``; output is returned, not raised."""
    cmd = [str(BIN / "tox"), "-e", envs, *(["--", *posargs] if posargs else [])]
    return subprocess.run(
        cmd,
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
        timeout=900,
    )


def clone(project: Path, tmp_path: Path) -> Path:
    """Copy a generated project (without its tox envs) to plant a defect in it."""
    dst = tmp_path / project.name
    shutil.copytree(project, dst, ignore=shutil.ignore_patterns(".tox", ".ansible"))
    return dst


def labelled_containers() -> list[str]:
    """Return the names of containers that carry the harness label."""
    fmt = "{{.Names}}"
    cmd = ["podman", "ps", "-a", "--filter", f"label={LABEL}", "--format", fmt]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return done.stdout.split()


def containers_left(before: set[str], wait: float = 30) -> set[str]:
    """Return labelled containers not in ``before``, once they are gone or ``wait`` ran out.

    A process killed by a signal may still be removing its container as it exits.
    """
    deadline = time.monotonic() + wait
    while (left := set(labelled_containers()) - before) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def add_platform(
    project: Path, platform_id: str, image: str = "docker.io/library/debian:bookworm"
) -> None:
    """Add a platform on an image the tests have: parallel runs must not clash."""
    platforms = project / "tests" / "integration" / "platforms.yml"
    extra = f"- id: {platform_id}\n  name: {platform_id}\n  image: {image}\n  bootstrap: apt\n"
    platforms.write_text(platforms.read_text() + extra)
