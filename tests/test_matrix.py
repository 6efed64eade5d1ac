"""One support matrix, rendered into tox, GitHub Actions, GitLab CI and metadata."""

from __future__ import annotations

import configparser
import datetime as dt
import re
import shutil
import subprocess
import tomllib
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.conftest import render
from tests.helpers import BIN, tox, workflow_checks
from tools.matrix import load, pythons

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import Edit, Generate

ANSWERS = {
    "defaults-both": {"ci_providers": ["github", "gitlab"]},
    "range-218-220": {
        "ci_providers": ["github", "gitlab"],
        "min_ansible_core": "2.18",
        "max_ansible_core": "2.20",
        "platforms": ["debian12", "ubuntu2404", "rockylinux9"],
    },
    "single-series": {
        "ci_providers": ["github", "gitlab"],
        "min_ansible_core": "2.21",
        "max_ansible_core": "2.21",
    },
}
answer_sets = pytest.mark.parametrize("answers", list(ANSWERS.values()), ids=list(ANSWERS))


def tox_envs(project: Path) -> set[str]:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(project / "tox.ini")
    return set(ini["tox"]["env_list"].split())


def github_envs(project: Path) -> set[str]:
    jobs = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())["jobs"]
    unit = {cell["env"] for cell in jobs["unit"]["strategy"]["matrix"]["include"]}
    coverage = {"coverage"} if "coverage" in jobs else set()
    return {"lint"} | unit | set(jobs["integration"]["strategy"]["matrix"]["env"]) | coverage


def gitlab_envs(project: Path) -> set[str]:
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    unit = {cell["TOX_ENV"] for cell in pipeline["unit"]["parallel"]["matrix"]}
    integration = [
        env
        for job in ("integration", "integration-vm")  # containers, VMs
        if job in pipeline
        for env in pipeline[job]["parallel"]["matrix"][0]["TOX_ENV"]
    ]
    coverage = {"coverage"} if "tox -e coverage" in pipeline["coverage"]["script"] else set()
    return {"lint"} | unit | set(integration) | coverage


def expected_cells(low: str, high: str, excludes: list[dict[str, str]] | None = None) -> set[str]:
    rows = load("ansible_core")
    versions = [row["version"] for row in rows]
    skip = {(e["python"], e["ansible_core"]) for e in excludes or []}
    return {
        f"py{py.replace('.', '')}-ansible{row['version'].replace('.', '')}"
        for row in rows[versions.index(low) : versions.index(high) + 1]
        for py in row["python"]
        if py in pythons() and (py, row["version"]) not in skip
    }


@answer_sets
def test_tox_github_and_gitlab_run_the_same_envs(
    generate: Generate, answers: dict[str, Any]
) -> None:
    project = generate(answers)
    envs = tox_envs(project)
    assert envs == github_envs(project) == gitlab_envs(project)
    low = answers.get("min_ansible_core", "2.20")
    high = answers.get("max_ansible_core", load("ansible_core")[-1]["version"])
    platforms = answers.get("platforms", ["debian12"])
    integration = {f"integration-{p}" for p in platforms}
    assert envs == {"lint", "coverage"} | expected_cells(low, high) | integration


@answer_sets
def test_metadata_follows_the_matrix(generate: Generate, answers: dict[str, Any]) -> None:
    project = generate(answers)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    cells = [env for env in tox_envs(project) if env.startswith("py")]
    pythons = sorted({f"3.{env[3:5]}" for env in cells}, key=lambda v: int(v.split(".")[1]))
    assert pyproject["requires-python"] == f">={pythons[0]}"
    listed = [c.rsplit(" :: ", 1)[1] for c in pyproject["classifiers"] if "Python :: 3." in c]
    assert listed == pythons
    meta = yaml.safe_load((project / "meta" / "main.yml").read_text())["galaxy_info"]
    assert meta["min_ansible_version"] == answers.get("min_ansible_core", "2.20")
    # tests/support.yml: the tested series and their end of life, for `modskel update-check`
    support = yaml.safe_load((project / "tests" / "support.yml").read_text())["ansible_core"]
    rows = load("ansible_core")
    versions = [row["version"] for row in rows]
    low = versions.index(answers.get("min_ansible_core", "2.20"))
    high = versions.index(answers.get("max_ansible_core", versions[-1]))
    assert support == [
        {"version": row["version"], "latest": row["latest"], "eol": row["eol"]}
        for row in rows[low : high + 1]
    ]


@pytest.mark.parametrize("question", ["min_ansible_core", "max_ansible_core"])
def test_version_questions_show_each_series_end_of_life(question: str) -> None:
    from tests.test_validators import CONFIG, ENV  # noqa: PLC0415 - copier's Jinja set-up

    rows = load("ansible_core")
    rendered = ENV.from_string(CONFIG[question]["choices"]).render(matrix_ansible_core=rows)
    today = dt.datetime.now(tz=dt.UTC).date()
    assert yaml.safe_load(rendered) == {
        (
            f"{row['version']} (past end of life since {row['eol']}: no more fixes)"
            if row["eol"] <= today
            else f"{row['version']} (maintained until {row['eol']})"
        ): row["version"]
        for row in rows
    }
    assert "2.18 (past end of life since 2026-05-31: no more fixes)" in rendered


def test_no_ci_answer_renders_no_ci_files(generate: Generate) -> None:
    project = generate({"ci_providers": []})
    assert not (project / ".github").exists()
    assert not (project / ".gitlab-ci.yml").exists()
    assert "lint" in tox_envs(project)


CI_OPTIONS = pytest.mark.parametrize(
    "providers", [["github"], ["gitlab"], ["github", "gitlab"]], ids=["github", "gitlab", "both"]
)


@CI_OPTIONS
def test_generated_ci_passes_its_linters(generate: Generate, providers: list[str]) -> None:
    project = generate({"ci_providers": providers, "platforms": ["debian12", "fedora42"]})
    workflow = project / ".github" / "workflows" / "ci.yml"
    pipeline = project / ".gitlab-ci.yml"
    assert workflow.exists() == ("github" in providers)
    assert pipeline.exists() == ("gitlab" in providers)
    checks: list[list[str]] = []
    if workflow.exists():
        checks += workflow_checks(workflow)
    if pipeline.exists():
        checks.append(
            [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(pipeline)]
        )
    for command in checks:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{command[0]}: {done.stdout}{done.stderr}"


def test_github_workflow_is_least_privilege_and_pinned(generate: Generate) -> None:
    workflow = yaml.safe_load((generate() / ".github" / "workflows" / "ci.yml").read_text())
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    for job in workflow["jobs"].values():
        assert job["permissions"] in ({}, {"contents": "read"})
        for step in job["steps"]:
            if "uses" in step:
                ref = step["uses"].split("@", 1)[1]
                assert len(ref) == 40, step["uses"]
                assert all(c in "0123456789abcdef" for c in ref)


@pytest.mark.parametrize(
    ("results", "code"),
    [
        ("success success success success", 0),
        ("success failure success success", 1),
        ("success cancelled success success", 1),
        ("skipped success success success", 1),
    ],
    ids=["all-succeeded", "one-failed", "one-cancelled", "one-skipped"],
)
def test_required_job_fails_unless_every_job_succeeded(
    generate: Generate, results: str, code: int
) -> None:
    workflow = yaml.safe_load((generate() / ".github" / "workflows" / "ci.yml").read_text())
    required = workflow["jobs"]["required"]
    assert required["if"] == "always()"
    assert required["needs"] == ["lint", "importer", "unit", "integration", "coverage"]
    script = required["steps"][0]["run"]
    done = subprocess.run(["bash", "-e", "-c", script], env={"RESULTS": results}, check=False)
    assert done.returncode == code


def _edit(path: str, old: str, new: str) -> Edit:
    def apply(src: Path) -> None:
        target = src / path
        text = target.read_text()
        assert old in text, f"{old!r} not in {path}"
        target.write_text(text.replace(old, new))

    return apply


@pytest.mark.parametrize(
    ("edit", "added", "removed"),
    [
        (
            _edit(
                "matrix/excludes.yml",
                "[]",
                '- {python: "3.13", ansible_core: "2.21", reason: test}',
            ),
            set(),
            {"py313-ansible221"},
        ),
        (
            _edit("matrix/python.yml", '- {version: "3.12", eol: 2028-10-31, since: "2.16"}\n', ""),
            set(),
            {"py312-ansible220", "py312-ansible221"},
        ),
        (
            _edit(
                "matrix/ansible_core.yml",
                "eol: 2027-11-30}",
                "eol: 2027-11-30}\n"
                '- {version: "2.22", python: ["3.13", "3.14"], latest: "2.22.0", eol: 2028-05-31}',
            ),
            {"py313-ansible222", "py314-ansible222"},
            set(),
        ),
    ],
    ids=["exclude-a-cell", "drop-python-3.12", "add-ansible-core-2.22"],
)
def test_one_file_edit_reaches_every_rendered_place(
    template_variant: Callable[[Edit], Path],
    generate: Generate,
    tmp_path: Path,
    edit: Edit,
    added: set[str],
    removed: set[str],
) -> None:
    before = tox_envs(generate({"ci_providers": ["github", "gitlab"]}))
    project = render(
        template_variant(edit), tmp_path / "role", {"ci_providers": ["github", "gitlab"]}
    )
    after = tox_envs(project)
    assert after == (before | added) - removed
    assert after == github_envs(project) == gitlab_envs(project)
    if "py312-ansible220" in removed:
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())["project"]
        assert pyproject["requires-python"] == ">=3.13"
        assert "Programming Language :: Python :: 3.12" not in pyproject["classifiers"]
    if added:
        assert "ansible222: ansible-core==2.22.0" in (project / "tox.ini").read_text()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "python", "series"),
    [("py312-ansible220", "3.12", "2.20"), ("py313-ansible221", "3.13", "2.21")],
    ids=["lowest-cell", "highest-installed-cell"],
)
def test_lowest_and_highest_unit_cells_run(
    default_project: Path, env: str, python: str, series: str
) -> None:
    done = tox(default_project, env)
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"=+ \d+ passed in ", done.stdout), done.stdout[-2000:]
    assert " failed" not in done.stdout
    probe = "import sys, ansible.release as r; print('%d.%d' % sys.version_info[:2], r.__version__)"
    versions = subprocess.run(
        [str(default_project / ".tox" / env / "bin" / "python"), "-c", probe],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert versions[0] == python
    assert versions[1].startswith(f"{series}.")


@pytest.mark.parametrize(
    "providers", [["github"], ["github", "gitlab"]], ids=["github", "github-and-gitlab"]
)
def test_no_expression_is_interpolated_into_a_shell_script(
    generate: Generate, providers: list[str]
) -> None:
    workflow = yaml.safe_load(
        (generate({"ci_providers": providers}) / ".github" / "workflows" / "ci.yml").read_text()
    )
    scripts = [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]
    assert scripts
    assert not [script for script in scripts if "${{" in script]


def test_ci_collects_and_reports_coverage(generate: Generate) -> None:
    project = generate({"ci_providers": ["github", "gitlab"]})
    jobs = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())["jobs"]
    uploads = {
        job: [
            s["with"]["name"] for s in jobs[job]["steps"] if "upload-artifact" in s.get("uses", "")
        ]
        for job in ("unit", "integration", "coverage")
    }
    assert uploads == {
        "unit": ["coverage-python-${{ matrix.env }}"],
        "integration": ["coverage-tasks-${{ matrix.env }}"],
        "coverage": ["coverage-report"],
    }
    runs = [s.get("run", "") for s in jobs["coverage"]["steps"]]
    assert "tox -e coverage" in runs
    assert 'cat coverage-report/tasks.md >> "$GITHUB_STEP_SUMMARY"' in runs
    gitlab = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["coverage"]
    assert gitlab["artifacts"]["reports"]["coverage_report"] == {
        "coverage_format": "cobertura",
        "path": "coverage-report/python.xml",
    }


@pytest.mark.slow
def test_cell_whose_python_is_missing_is_skipped_with_its_reason(default_project: Path) -> None:
    newest = pythons()[-1]
    if shutil.which(f"python{newest}"):
        pytest.skip(f"Python {newest} is installed here: no cell is skipped")
    env = (
        f"py{newest.replace('.', '')}-ansible{load('ansible_core')[-1]['version'].replace('.', '')}"
    )
    done = subprocess.run(
        [str(BIN / "tox"), "-v", "-e", env],
        cwd=default_project,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    reason = (
        f"{env}: skipped because could not find python interpreter with spec(s): cpython{newest}"
    )
    assert reason in done.stdout.splitlines(), done.stdout[-2000:]
    assert f"{env}: SKIP" in done.stdout
