"""The collection kind: a default collection passes every gate; planted defects fail theirs.

One generated collection (tests/conftest.py ``collection_project``) runs the
gates with no machine; copies of it carry one planted defect each. The
integration tests (containers and the VM) run in the ``machines`` xdist group.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.helpers import clone, git, publish, report, task_coverage, tox
from tests.test_update import NEWER, NEXT, authors, edit, released, update  # noqa: F401

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate

pytestmark = pytest.mark.slow
NAME = "acme_tools"  # the folder: the collection's and its role's names
MODULE = f"plugins/modules/{NAME}_config.py"
TASKS = f"roles/{NAME}/tasks/main.yml"
# ansible-test fetches pip for its venvs from a host these machines cannot reach.
SANITY_ENV = {"MODSKEL_SANITY_PIP": "index"}


def env_list(project: Path) -> list[str]:
    """Return the envs ``tox`` runs by default (``env_list``)."""
    text = (project / "tox.ini").read_text()
    block = text.split("env_list =", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def sanity_envs(project: Path) -> list[str]:
    """Return the sanity envs, one per tested ansible-core series."""
    return [env for env in env_list(project) if env.startswith("sanity-")]


def test_default_collection_passes_lint_sanity_unit_and_build(collection_project: Path) -> None:
    assert sanity_envs(collection_project) == ["sanity-ansible220", "sanity-ansible221"]
    envs = ",".join(["lint", *sanity_envs(collection_project), "unit", "build"])
    done = tox(collection_project, envs, **SANITY_ENV)
    assert done.returncode == 0, done.stdout[-5000:]
    assert "lint: ruff, ruff-format, yamllint, ansible-lint passed" in done.stdout
    assert 'Running sanity test "validate-modules"' in done.stdout
    assert re.search(r"tests/unit/plugins/modules/test_acme_tools_config\.py \.+", done.stdout)
    assert f"build: my_namespace-{NAME}-0.1.0.tar.gz: galaxy-importer accepts it" in done.stdout
    assert not list(collection_project.glob("*.tar.gz"))  # built outside the author's tree


def test_role_and_collection_render_side_by_side(
    default_project: Path, collection_project: Path
) -> None:
    def answers(project: Path) -> dict[str, str]:
        loaded: dict[str, str] = yaml.safe_load((project / ".copier-answers.yml").read_text())
        return loaded

    role, collection = answers(default_project), answers(collection_project)
    assert role["_commit"] == collection["_commit"]  # one template version
    assert (role["kind"], collection["kind"]) == ("role", "collection")
    assert (default_project / "meta" / "main.yml").is_file()
    assert not (default_project / "galaxy.yml").exists()
    assert (collection_project / "galaxy.yml").is_file()
    assert (collection_project / TASKS).is_file()
    assert not (collection_project / "tasks").exists()
    assert not (collection_project / "filter_plugins").exists()


def plant(project: Path, relative: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in one file of ``project`` (it must be there)."""
    path = project / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


def test_documentation_that_disagrees_with_the_spec_fails_sanity(
    collection_project: Path, tmp_path: Path
) -> None:
    project = clone(collection_project, tmp_path)
    section = '    "section": {"type": "str"},\n'
    plant(
        project, MODULE, section, f'{section}    "backup": {{"type": "bool", "default": False}},\n'
    )
    done = tox(project, "sanity-ansible220", "--test", "validate-modules", **SANITY_ENV)
    assert done.returncode != 0
    assert f"{MODULE}:0:0: undocumented-parameter: Argument 'backup'" in done.stdout


def test_module_that_ignores_check_mode_fails_unit(
    collection_project: Path, tmp_path: Path
) -> None:
    project = clone(collection_project, tmp_path)
    plant(project, MODULE, "if changed and not module.check_mode:", "if changed:")
    done = tox(project, "unit")
    assert done.returncode != 0
    failed = re.findall(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
    assert failed, done.stdout[-3000:]
    assert all("test_check_mode" in name for name in failed), failed


def test_galaxy_yml_the_importer_rejects_fails_build(
    collection_project: Path, tmp_path: Path
) -> None:
    project = clone(collection_project, tmp_path)
    plant(project, "galaxy.yml", "version: 0.1.0", "version: '0.1'")
    done = tox(project, "build")
    assert done.returncode != 0
    assert "Expecting 'version' to be in semantic version format" in done.stdout
    assert "fix galaxy.yml" in done.stdout


def test_plugin_change_needs_a_fragment_then_release_tags_it(
    collection_project: Path, tmp_path: Path
) -> None:
    project = clone(collection_project, tmp_path)
    publish(project, tmp_path)
    git(project, "checkout", "-q", "-b", "feature")
    plant(project, MODULE, "edits here are overwritten", "edits here are replaced")
    git(project, "commit", "-qam", "reword the header")
    lint = tox(project, "lint")
    assert lint.returncode != 0
    assert (
        f"fragments: {MODULE} changed since origin/HEAD but changelogs/fragments/ has no new "
        "fragment: add one with"
    ) in lint.stdout
    fragment = project / "changelogs" / "fragments" / "header.yml"
    fragment.write_text('minor_changes:\n  - "The managed file\'s header says replaced."\n')
    git(project, "add", "-A")
    git(project, "commit", "-qm", "a fragment")
    lint = tox(project, "lint")
    assert lint.returncode == 0, lint.stdout[-3000:]
    assert "fragments: ok (1 content file(s), 1 fragment(s)" in lint.stdout
    done = tox(project, "release", "0.2.0")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "version: 0.2.0" in (project / "galaxy.yml").read_text()
    changes = yaml.safe_load((project / "changelogs" / "changelog.yaml").read_text())
    assert "header says replaced" in str(changes["releases"]["0.2.0"])
    assert git(project, "tag", "--points-at", "HEAD").split() == ["0.2.0"]
    assert not fragment.exists()
    assert git(project, "status", "--porcelain") == ""


def test_update_keeps_the_authors_collection_edits(released: Path, tmp_path: Path) -> None:  # noqa: F811
    from copier import run_copy  # noqa: PLC0415

    project = tmp_path / NAME
    run_copy(str(released), project, data={"kind": "collection"}, defaults=True, unsafe=True,
             vcs_ref=NEXT, quiet=True)  # fmt: skip
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", f"generated at {NEXT}")
    edit(project, MODULE, "edits here are overwritten", "managed by the platform team")
    edit(project, "galaxy.yml", "tags:", "tags:\n  - platform")
    edit(project, TASKS, "- name: Create the system group", "- name: Create the service group")
    (project / "changelogs" / "fragments" / "mine.yml").write_text("trivial:\n  - mine\n")
    owned = authors(project)
    update(project, NEWER)
    assert authors(project) == owned
    assert (project / ".gitignore").read_text().endswith("*.bak\n")  # the template's change
    assert git(project, "status", "--porcelain", "--", ".gitignore") != ""
    done = tox(project, "lint,unit")
    assert done.returncode == 0, done.stdout[-3000:]


# ---- machines: the machines xdist group (tests/conftest.py) ----


@pytest.fixture(scope="module")
def collection_vm_project(generate: Generate) -> Path:
    """A collection tested in the Debian 12 container and the Debian 12 VM."""
    return generate({"kind": "collection", "platforms": ["debian12", "debian12-vm"]}, name=NAME)


@pytest.mark.integration
@pytest.mark.vm
@pytest.mark.usefixtures("seeded_debian12", "no_container_left")
def test_collection_converges_and_verifies_in_a_container_and_a_vm(
    collection_vm_project: Path,
) -> None:
    done = tox(collection_vm_project, "integration")
    assert done.returncode == 0, done.stdout[-5000:]
    assert "modskel: debian12: start " in done.stdout
    assert "modskel: debian12-vm: start " in done.stdout
    coverage = task_coverage(collection_vm_project)
    assert coverage.returncode == 0, coverage.stdout
    data = report(collection_vm_project)
    assert (data["executed"], data["total"], data["only_skipped"]) == (10, 10, [])
    assert list(data["files"]) == [TASKS, f"roles/{NAME}/handlers/main.yml"]


@pytest.mark.integration
@pytest.mark.usefixtures("no_container_left")
def test_non_idempotent_module_call_fails_integration_and_is_named(
    collection_project: Path, tmp_path: Path
) -> None:
    project = clone(collection_project, tmp_path)
    tasks = project / TASKS
    tasks.write_text(
        tasks.read_text()
        + f"\n- name: Record when the role ran\n  my_namespace.{NAME}.{NAME}_config:\n"
        f"    path: /etc/{NAME}/stamp.conf\n    section: stamp\n"
        '    settings:\n      at: "{{ now().isoformat() }}"\n'
    )
    done = tox(project, "integration-debian12")
    assert done.returncode != 0
    assert "Record when the role ran" in done.stdout
    assert "FAILED tests/integration/test_idempotence.py" in done.stdout
