"""``modskel collections``: requirements.yml read, Galaxy first, the ansible package after.

ansible-galaxy and uv are fakes on PATH: the fake ansible-galaxy installs the
collections named in ``$FAKE_GALAXY`` (``name:version`` words) into its ``-p``
folder, the fake uv writes a small ansible package into its ``--target``.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

import pytest
from conftest import FakeBin, MakeProject, exactly
from pytest_modskel.commands import collections, main
from pytest_modskel.errors import EXIT_ENVIRONMENT, EXIT_OK, EXIT_USAGE, ConfigError
from pytest_modskel.project import Project

OWN_PACKAGE = collections.own_package
ANSIBLE_DOWN = "ERROR! Unknown error when attempting to call Galaxy: Name or service not known"
INSTALLED = ".modskel/collections/ansible_collections"
# Installs each `name:version` of $FAKE_GALAXY into the folder after -p; fails without any.
# As the real one, it installs nothing when it may count collections elsewhere as installed.
GALAXY = """\
while [ $# -gt 0 ]; do case "$1" in -p) into=$2; shift ;; esac; shift; done
[ "$ANSIBLE_COLLECTIONS_PATH" = "$into" ] && [ "$ANSIBLE_COLLECTIONS_SCAN_SYS_PATH" = false ] \\
  || { echo "Nothing to do. All requested collections are already installed."; exit 0; }
[ -n "$FAKE_GALAXY" ] || { echo "$GALAXY_DOWN" >&2; exit 1; }
for item in $FAKE_GALAXY; do
  name=${item%%:*}; folder="$into/ansible_collections/$(echo "${name}" | /usr/bin/tr . /)"
  /bin/mkdir -p "$folder"
  echo "{\\"collection_info\\": {\\"version\\": \\"${item#*:}\\"}}" > "$folder/MANIFEST.json"
done
"""
# The ansible package, as uv installs it with --target: a few collections, one with a dependency.
BUNDLED = {
    "community.general": ("11.4.2", {}),
    "ansible.posix": ("2.1.0", {}),
    "community.docker": ("4.8.5", {"community.library_inventory_filtering_v1": ">=1.0.0"}),
    "community.library_inventory_filtering_v1": ("1.1.5", {}),
    "community.crypto": ("3.0.0", {"community.missing": "*"}),
}


def write_package(root: Path) -> Path:
    """Write the collections of BUNDLED under ``root`` as the ansible package has them."""
    for name, (version, needs) in BUNDLED.items():
        folder = collections.folder_of(root, name)
        (folder / "plugins" / "modules").mkdir(parents=True)
        info = {"collection_info": {"version": version, "dependencies": needs}}
        (folder / "MANIFEST.json").write_text(json.dumps(info), encoding="utf-8")
        (folder / "plugins" / "modules" / "thing.py").write_text("# a module\n", encoding="utf-8")
    return root


@pytest.fixture
def role(make_project: MakeProject, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A role project; Galaxy down (fake ansible-galaxy beside Python); uv writes the package."""
    monkeypatch.setattr(sys, "executable", str(fake_bin.folder / "python"))
    monkeypatch.setattr(collections, "own_package", lambda _package: None)
    monkeypatch.delenv("FAKE_GALAXY", raising=False)
    monkeypatch.setenv("GALAXY_DOWN", ANSIBLE_DOWN)
    monkeypatch.delenv(collections.PACKAGE_VAR, raising=False)
    monkeypatch.setattr(collections, "CACHE", fake_bin.folder.parent / "cache")
    fake_bin.add("ansible-galaxy", GALAXY)
    package = write_package(fake_bin.folder.parent / "package")
    fake_bin.add("uv", f'eval target=\\${{$(($# - 1))}}\n/bin/cp -r "{package}" "$target"')
    return make_project()


def require(root: Path, text: str) -> None:
    (root / "requirements.yml").write_text(f"---\n{text}", encoding="utf-8")


def version_in(root: Path, name: str) -> str | None:
    return collections.installed_version(root / ".modskel" / "collections", name)


# ---- requirements.yml ----


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("collections: []\n", ()),
        ("collections:\n", ()),
        ("roles:\n  - name: geerlingguy.java\n", ()),
        ("- src: geerlingguy.java\n", ()),
        ("", ()),
        ("collections:\n  - community.general\n", (collections.Requirement("community.general"),)),
        (
            "collections:\n  - name: ansible.posix\n    version: '>=1.5.0,<3'\n",
            (collections.Requirement("ansible.posix", ">=1.5.0,<3"),),
        ),
        (
            "collections:\n  - name: acme.tools\n    version: 2.0\n    source: https://hub.example\n",
            (collections.Requirement("acme.tools", "2.0"),),
        ),
        (
            (
                "collections:\n  - name: https://git.example/acme/tools.git\n    type: git\n"
                "    version: main\n"
            ),
            (collections.Requirement("https://git.example/acme/tools.git", "main", "git"),),
        ),
    ],
    ids=["empty-list", "null", "roles-only", "old-roles-list", "empty-file", "bare-name",
         "name-and-range", "number-version-and-source", "git-source"],
)  # fmt: skip
def test_read_requirements(tmp_path: Path, text: str, found: tuple[object, ...]) -> None:
    require(tmp_path, text)
    assert collections.read_requirements(tmp_path / "requirements.yml") == found


def test_no_requirements_file_lists_nothing(tmp_path: Path) -> None:
    assert collections.read_requirements(tmp_path / "requirements.yml") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "collections: community.general\n",
            (
                "requirements.yml: collections must be a list, not str: "
                "write one '- name: namespace.collection' entry per collection"
            ),
        ),
        (
            "collections:\n  - version: 1.0.0\n",
            "requirements.yml: entry {'version': '1.0.0'} has no name: give each collection a name",
        ),
        (
            "collections:\n  - 42\n",
            "requirements.yml: entry 42 has no name: give each collection a name",
        ),
        (
            "collections:\n  - name: acme.tools\n    type: svn\n",
            (
                "requirements.yml: acme.tools: unknown type 'svn': "
                "use one of galaxy, git, url, file, dir, subdirs"
            ),
        ),
        (
            "collections:\n  - general\n",
            "requirements.yml: 'general' is not namespace.collection: fix the name",
        ),
        (
            "collections:\n  - name: community.general\n    version: latest\n",
            (
                "requirements.yml: community.general: version 'latest' is not a version range: "
                "write it as '>=9.0.0' or '>=9.0.0,<12.0.0'"
            ),
        ),
    ],
    ids=["not-a-list", "no-name", "not-a-mapping", "unknown-type", "no-namespace", "bad-version"],
)
def test_read_requirements_errors(tmp_path: Path, text: str, message: str) -> None:
    require(tmp_path, text)
    with pytest.raises(ConfigError, match=exactly(message)):
        collections.read_requirements(tmp_path / "requirements.yml")


def test_read_requirements_yaml_error_is_one_line(tmp_path: Path) -> None:
    require(tmp_path, "collections: [\n")
    with pytest.raises(ConfigError, match=r"^requirements.yml is not valid YAML \(") as caught:
        collections.read_requirements(tmp_path / "requirements.yml")
    assert "\n" not in str(caught.value)
    assert str(caught.value).endswith("): fix it")


@pytest.mark.parametrize(
    ("spec", "version", "allowed"),
    [
        ("*", "0.1.0", True),
        ("", "0.1.0", True),
        (">=9.0.0", "11.4.2", True),
        (">=12.0.0", "11.4.2", False),
        (">=1.0.0,<2.0.0", "1.5.0", True),
        (">=1.0.0,<2.0.0", "2.0.0", False),
        ("1.2.3", "1.2.3", True),
        ("1.2.3", "1.2.4", False),
        ("==1.2.3", "1.2.3", True),
        ("!=1.2.3", "1.2.3", False),
        ("<=1.2.3", "1.2.3", True),
        (">1.2.3", "1.2.3", False),
        (">=1.0.0", "1.1.0-beta.1", True),
        (">=1.0.0", "not a version", False),
    ],
    ids=["any", "empty", "at-least", "too-old", "range", "range-end", "bare-is-exact",
         "bare-other", "equal", "not-equal", "at-most", "greater", "prerelease", "unreadable"],
)  # fmt: skip
def test_allows(spec: str, version: str, allowed: bool) -> None:  # noqa: FBT001
    assert collections.Requirement("a.b", spec).allows(version) is allowed


def test_requirement_str() -> None:
    assert str(collections.Requirement("a.b")) == "a.b"
    assert str(collections.Requirement("a.b", ">=1.0.0")) == "a.b >=1.0.0"


def test_installed_version_reads_the_manifest(tmp_path: Path) -> None:
    write_package(tmp_path)
    assert collections.installed_version(tmp_path, "ansible.posix") == "2.1.0"
    assert collections.installed_version(tmp_path, "acme.nothing") is None
    (collections.folder_of(tmp_path, "ansible.posix") / "MANIFEST.json").write_text("{not json")
    assert collections.installed_version(tmp_path, "ansible.posix") is None


# ---- modskel collections ----


@pytest.mark.parametrize("text", [None, "collections: []\n"], ids=["no-file", "empty-list"])
def test_nothing_to_install_does_nothing(
    role: Path, fake_bin: FakeBin, capsys: pytest.CaptureFixture[str], text: str | None
) -> None:
    if text is not None:
        require(role, text)
    assert main(["collections"]) == EXIT_OK
    assert capsys.readouterr().out == ""
    assert fake_bin.calls() == []
    assert not (role / ".modskel" / "collections").exists()


def test_installs_from_galaxy_once(
    role: Path,
    fake_bin: FakeBin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require(role, "collections:\n  - name: community.general\n    version: '>=9.0.0'\n")
    monkeypatch.setenv("FAKE_GALAXY", "community.general:12.0.1")
    assert main(["collections"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out == "installed from Galaxy into .modskel/collections: community.general 12.0.1\n"
    fresh = role / ".modskel" / "collections.new"
    assert fake_bin.calls() == [
        f"ansible-galaxy collection install -r {role / 'requirements.yml'} -p {fresh} --timeout 10"
    ]
    assert version_in(role, "community.general") == "12.0.1"
    assert main(["collections"]) == EXIT_OK  # installed: neither Galaxy nor uv is asked again
    assert capsys.readouterr().out == ""
    assert len(fake_bin.calls()) == 1


def test_falls_back_to_the_ansible_package_with_dependencies(
    role: Path, fake_bin: FakeBin, capsys: pytest.CaptureFixture[str]
) -> None:
    require(role, "collections:\n  - community.docker\n  - name: ansible.posix\n")
    assert main(["collections"]) == EXIT_OK
    cache = collections.CACHE / "ansible-12.3.0"
    assert capsys.readouterr().out.splitlines() == [
        f"Galaxy could not install them ({ANSIBLE_DOWN}): using the collections of ansible 12.3.0",
        f"fetching the ansible 12.3.0 package once, into {cache}",
        (
            "installed from the ansible 12.3.0 package into .modskel/collections: ansible.posix "
            "2.1.0, community.docker 4.8.5, community.library_inventory_filtering_v1 1.1.5"
        ),
    ]
    python = fake_bin.folder / "python"
    uv = f"uv pip install --quiet --no-deps --python {python} --target {cache}.partial"
    assert fake_bin.calls("uv") == [f"{uv} ansible==12.3.0"]
    assert (role / INSTALLED / "community/docker/plugins/modules/thing.py").is_file()
    assert not (role / INSTALLED / "community" / "general").exists()  # only what is needed
    assert not (role / ".modskel" / "collections.new").exists()


def test_the_package_is_fetched_once_per_machine(
    role: Path, fake_bin: FakeBin, capsys: pytest.CaptureFixture[str]
) -> None:
    require(role, "collections:\n  - ansible.posix\n")
    assert main(["collections"]) == EXIT_OK
    (role / "requirements.yml").write_text("collections:\n  - community.general\n")
    assert main(["collections"]) == EXIT_OK  # the file changed: installed again
    assert len(fake_bin.calls("ansible-galaxy")) == 2
    assert len(fake_bin.calls("uv")) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("installed from the ansible 12.3.0 package into .modskel/collections: ")
    assert version_in(role, "community.general") == "11.4.2"
    assert version_in(role, "ansible.posix") is None  # no longer listed: gone


def test_a_collection_changed_by_hand_is_installed_again(
    role: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    require(role, "collections:\n  - name: community.general\n    version: '>=12'\n")
    monkeypatch.setenv("FAKE_GALAXY", "community.general:12.0.1")
    assert main(["collections"]) == EXIT_OK
    manifest = role / INSTALLED / "community" / "general" / "MANIFEST.json"
    manifest.write_text('{"collection_info": {"version": "9.0.0"}}')
    assert main(["collections"]) == EXIT_OK
    assert len(fake_bin.calls("ansible-galaxy")) == 2
    assert version_in(role, "community.general") == "12.0.1"


def test_the_env_s_own_ansible_package_serves_without_uv(
    role: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own = write_package(tmp_path / "site-packages")
    monkeypatch.setattr(collections, "own_package", lambda package: own if package else None)
    require(role, "collections:\n  - community.general\n")
    assert main(["collections"]) == EXIT_OK
    assert fake_bin.calls("uv") == []
    assert version_in(role, "community.general") == "11.4.2"


def test_own_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class Found:
        version = "12.3.0"

        def locate_file(self, path: str) -> Path:
            return tmp_path / path

    monkeypatch.setattr(importlib.metadata, "distribution", lambda _name: Found())
    assert OWN_PACKAGE("12.3.0") == tmp_path
    assert OWN_PACKAGE("11.0.0") is None


def test_own_package_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    assert OWN_PACKAGE("12.3.0") is None


def test_another_env_installed_them_meanwhile(
    role: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    require(role, "collections:\n  - community.general\n")
    answers = iter([False, True])  # before the lock: missing; under it: done by the other env
    monkeypatch.setattr(collections, "up_to_date", lambda *_args: next(answers))
    assert main(["collections"]) == EXIT_OK
    assert fake_bin.calls() == []


def test_package_release_from_the_environment(
    role: Path, fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(collections.PACKAGE_VAR, "11.0.0")
    require(role, "collections:\n  - ansible.posix\n")
    assert main(["collections"]) == EXIT_OK
    assert fake_bin.calls("uv")[0].endswith(" ansible==11.0.0")


def test_galaxy_that_does_not_answer_in_time(
    role: Path,
    fake_bin: FakeBin,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_bin.add("ansible-galaxy", "exec /bin/sleep 5")
    monkeypatch.setattr(collections, "GALAXY_DEADLINE", 0.2)
    require(role, "collections:\n  - ansible.posix\n")
    assert main(["collections"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("Galaxy could not install them (no answer in 0.2 s)")


def test_without_ansible_galaxy_the_package_serves(
    role: Path, fake_bin: FakeBin, capsys: pytest.CaptureFixture[str]
) -> None:
    (fake_bin.folder / "ansible-galaxy").unlink()
    require(role, "collections:\n  - ansible.posix\n")
    assert main(["collections"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("Galaxy could not install them (ansible-galaxy is not installed here)")


PACKAGE_FIX = (
    "and Galaxy could not install them ({why}): let Galaxy answer, relax the version in "
    "requirements.yml, or set MODSKEL_ANSIBLE_PACKAGE to an ansible release that has it"
)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "collections:\n  - name: community.general\n    version: '>=12.0.0'\n",
            "community.general >=12.0.0 (requirements.yml): the ansible 12.3.0 package has 11.4.2",
        ),
        (
            "collections:\n  - acme.tools\n  - name: ansible.posix\n    version: '<2'\n",
            (
                "acme.tools (requirements.yml): the ansible 12.3.0 package does not have it; "
                "ansible.posix <2 (requirements.yml): the ansible 12.3.0 package has 2.1.0"
            ),
        ),
        (
            "collections:\n  - community.crypto\n",
            (
                "community.missing (needed by community.crypto): "
                "the ansible 12.3.0 package does not have it"
            ),
        ),
        (
            "collections:\n  - name: https://git.example/acme/tools.git\n    type: git\n",
            "https://git.example/acme/tools.git (requirements.yml): a git source, not in a package",
        ),
    ],
    ids=["too-old", "two-problems", "dependency-missing", "git-source"],
)
def test_what_the_package_cannot_meet_is_named(
    role: Path, capsys: pytest.CaptureFixture[str], text: str, problems: str
) -> None:
    require(role, text)
    assert main(["collections"]) == EXIT_ENVIRONMENT
    message = f"{problems}; {PACKAGE_FIX.format(why=ANSIBLE_DOWN)}"
    assert capsys.readouterr().err == f"modskel collections: error: {message}\n"
    assert not (role / ".modskel" / "collections").exists()


def test_galaxy_success_that_misses_a_collection(
    role: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require(role, "collections:\n  - name: community.general\n    version: '>=12'\n  - a.b\n")
    monkeypatch.setenv("FAKE_GALAXY", "community.general:11.0.0")
    assert main(["collections"]) == EXIT_ENVIRONMENT
    assert capsys.readouterr().err == (
        "modskel collections: error: ansible-galaxy did not install "
        "community.general >=12 (requirements.yml): 11.0.0; a.b (requirements.yml): "
        "not installed: check the names and versions in requirements.yml\n"
    )


def test_without_uv(role: Path, fake_bin: FakeBin, capsys: pytest.CaptureFixture[str]) -> None:
    (fake_bin.folder / "uv").unlink()
    require(role, "collections:\n  - ansible.posix\n")
    assert main(["collections"]) == EXIT_ENVIRONMENT
    assert capsys.readouterr().err.endswith(
        "modskel collections: error: uv is not on PATH: it fetches the ansible 12.3.0 package, "
        "whose collections stand in for Galaxy; install uv (https://docs.astral.sh/uv/) "
        "or let Galaxy answer\n"
    )


def test_uv_that_fails(role: Path, fake_bin: FakeBin, capsys: pytest.CaptureFixture[str]) -> None:
    fake_bin.add(
        "uv", "echo '  error: No solution found when resolving: ansible==12.3.0' >&2; exit 1"
    )
    require(role, "collections:\n  - ansible.posix\n")
    assert main(["collections"]) == EXIT_ENVIRONMENT
    assert capsys.readouterr().err.endswith(
        "modskel collections: error: uv could not fetch the ansible 12.3.0 package "
        "(error: No solution found when resolving: ansible==12.3.0): let uv reach the package "
        "index, or set MODSKEL_ANSIBLE_PACKAGE to a release it has\n"
    )
    assert not (collections.CACHE / "ansible-12.3.0").exists()


def test_bad_package_release(
    role: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(collections.PACKAGE_VAR, "latest")
    require(role, "collections:\n  - ansible.posix\n")
    assert main(["collections"]) == EXIT_USAGE
    assert capsys.readouterr().err.endswith(
        "modskel collections: error: MODSKEL_ANSIBLE_PACKAGE='latest' is not an ansible release: "
        "set it like 12.3.0 or unset it\n"
    )


def test_role_is_linked_under_its_name_in_the_tox_env(
    role: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ansible-lint resolves `namespace.name` through .tox/<env>/roles, never a link in the role."""
    env_dir = tmp_path / "tox-env"
    monkeypatch.setenv("TOX_ENV_DIR", str(env_dir))
    assert main(["collections"]) == EXIT_OK
    assert main(["collections"]) == EXIT_OK  # again: the link stays
    (link,) = (env_dir / "roles").iterdir()
    assert link.is_symlink()
    assert link.resolve() == role.resolve()
    assert link.name == Project(role).role.fqcn
    assert not (role / ".modskel" / "roles").exists()
