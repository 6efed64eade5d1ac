"""What a module author does besides tox: pre-commit hooks and watch mode."""

from __future__ import annotations

import configparser
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
def collection(generate: Generate) -> Path:
    """A collection over every ansible-core series, both CI providers, a container and a VM."""
    answers = {"kind": "collection", "ci_providers": ["github", "gitlab"],
               "min_ansible_core": "2.18", "platforms": ["debian12", "debian12-vm"]}  # fmt: skip
    return generate(answers, name="sample_coll")


@pytest.fixture(scope="module", params=["role", "collection"])
def workflows(generate: Generate, request: pytest.FixtureRequest) -> Path:
    """The workflow folder of a project of each kind with both CI providers."""
    project: Path = (
        request.getfixturevalue("collection")
        if request.param == "collection"
        else generate({"ci_providers": ["github", "gitlab"]})
    )
    return project / ".github" / "workflows"


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


# ---- the collection kind: sanity cells, build, publish ----


def test_collection_ci_and_pipeline_pass_their_linters(collection: Path) -> None:
    # The other workflows: test_update_and_release_workflows_pass_zizmor_actionlint_and_schema.
    checks = workflow_checks(collection / ".github" / "workflows" / "ci.yml")
    pipeline = collection / ".gitlab-ci.yml"
    checks.append(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(pipeline)]
    )
    for command in checks:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{command[0]} {command[-1]}: {done.stdout}{done.stderr}"


SANITY = {"sanity-ansible218": "3.11", "sanity-ansible219": "3.11",
          "sanity-ansible220": "3.12", "sanity-ansible221": "3.12"}  # fmt: skip


def test_collection_ci_runs_sanity_per_series_and_build_and_gates_on_them(
    collection: Path,
) -> None:
    jobs = yaml.safe_load((collection / ".github" / "workflows" / "ci.yml").read_text())["jobs"]
    cells = jobs["sanity"]["strategy"]["matrix"]["include"]
    assert {cell["env"]: cell["python"] for cell in cells} == SANITY
    assert "importer" not in jobs
    assert jobs["build"]["steps"][-1]["run"] == "tox -e build"
    gate = ["lint", "build", "sanity", "unit", "integration", "coverage"]
    assert jobs["required"]["needs"] == gate
    pipeline = yaml.safe_load((collection / ".gitlab-ci.yml").read_text())
    gitlab = {cell["TOX_ENV"]: cell["PYTHON"] for cell in pipeline["sanity"]["parallel"]["matrix"]}
    assert gitlab == SANITY
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(collection / "tox.ini")
    assert {env for env in ini["tox"]["env_list"].split() if env.startswith("sanity-")} == set(
        SANITY
    )
    assert pipeline["build"]["script"] == ["tox -e build"]
    assert "importer" not in pipeline


def test_collection_release_builds_checks_then_publishes_the_tagged_artifact(
    collection: Path,
) -> None:
    workflow = yaml.safe_load((collection / ".github" / "workflows" / "release.yml").read_text())
    job = workflow["jobs"]["release"]
    assert job["permissions"] == {"contents": "read"}
    runs = [step["run"] for step in job["steps"] if "run" in step]
    publish = (
        '.tox/build/bin/ansible-galaxy collection publish --api-key "$GALAXY_API_KEY" '
        '"dist/my_namespace-sample_coll-{tag}.tar.gz"'
    )
    assert runs[-3:] == [
        "tox -e build -- --output dist",
        'tox -e release -- --check "$TAG"',
        publish.format(tag="$TAG"),
    ]
    assert job["steps"][-1]["env"]["GALAXY_API_KEY"] == "${{ secrets.GALAXY_API_KEY }}"
    script = yaml.safe_load((collection / ".gitlab-ci.yml").read_text())["release"]["script"]
    tag = "$CI_COMMIT_TAG"
    assert script == [
        "tox -e build -- --output dist",
        f'tox -e release -- --check "{tag}"',
        publish.format(tag=tag),
    ]
