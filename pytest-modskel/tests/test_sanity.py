"""``modskel sanity``: the copy it makes, the ansible-test call, paths shown as the project's."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest
from conftest import exactly, git, own_git_identity, write_project
from pytest_modskel.commands import main, sanity
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.project import Project
from pytest_modskel.runner import ansible

GALAXY = "namespace: acme\nname: web\nversion: 0.1.0\n"
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
# ansible-test, faked: says where it runs, what it got and holds, then fails as told.
ANSIBLE_TEST = """\
#!/bin/sh
echo "args: $*"
echo "ERROR: $PWD/plugins/modules/web_config.py:3:1: E501"
find . -type f | sort | sed 's|^./|holds: |'
mkdir -p tests/output/.tmp && : > tests/output/.tmp/metadata.json
exit ${FAKE_EXIT:-0}
"""


def write_collection(root: Path) -> Path:
    """Write a small collection (with tool folders a copy must leave out) into ``root``."""
    files = {
        "galaxy.yml": GALAXY,
        "plugins/modules/web_config.py": "x = 1\n",
        "tests/sanity/ignore-2.21.txt": "",
        ".tox/lint/junk.txt": "",
        "plugins/modules/__pycache__/web_config.pyc": "",
        "tests/output/junit.xml": "",
        "coverage-report/index.html": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


KEPT = ["galaxy.yml", "plugins/modules/web_config.py", "tests/sanity/ignore-2.21.txt"]


@pytest.fixture
def collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A collection (not a git repository) that is the current folder; a fake ansible-test."""
    root = write_collection(tmp_path / "web")
    monkeypatch.chdir(root)
    fake = tmp_path / "bin" / "ansible-test"
    fake.parent.mkdir()
    fake.write_text(ANSIBLE_TEST, encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(ansible, "ansible_bin", lambda name: str(fake.parent / name))
    return root


def test_project_files_without_git(collection: Path) -> None:
    assert sanity.project_files(collection) == KEPT


def test_project_files_in_git(collection: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own_git_identity(collection.parent, monkeypatch)
    (collection / ".gitignore").write_text("*.log\n")
    (collection / "debug.log").write_text("")
    (collection / "old.txt").write_text("")
    git(collection, "init", "-q")
    git(collection, "add", "galaxy.yml", "old.txt", ".tox/lint/junk.txt")
    (collection / "old.txt").unlink()  # deleted, not committed: not copied
    assert sanity.project_files(collection) == [".gitignore", *KEPT]


def test_sanity_runs_ansible_test_in_a_copy(
    collection: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sanity", "--", "--test", "pep8"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"args: sanity --python {HERE} --local --test pep8"
    assert out[1] == f"ERROR: {collection}/plugins/modules/web_config.py:3:1: E501"
    assert out[2:] == [f"holds: {name}" for name in KEPT]
    assert not (collection / "tests" / "output" / ".tmp").exists()  # written in the copy only


@pytest.mark.usefixtures("collection")
def test_sanity_passes_on_the_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_EXIT", "1")
    assert main(["sanity", "--python", HERE]) == 1
    assert "ERROR:" in capsys.readouterr().out


@pytest.mark.usefixtures("collection")
def test_copy_is_under_ansible_collections(tmp_path: Path) -> None:
    copy = sanity.copy_collection(Project.find(), tmp_path / "work")
    assert copy == tmp_path / "work" / "ansible_collections" / "acme" / "web"
    assert (copy / "plugins" / "modules" / "web_config.py").read_text() == "x = 1\n"


@pytest.mark.usefixtures("collection")
def test_sanity_needs_ansible_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ansible, "ansible_bin", lambda name: f"/nowhere/{name}")
    message = (
        f"ansible-test not found beside {sys.executable}: run `tox -e sanity-ansibleXYZ` "
        "(its env installs ansible-core), or install ansible-core in this environment"
    )
    with pytest.raises(SetupError, match=exactly(message)):
        sanity.run(sanity_args())


@pytest.mark.usefixtures("collection")
def test_sanity_runs_only_on_this_python() -> None:
    message = (
        f"--python 2.7: modskel runs on Python {HERE} and ansible-test --local tests only "
        "that one: run from a 2.7 environment (tox's base_python) or drop --python"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        sanity.run(sanity_args(python="2.7"))


def test_sanity_is_for_collections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_project(tmp_path / "role")
    monkeypatch.chdir(root)
    message = (
        f"{root} is a role, not a collection (no galaxy.yml): modskel sanity is for "
        "collections; lint a role with `tox -e lint`"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        sanity.run(sanity_args())


def test_shared_ignore_file_serves_series_without_their_own(
    collection: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (collection / "tests" / "sanity" / "ignore.txt").write_text("x validate-modules:y\n")
    for core, added in (("2.20", ["tests/sanity/ignore-2.20.txt"]), ("2.21", [])):
        monkeypatch.setattr(sanity, "series", lambda core=core: core)
        assert main(["sanity"]) == 0
        held = [line.removeprefix("holds: ") for line in capsys.readouterr().out.splitlines()]
        assert [n for n in held if n.startswith("tests/sanity/")] == sorted(
            ["tests/sanity/ignore-2.21.txt", "tests/sanity/ignore.txt", *added]
        )
    assert not (collection / "tests" / "sanity" / "ignore-2.20.txt").exists()  # the copy only


def test_series_is_the_installed_ansible_core() -> None:
    from importlib.metadata import version  # noqa: PLC0415

    assert version("ansible-core").startswith(f"{sanity.series()}.")


@pytest.fixture
def ansible_test_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ansible-test's bootstrap cache in tmp, and its requirements code saying pip 25.2."""
    monkeypatch.setattr(sanity, "CACHE", tmp_path / "cache")
    code = tmp_path / "ansible_test" / "_internal" / "python_requirements.py"
    code.parent.mkdir(parents=True)
    code.write_text("    default_packages = dict(\n        pip='25.2',\n    )\n")
    (code.parent.parent / "__init__.py").write_text("")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.delitem(sys.modules, "ansible_test", raising=False)
    return tmp_path / "cache"


@pytest.mark.usefixtures("collection")
def test_pip_from_the_index_puts_a_stand_in_in_the_cache(
    ansible_test_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["sanity"]) == 0
    assert not ansible_test_cache.exists()  # not asked for: ansible-test downloads its own
    monkeypatch.setenv("MODSKEL_SANITY_PIP", "index")
    assert main(["sanity"]) == 0
    script = ansible_test_cache / "get_pip_25_2.py"
    assert "ensurepip" in script.read_text()
    compile(script.read_text(), str(script), "exec")  # valid Python
    script.write_text("# the real one, downloaded earlier\n")
    assert main(["sanity"]) == 0
    assert script.read_text() == "# the real one, downloaded earlier\n"  # never replaced


@pytest.mark.usefixtures("collection", "ansible_test_cache")
def test_pip_stand_in_needs_a_known_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODSKEL_SANITY_PIP", "index")
    code = tmp_path / "ansible_test" / "_internal" / "python_requirements.py"
    code.write_text("default_packages = {}\n")
    message = (
        f"cannot tell which pip {code} bootstraps: unset MODSKEL_SANITY_PIP and let "
        "ansible-test download its script"
    )
    with pytest.raises(SetupError, match=exactly(message)):
        sanity.run(sanity_args())


@pytest.mark.usefixtures("collection")
def test_pip_source_must_be_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODSKEL_SANITY_PIP", "pypi")
    message = "MODSKEL_SANITY_PIP='pypi' is not a pip source: set it to index, or unset it"
    with pytest.raises(ConfigError, match=exactly(message)):
        sanity.run(sanity_args())


def test_failed_bootstrap_download_names_the_fix(
    collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "bin" / "ansible-test"
    fake.write_text("#!/bin/sh\necho 'Download failed: <urlopen error>'\nexit 1\n")
    assert main(["sanity"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        (
            "sanity: ansible-test could not download its pip bootstrap script: set "
            "MODSKEL_SANITY_PIP=index to install pip from the package index instead"
        )
    ]
    assert collection.is_dir()


def sanity_args(python: str | None = None) -> argparse.Namespace:
    """The arguments ``modskel sanity`` parses (nothing after ``--``)."""
    return argparse.Namespace(python=python, passthrough=[])
