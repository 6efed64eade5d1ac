"""``modskel adopt`` on four roles in the shapes published roles take (tests/fixtures/adopt/).

Each role is adopted once per module; its gates run once (``tox -e
lint,unit,integration``), a planted lint violation runs ``tox -e lint`` in the
same project, and ``copier update`` to a later template release runs in a git
clone of it. Error cases (not a role, dirty tree, bad meta) are in-process:
pytest-modskel/tests/test_adopt.py.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
import yaml
from copier import run_update

from tests.helpers import BIN, REPO, git, tox

if TYPE_CHECKING:
    from pathlib import Path

FIXTURES = REPO / "tests" / "fixtures" / "adopt"
CORE = yaml.safe_load((REPO / "matrix" / "ansible_core.yml").read_text())
ROLES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
FIRST, LATER = "v99.0.0", "v99.1.0"
PLANTED = {  # a file each tool has never seen: the baseline must not cover it
    "tasks/planted.yml": "---\n- shell: echo planted\n",
    "planted.yml": "---\nkey: " + "x" * 200 + "\n",
}

CONFIG = yaml.safe_load((REPO / "copier.yml").read_text().replace("!include", ""))
# What adoption writes itself, of the template's author-owned files (copier.yml
# _skip_if_exists): the converge (no sample variables when adopting) and an
# empty requirements.yml. Everything else of the sample role must be excluded.
WRITTEN_ON_ADOPTION = {"tests/integration/converge.yml", "requirements.yml"}


@dataclass
class Adopted:
    """One adopted fixture role and what the module's runs saw."""

    root: Path
    before: dict[str, str]
    output: str
    gates: subprocess.CompletedProcess[str] | None = None
    planted: subprocess.CompletedProcess[str] | None = None
    again: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def hashes(root: Path) -> dict[str, str]:
    """sha256 of every file git tracks or would add."""
    names = git(root, "ls-files", "-co", "--exclude-standard").splitlines()
    return {
        n: hashlib.sha256((root / n).read_bytes()).hexdigest()
        for n in names
        if (root / n).is_file()
    }


def modskel(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(BIN / "modskel"), *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False, timeout=600)


@pytest.fixture(scope="module")
def releases(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template tagged FIRST, and LATER with one more ignore line in .gitignore."""
    src = tmp_path_factory.mktemp("adopt-template") / "modskel"
    shutil.copytree(template_src, src)
    git(src, "tag", FIRST)
    ignore = src / "template" / ".gitignore.jinja"
    ignore.write_text(ignore.read_text() + "*.bak\n")
    git(src, "commit", "-qam", "a later release")
    git(src, "tag", LATER)
    return src


def adopt(root: Path, releases: Path) -> Adopted:
    """Commit the role at ``root``, adopt it at FIRST, commit again."""
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the role as published")
    before = hashes(root)
    done = modskel(root, "adopt", "--template", str(releases), "--vcs-ref", FIRST, ".")
    assert done.returncode == 0, done.stdout + done.stderr
    git(root, "add", "-A")
    git(root, "commit", "-qm", "adopted")
    return Adopted(root, before, done.stdout)


def check(project: Adopted) -> None:
    """Run the gates, the lint gate with violations planted, then adopt again."""
    project.gates = tox(project.root, "lint,unit,integration")
    for rel, text in PLANTED.items():
        (project.root / rel).write_text(text)
    project.planted = tox(project.root, "lint")
    for rel in PLANTED:
        (project.root / rel).unlink()
    tree = hashes(project.root)
    project.again = modskel(project.root, "adopt", "--template", "nowhere", ".").stdout
    project.extra = {n: h for n, h in hashes(project.root).items() if tree.get(n) != h}


@pytest.fixture(scope="module")
def adopted(
    releases: Path, seeded_debian12: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Adopted]:
    """Each fixture role adopted, two at a time (the suite's machine has two cores)."""
    assert seeded_debian12
    roots = []
    for name in ROLES:
        roots.append(tmp_path_factory.mktemp("adopt") / name)
        shutil.copytree(FIXTURES / name, roots[-1])
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(ROLES, pool.map(lambda root: adopt(root, releases), roots), strict=True))


@pytest.fixture(scope="module")
def checked(adopted: dict[str, Adopted]) -> dict[str, Adopted]:
    """Each project's gates, planted violations and second adoption, two at a time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(check, adopted.values()))
    return adopted


@pytest.mark.parametrize("name", ROLES)
@pytest.mark.slow
@pytest.mark.integration
def test_author_files_are_byte_identical(adopted: dict[str, Adopted], name: str) -> None:
    project = adopted[name]
    after = hashes(project.root)
    changed = [n for n, h in project.before.items() if n != "meta/main.yml" and after.get(n) != h]
    assert changed == []
    assert "adopted " + name in project.output


@pytest.mark.parametrize("name", ROLES)
@pytest.mark.slow
@pytest.mark.integration
def test_meta_keeps_every_key(adopted: dict[str, Adopted], name: str) -> None:
    old = yaml.safe_load((FIXTURES / name / "meta/main.yml").read_text())
    new = yaml.safe_load((adopted[name].root / "meta/main.yml").read_text())
    assert new["dependencies"] == old["dependencies"]
    for key, value in old["galaxy_info"].items():
        if key == "platforms":
            assert all(entry in new["galaxy_info"]["platforms"] for entry in value)
        elif key != "min_ansible_version":
            assert new["galaxy_info"][key] == value, key
    assert {"namespace", "role_name", "min_ansible_version", "platforms"} <= set(new["galaxy_info"])


@pytest.mark.parametrize("name", ROLES)
@pytest.mark.slow
@pytest.mark.integration
def test_gates_pass_on_day_one(checked: dict[str, Adopted], name: str) -> None:
    gates = checked[name].gates
    assert gates is not None
    assert gates.returncode == 0, gates.stdout[-4000:] + gates.stderr[-2000:]
    assert "integration: OK" in gates.stdout


@pytest.mark.parametrize("name", ROLES)
@pytest.mark.slow
@pytest.mark.integration
def test_a_new_lint_violation_fails_despite_the_baseline(
    checked: dict[str, Adopted], name: str
) -> None:
    planted = checked[name].planted
    assert planted is not None
    assert planted.returncode != 0
    assert "tasks/planted.yml" in planted.stdout  # ansible-lint
    assert "planted.yml" in planted.stdout.split("--- yamllint")[1].split("--- ")[0]
    summary = next(line for line in planted.stdout.splitlines() if " tools failed: " in line)
    assert "yamllint" in summary
    assert "ansible-lint" in summary


@pytest.mark.parametrize("name", ROLES)
@pytest.mark.slow
@pytest.mark.integration
def test_adopting_twice_changes_nothing(checked: dict[str, Adopted], name: str) -> None:
    assert checked[name].again.startswith(
        f"{name}: adopted already (adopting: true in .copier-answers.yml)"
    )
    assert checked[name].extra == {}


@pytest.mark.parametrize("name", ROLES)
@pytest.mark.slow
@pytest.mark.integration
def test_copier_update_keeps_the_adoption(
    adopted: dict[str, Adopted], name: str, tmp_path: Path
) -> None:
    clone = tmp_path / name
    git(adopted[name].root, "clone", "-q", str(adopted[name].root), str(clone))
    before = hashes(clone)
    run_update(clone, defaults=True, unsafe=True, vcs_ref=LATER, quiet=True, overwrite=True)
    after = hashes(clone)
    changed = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
    assert changed == [".copier-answers.yml", ".gitignore"]
    assert (clone / ".gitignore").read_text().endswith("*.bak\n")
    answers = yaml.safe_load((clone / ".copier-answers.yml").read_text())
    assert answers["adopting"] is True
    assert answers["_commit"] == LATER


@pytest.mark.slow
@pytest.mark.integration
def test_reports_say_what_was_carried_over(adopted: dict[str, Adopted]) -> None:
    report = {name: (p.root / "ADOPTION.md").read_text() for name, p in adopted.items()}
    assert (
        "- molecule platform instance-centos7 (quay.io/centos/centos:7): no modskel platform"
        in report["timesync_molecule"]
    )
    assert (
        "- tests/integration/test_default.py: copied unchanged from molecule/default/tests/"
        in report["timesync_molecule"]
    )
    oldest = min((str(row["version"]) for row in CORE), key=lambda v: tuple(map(int, v.split("."))))
    assert f"- meta/main.yml: min_ansible_version 2.9 becomes {oldest}," in report["legacy_lint"]
    assert "- meta/main.yml: added galaxy_info.namespace: jdoe" in report["legacy_lint"]
    assert "- meta/argument_specs.yml: yours" in report["app_specs"]
    assert (
        "- .github/workflows/ci.yml: your CI runs as before; modskel's runs as "
        ".github/workflows/modskel.yml" in report["app_specs"]
    )
    assert (adopted["app_specs"].root / ".github/workflows/modskel.yml").read_text().count(
        "\nname: modskel\n"
    ) == 1
    converge = yaml.safe_load(
        (adopted["timesync_molecule"].root / "tests/integration/converge.yml").read_text()
    )
    assert converge[0]["gather_facts"] is True
    assert converge[0]["vars"] == {
        "timesync_servers": ["ntp1.example.invalid", "ntp2.example.invalid"]
    }
    plain = yaml.safe_load(
        (adopted["web_deps"].root / "tests/integration/converge.yml").read_text()
    )
    assert "vars" not in plain[0]


def test_adopting_excludes_every_sample_file_the_template_owns_to_the_author() -> None:
    entry = next(e for e in CONFIG["_exclude"] if "adopting" in e)
    excluded = [line.strip() for line in entry.splitlines()[1:-1]]
    collection_only = set(CONFIG["kind_only_files"]["default"]["collection"])  # adopt: a role
    for name in set(CONFIG["_skip_if_exists"]) - WRITTEN_ON_ADOPTION - collection_only:
        folder = "/" + name.split("/")[0]
        assert name in excluded or folder in excluded, f"copier.yml: exclude {name} when adopting"
    assert "LICENSE" in excluded
    assert ".github/workflows/ci.yml" in excluded
