"""The docs state what the code does: read each fact from the code, find it in its page.

| Fact | Read from | Stated in |
| --- | --- | --- |
| default answers | a default project's `.copier-answers.yml` | docs/questions.md |
| file ownership | copier.yml `_skip_if_exists`, a generated project's files | docs/anatomy.md |
| tox envs | a default project's `tox.ini` (env_list and every `[testenv:…]`) | docs/gates.md |
| CI jobs | the generated `.github/workflows/ci.yml` and `.gitlab-ci.yml` | docs/ci.md |

docs/gates.md is the one page that lists every tox env; the other pages link to
it. Everything runs in-process on projects rendered once per session.
"""

from __future__ import annotations

import configparser
import datetime as dt
import itertools
import re
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from copier._template import load_template_config

from tests.helpers import REPO
from tools.matrix import load

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import Generate

CONFIG: dict[str, Any] = load_template_config(REPO / "copier.yml")
QUESTIONS = [name for name, spec in CONFIG.items() if isinstance(spec, dict) and "help" in spec]
AUTHOR_FILES: list[str] = CONFIG["_skip_if_exists"]
ANSWERS_FILE: str = CONFIG["_answers_file"]
CELL = re.compile(r"py\d+-ansible\d+")


def table(page: str, heading: str | None = None) -> list[list[str]]:
    """Return the body rows of the first Markdown table in ``page`` (under ``heading``)."""
    text = (REPO / "docs" / page).read_text()
    if heading is not None:
        text = text.partition(f"\n{heading}\n")[2]
    lines = itertools.dropwhile(lambda line: not line.startswith("|"), text.splitlines())
    rows = itertools.takewhile(lambda line: line.startswith("|"), lines)
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    return cells[2:]


def code(cell: str) -> list[str]:
    """Return the backticked parts of a table cell."""
    return re.findall(r"`([^`]+)`", cell)


# ---- default answers: docs/questions.md ----

QUESTION_ROWS = {code(row[0])[0]: row[1] for row in table("questions.md")}

# Defaults the page states in words, and the value each means for a project
# generated with every default answer into a folder (its name given).
IN_WORDS: dict[str, Callable[[str], object]] = {
    "the destination folder's name": lambda folder: folder,
    "this year": lambda _: dt.datetime.now(tz=dt.UTC).year,
    "the newest series": lambda _: load("ansible_core")[-1]["version"],
}


def as_written(value: object) -> str:
    """Write an answer as the questions page does: lists in YAML flow style."""
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


def documented_default(cell: str, answers: dict[str, Any], folder: str) -> str:
    """Return the default that a questions-page cell states, placeholders filled in."""
    for words, meaning in IN_WORDS.items():
        if cell.startswith(words):
            return as_written(meaning(folder))
    literal = code(cell)
    assert literal, f"default {cell!r}: write it as `value`, or add its words to IN_WORDS"
    return re.sub(r"<(\w+)>", lambda m: str(answers[m.group(1)]), literal[0])


@pytest.fixture(scope="module")
def default_answers(
    default_project: Path, collection_project: Path
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each question's folder and answers: a default role's, else a collection's (asked there)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for project in (collection_project, default_project):  # the role's win
        answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
        found |= dict.fromkeys(answers, (project.name, answers))
    return found


@pytest.mark.parametrize("question", QUESTIONS, ids=str)
def test_questions_page_states_the_default(
    default_answers: dict[str, tuple[str, dict[str, Any]]], question: str
) -> None:
    assert question in QUESTION_ROWS, f"docs/questions.md has no row for `{question}`: add one"
    folder, answers = default_answers[question]
    stated = documented_default(QUESTION_ROWS[question], answers, folder)
    assert stated == as_written(answers[question]), (
        f"docs/questions.md: default of `{question}` is documented as {stated!r}"
    )


def test_questions_page_lists_only_questions() -> None:
    assert sorted(QUESTION_ROWS) == sorted(QUESTIONS)


# ---- file ownership: docs/anatomy.md ----


def documented_owners() -> dict[str, str]:
    """Map each file in the anatomy table to its owner; skip rows about part of a file."""
    owners = {}
    for row in table("anatomy.md"):
        paths = code(row[0])
        if not any(path.startswith("[") for path in paths):
            owners.update(dict.fromkeys(paths, row[1]))
    return owners


OWNERS = documented_owners()


def owner_in_code(path: str) -> str:
    """Return who owns ``path`` according to copier.yml."""
    if path == ANSWERS_FILE:
        return "copier"
    return "author" if any(fnmatch(path, pattern) for pattern in AUTHOR_FILES) else "template"


@pytest.mark.parametrize("path", list(OWNERS), ids=str)
def test_anatomy_owner_matches_copier_yml(path: str) -> None:
    owner = owner_in_code(path)
    assert OWNERS[path] == owner, f"docs/anatomy.md: `{path}` is the {owner}'s in copier.yml"


# A collection's own files are in its page's anatomy table (the rest: "as for a role").
COLLECTION_OWNERS = {
    path: row[1]
    for row in table("collection-kind.md", "## Anatomy of a generated collection")
    for path in code(row[0])
}


@pytest.mark.parametrize("pattern", AUTHOR_FILES, ids=str)
def test_every_author_file_is_in_anatomy(pattern: str) -> None:
    documented = [path for path in {**COLLECTION_OWNERS, **OWNERS} if fnmatch(path, pattern)]
    assert documented, (
        f"docs/anatomy.md or docs/collection-kind.md: no row for `{pattern}` "
        "(author-owned in copier.yml)"
    )


@pytest.fixture(scope="module")
def full_project(generate: Generate) -> Path:
    """A project with every CI provider and both platform kinds: every file, every job."""
    return generate(
        {"ci_providers": ["github", "gitlab"], "platforms": ["debian12", "debian12-vm"]}
    )


def test_anatomy_lists_every_generated_file(full_project: Path) -> None:
    documented = {path.replace("<role>", "sample_role") for path in OWNERS}
    files = sorted(
        str(path.relative_to(full_project)) for path in full_project.rglob("*") if path.is_file()
    )
    missing = [name for name in files if name not in documented]
    assert missing == [], f"docs/anatomy.md lacks {missing}: add a row (file, owner, why) for each"


def test_anatomy_lists_only_generated_files(full_project: Path) -> None:
    gone = [
        path
        for path in OWNERS
        if not (full_project / path.replace("<role>", "sample_role")).is_file()
    ]
    assert gone == [], f"docs/anatomy.md lists {gone}, which are not generated: remove them"


# ---- tox envs: docs/gates.md ----


def expand(name: str) -> list[str]:
    """Expand tox's generative section names: ``integration{,-debian12}``."""
    parts = re.split(r"\{([^}]*)\}", name)
    choices = [[part] if i % 2 == 0 else part.split(",") for i, part in enumerate(parts)]
    return ["".join(combo) for combo in itertools.product(*choices)]


def tox_envs(project: Path) -> list[str]:
    """Return every env of a project's tox.ini: its env_list and every ``[testenv:…]``."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string((project / "tox.ini").read_text())
    envs = ini["tox"]["env_list"].split()
    for section in ini.sections():
        envs += expand(section.removeprefix("testenv:")) if section.startswith("testenv:") else []
    return list(dict.fromkeys(envs))


def named_envs(text: str) -> set[str]:
    """Return the env names given to ``tox -e`` (or ``tox p -e``) in ``text``."""
    return {env for group in re.findall(r"-e ([\w.,-]+)", text) for env in group.split(",")}


def test_gates_page_lists_every_tox_env(default_project: Path) -> None:
    envs = tox_envs(default_project)
    named = named_envs((REPO / "docs" / "gates.md").read_text())
    cells = [env for env in envs if CELL.fullmatch(env)]
    missing = [env for env in envs if env not in cells and env not in named]
    assert missing == [], f"docs/gates.md lacks {missing}: add a `tox -e <env>` row for each"
    assert named & set(cells), f"docs/gates.md names no unit cell of {cells}"


def test_gates_page_names_only_envs_that_exist(default_project: Path) -> None:
    envs = set(tox_envs(default_project))
    platforms = {f"integration-{row['id']}" for row in load("platforms")}
    named = named_envs((REPO / "docs" / "gates.md").read_text())
    assert sorted(named - envs - platforms) == [], "docs/gates.md names envs tox.ini lacks"


@pytest.mark.parametrize(
    "answers",
    [{}, {"platforms": ["debian12", "debian12-vm"]}],
    ids=["default", "with-vm"],
)
def test_generated_readme_names_only_envs_that_exist(
    generate: Generate, default_project: Path, answers: dict[str, Any]
) -> None:
    project = generate(answers) if answers else default_project
    named = named_envs((project / "README.md").read_text())
    assert named
    assert sorted(named - set(tox_envs(project))) == [], "README.md names envs tox.ini lacks"


# ---- CI jobs: docs/ci.md ----


def github_jobs(project: Path) -> set[str]:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    return set(workflow["jobs"])


def gitlab_jobs(project: Path) -> set[str]:
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    return {name for name, job in pipeline.items() if isinstance(job, dict) and "script" in job}


@pytest.mark.parametrize(
    ("heading", "jobs"),
    [
        ("## GitHub Actions (`.github/workflows/ci.yml`)", github_jobs),
        ("## GitLab CI (`.gitlab-ci.yml`)", gitlab_jobs),
    ],
    ids=["github", "gitlab"],
)
def test_ci_page_lists_every_job(
    full_project: Path, heading: str, jobs: Callable[[Path], set[str]]
) -> None:
    documented = {code(row[0])[0] for row in table("ci.md", heading)}
    assert documented, f"docs/ci.md: no job table under {heading!r}"
    assert sorted(documented) == sorted(jobs(full_project)), f"docs/ci.md, table under {heading}"
