"""The generated CI, run: GitLab jobs under gitlab-ci-local, GitHub's steps compared to them.

No GitHub Actions runner can be had here: the workflows' steps are checked to
run the same tox envs as the GitLab jobs, which do run.

gitlab-ci-local comes from npm (tools/gitlab-ci-local, installed by
scripts/setup-host). Jobs run in the project folder with this machine's tools;
each job's ``before_script`` installs tox into a virtual environment made for
the run. docs/ci.md lists the jobs that cannot run here, and why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.conftest import render
from tests.helpers import REPO, git, publish

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate

GCL = REPO / "tools" / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"
BOTH = {"ci_providers": ["github", "gitlab"], "platforms": ["debian12", "debian12-vm"]}
# Jobs gitlab-ci-local cannot run on this machine, and why (docs/ci.md says the same).
NOT_HERE = {
    "integration": "needs a docker:dind service, which the shell executor cannot start",
    "integration-vm": "boots VMs; tests/test_vm.py runs the same tox env",
    "coverage": "combines the artifacts of the integration jobs, which cannot run here",
    "importer": "runs `tox -e importer`, which tests/test_release_flow.py runs",
    "release": "runs on a tag and imports to Galaxy (network, a token)",
}


def tox_envs(command: str, cells: list[str]) -> set[str]:
    """Return the envs a ``tox -e ...`` command line runs (``$TOX_ENV``: the matrix's)."""
    found = set()
    for envs in re.findall(r"\btox -e (\S+)", command):
        found |= set(cells) if "TOX_ENV" in envs else set(envs.strip('"').split(","))
    return found


def github_envs(project: Path) -> set[str]:
    """Every tox env a step of a generated GitHub workflow runs."""
    envs: set[str] = set()
    for path in (project / ".github" / "workflows").glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            matrix = job.get("strategy", {}).get("matrix", {})
            cells = matrix.get("env", []) + [row["env"] for row in matrix.get("include", [])]
            for step in job["steps"]:
                envs |= tox_envs(step.get("run", ""), cells)
    return envs


def gitlab_envs(project: Path) -> set[str]:
    """Every tox env a script line of the generated GitLab pipeline runs."""
    envs: set[str] = set()
    for job in yaml.safe_load((project / ".gitlab-ci.yml").read_text()).values():
        if isinstance(job, dict) and "script" in job:
            rows = job.get("parallel", {}).get("matrix", [])
            cells = [env for row in rows for env in yaml_list(row["TOX_ENV"])]
            for line in job["script"]:
                envs |= tox_envs(line, cells)
    return envs


def yaml_list(value: Any) -> list[str]:  # noqa: ANN401 - a YAML scalar or list
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def both(generate: Generate) -> Path:
    """A project with both providers and both platform kinds: every job there is."""
    return generate(BOTH)


def test_github_steps_run_the_tox_envs_the_gitlab_jobs_run(both: Path) -> None:
    project = both
    github = github_envs(project)
    assert github == gitlab_envs(project)
    assert {"lint", "importer", "template-update", "release", "coverage"} <= github
    assert {"integration-debian12", "integration-debian12-vm"} <= github


# ---- gitlab-ci-local ----


@pytest.fixture(scope="module")
def pipeline(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the GitLab pipeline, committed, with an ``origin`` whose main it is."""
    if not GCL.exists() or shutil.which("rsync") is None:
        pytest.skip("gitlab-ci-local or rsync missing: run scripts/setup-host")
    src = tmp_path_factory.mktemp("released") / "modskel"
    shutil.copytree(template_src, src)
    git(src, "tag", "v99.0.0")  # the newest release: the update job finds nothing newer
    base = tmp_path_factory.mktemp("pipeline")
    project = render(src, base / "sample_role", {"ci_providers": ["gitlab"]})
    publish(project, base)
    # gitlab-ci-local reads the project's path from origin's address.
    git(
        project,
        "remote",
        "set-url",
        "origin",
        "https://gitlab.example.invalid/acme/sample_role.git",
    )
    runner = base / "runner"  # the job's `python`, with pip for before_script
    subprocess.run(["uv", "venv", "-q", "--seed", str(runner)], check=True)
    return project


def gitlab_ci_local(project: Path, *jobs: str) -> subprocess.CompletedProcess[str]:
    """Run jobs with the shell executor; state kept beside the project, not in it."""
    cmd = [str(GCL), "--force-shell-executor", "--state-dir", "../state", "--no-color",
           "--variable", "MODSKEL_TEMPLATE_UPDATE=true", *jobs]  # fmt: skip
    path = f"{project.parent / 'runner' / 'bin'}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=False,
                          env={**os.environ, "PATH": path}, timeout=600)  # fmt: skip


def unit_cell(project: Path) -> str:
    """The name gitlab-ci-local gives the unit job of the oldest supported Python."""
    rows = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["unit"]["parallel"]["matrix"]
    return f"unit: [{rows[0]['PYTHON']},{rows[0]['TOX_ENV']}]"


@pytest.mark.slow
def test_lint_unit_and_update_jobs_pass(pipeline: Path) -> None:
    done = gitlab_ci_local(pipeline, "lint", "template-update", unit_cell(pipeline))
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    for job in ("lint", "template-update", unit_cell(pipeline)):
        assert re.search(rf"PASS\s+{re.escape(job)}", out), f"{job} did not pass:\n{out[-3000:]}"
    assert "lint: ruff, ruff-format, yamllint, ansible-lint passed" in out
    assert "template-update: up to date (99.0.0); nothing to do" in out
    assert git(pipeline, "status", "--porcelain") == ""


@pytest.mark.slow
def test_a_planted_lint_defect_fails_the_pipeline(pipeline: Path) -> None:
    planted = pipeline / "tests" / "unit" / "test_planted.py"
    planted.write_text("import os\n")
    try:
        done = gitlab_ci_local(pipeline, "lint")
    finally:
        planted.unlink()
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "F401" in out
    assert re.search(r"FAIL\s+lint", out), out[-3000:]


@pytest.mark.parametrize("job", list(NOT_HERE), ids=list(NOT_HERE))
def test_jobs_that_cannot_run_here(both: Path, job: str) -> None:
    pipeline = yaml.safe_load((both / ".gitlab-ci.yml").read_text())
    assert "script" in pipeline[job]
    pytest.skip(f"{job}: {NOT_HERE[job]}")
