"""``modskel adopt`` end to end, in-process: a tiny inline template, a fake lint env.

The real template and real tools run in the repository's slow tests
(tests/test_adopt.py); here copier itself renders a template of a few files
that answers ``adopting`` the way modskel's does.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from pytest_modskel.commands import main
from pytest_modskel.commands.adopt import _baseline, _copier, _role, adopt, verify
from pytest_modskel.errors import ConfigError, ModskelError, SetupError

COPIER_YML = """\
_subdirectory: template
_answers_file: .copier-answers.yml
_envops: {variable_start_string: "[[", variable_end_string: "]]",
          block_start_string: "[%", block_end_string: "%]", keep_trailing_newline: true}
_exclude:
  - "[% if adopting | default(false) %]README.md[% endif %]"
matrix_ansible_core: {type: yaml, when: false, default: [{version: "2.19"}, {version: "2.20"}]}
matrix_platforms:
  type: yaml
  when: false
  default:
    - {id: debian12, kind: container, image: docker.io/library/debian:bookworm,
       galaxy: {name: Debian, version: bookworm}}
role_name: {type: str, default: my_role}
namespace: {type: str, default: my_namespace}
description: {type: str, default: A role}
author: {type: str, default: someone}
license: {type: str, default: MIT}
min_ansible_core: {type: str, default: "2.19"}
platforms: {type: yaml, default: [debian12]}
adopting: {type: bool, default: false, when: "[[ adopting | default(false) ]]"}
"""
FILES = {
    "template/[[_copier_conf.answers_file]].jinja": "[[ _copier_answers | to_nice_yaml ]]",
    "template/README.md": "sample\n",
    "template/.yamllint": "---\nextends: default\n",
    "template/pyproject.toml": '[tool.ruff.lint.per-file-ignores]\n"tests/**" = ["S101"]\n',
    "template/tests/integration/test_idempotence.py": "",
    "template/tests/integration/converge.yml": "---\n- hosts: all\n",
}
ROLE = {
    "tasks/main.yml": "---\n- name: Do\n  ansible.builtin.debug:\n",
    "defaults/main.yml": "web_port: 80\n",
    "README.md": "# mine\n",
    ".yamllint": "---\nrules: {}\n",
    "meta/main.yml": (
        "---\ngalaxy_info:\n  author: ACME\n  license: MIT\n"
        "  platforms:\n    - name: Debian\n      versions: [bookworm]\n"
    ),
}


@pytest.fixture
def template(tmp_path: Path) -> str:
    src = tmp_path / "template-src"
    for name, text in {"copier.yml": COPIER_YML, **FILES}.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    return str(src)


@pytest.fixture
def gitconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = t\n\temail = t@t.invalid\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def make_role(
    tmp_path: Path, files: dict[str, str] | None = None, name: str = "ansible-role-web"
) -> Path:
    root = tmp_path / name
    for rel, text in (ROLE if files is None else files).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    root.mkdir(exist_ok=True)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "role", "--allow-empty")
    return root


def quiet_lint(root: Path, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    if command[0] == "ansible-lint":
        (root / ".ansible-lint-ignore").write_text("tasks/main.yml name[casing]\n")
    return subprocess.CompletedProcess(list(command), 0, "", "")


@pytest.fixture
def lint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_baseline, "in_lint_env", quiet_lint)


def hashes(root: Path) -> dict[str, str]:
    files = [p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


@pytest.mark.usefixtures("gitconfig", "lint")
def test_adopt_writes_only_what_the_role_lacks(
    tmp_path: Path, template: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_role(tmp_path)
    before = hashes(root)
    assert main(["adopt", "--template", template, "--data", "namespace=acme", str(root)]) == 0
    after = hashes(root)
    assert {n: h for n, h in after.items() if n in before and n != "meta/main.yml"} == {
        n: h for n, h in before.items() if n != "meta/main.yml"
    }
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert answers["adopting"] is True
    assert (answers["role_name"], answers["namespace"], answers["author"]) == (
        "web",
        "acme",
        "ACME",
    )
    meta = yaml.safe_load((root / "meta/main.yml").read_text())
    assert meta["galaxy_info"]["author"] == "ACME"
    assert meta["galaxy_info"]["namespace"] == "acme"
    assert (root / "README.md").read_text() == "# mine\n"
    assert "web_port" in (root / "meta/argument_specs.yml").read_text()
    assert (
        (root / "tests/integration/test_role.py")
        .read_text()
        .startswith('"""Verify the converged role')
    )
    assert (root / "pyproject.toml").read_text().endswith("readme_table = false\n")
    report = (root / "ADOPTION.md").read_text()
    assert ".yamllint: yours; findings under it are not baselined" in report
    assert capsys.readouterr().out == (
        "adopted ansible-role-web: 3 added, 4 merged, 1 kept, 0 to look at\n"
        "read ADOPTION.md, review `git status`, then run `tox -e lint,unit`\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "adopted")
    adopted = hashes(root)
    assert main(["adopt", "--template", template, str(root)]) == 0
    assert hashes(root) == adopted
    assert capsys.readouterr().out.startswith(
        "ansible-role-web: adopted already (adopting: true in .copier-answers.yml): nothing to do"
    )


@pytest.mark.usefixtures("gitconfig", "lint")
def test_adopt_imports_molecule_and_can_remove_it(tmp_path: Path, template: str) -> None:
    files = {**ROLE,
             "molecule/default/molecule.yml": "platforms:\n  - {name: d, image: debian:bookworm}\n",
             "molecule/default/tests/test_default.py": "def test_a(host):\n    assert host\n",
             ".gitignore": "*.retry\n", ".github/workflows/ci.yml": "name: CI\n"}  # fmt: skip
    root = make_role(tmp_path, files)
    report = adopt(root, template=template, vcs_ref=None, data={}, remove_molecule=True)
    assert report is not None
    assert not (root / "molecule").exists()
    assert (root / "tests/integration/test_default.py").is_file()
    assert not (root / "tests/integration/test_role.py").exists()
    assert "molecule/: removed, as asked (--remove-molecule)" in report.notes
    assert report.kept == [
        ".gitignore: yours; modskel's is not applied (docs/adopting.md says what it holds)",
        (
            ".github/workflows/ci.yml: your CI runs as before; "
            "modskel's runs as .github/workflows/modskel.yml"
        ),
        ".yamllint: yours; findings under it are not baselined (fix them or add ignores)",
    ]


@pytest.mark.usefixtures("gitconfig")
@pytest.mark.parametrize(
    ("files", "dirty", "message"),
    [
        (
            {"README.md": "x\n"},
            False,
            r"ansible-role-web: not an Ansible role \(no tasks/main.yml\): run `modskel adopt` in",
        ),
        (
            {**ROLE, "meta/main.yml": "galaxy_info: [\n"},
            False,
            r"^meta/main.yml: not valid YAML at line 2 \(.*\): fix it, then run `modskel adopt`",
        ),
        (
            {**ROLE, "meta/main.yml": "- a\n"},
            False,
            r"^meta/main.yml: expected a mapping with galaxy_info, found list: fix it",
        ),
        (
            ROLE,
            True,
            r"ansible-role-web: uncommitted changes \(1 file\(s\), first README.md\): commit",
        ),
        (
            {**ROLE, "tox.ini": ""},
            False,
            r"^tox.ini exists: modskel's gates need their own; move yours \(git mv tox.ini ",
        ),
        (
            {**ROLE, ".copier-answers.yml": "a: 1\n"},
            False,
            r"^.copier-answers.yml exists: the project comes from a copier template already",
        ),
    ],
    ids=[
        "not-a-role",
        "meta-unparsable",
        "meta-not-a-mapping",
        "dirty-tree",
        "own-tox-ini",
        "copier-project",
    ],
)
def test_bad_input_is_one_line(  # noqa: PLR0913 - one argument per column, plus fixtures
    tmp_path: Path,
    template: str,
    files: dict[str, str],
    *,
    dirty: bool,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = make_role(tmp_path, files)
    if dirty:
        (root / "README.md").write_text("changed\n")
    with pytest.raises(ConfigError, match=message):
        adopt(root, template=template, vcs_ref=None, data={})
    assert main(["adopt", "--template", template, str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modskel adopt: error: ")
    assert err.count("\n") == 1


def test_not_a_git_work_tree(tmp_path: Path, template: str) -> None:
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks/main.yml").write_text("---\n")
    with pytest.raises(
        ConfigError, match=r": not a git work tree: run `git init && git add -A && git commit"
    ):
        adopt(tmp_path, template=template, vcs_ref=None, data={})


def test_a_role_without_meta_loads_empty(tmp_path: Path) -> None:
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks/main.yaml").write_text("---\n")
    assert _role.load(tmp_path).galaxy_info == {}
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta/main.yml").write_text("galaxy_info: none\n")
    assert _role.load(tmp_path).galaxy_info == {}
    (tmp_path / ".copier-answers.yml").write_text("- a\n")
    assert not _role.adopted(tmp_path)


def test_verify_names_changed_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("new")
    with pytest.raises(
        ModskelError,
        match=r"^adopting changed 1 file\(s\) of yours \(a\): restore them with `git checkout",
    ):
        verify(tmp_path, {"a": "old", "meta/main.yml": "x", "molecule/m": "y"}, {"molecule/m"})


def test_unreadable_template_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"^template '.*nowhere' cannot be read \(.*\): check --template and --vcs-ref$",
    ):
        _copier.read_matrix(str(tmp_path / "nowhere"), None)


def test_copier_missing_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "copier", None)
    with pytest.raises(
        SetupError,
        match=r"^copier is not installed: run `uvx --from 'pytest-modskel\[adopt\]' modskel adopt",
    ):
        _copier.read_matrix("x", None)


@pytest.mark.parametrize("pair", ["license", "=MIT"], ids=["no-equals", "no-key"])
def test_bad_data_is_one_line(pair: str) -> None:
    with pytest.raises(
        ConfigError, match=rf"^--data '{pair}': expected KEY=VALUE, e.g. --data license=MIT$"
    ):
        _copier.parse_data([pair])


def test_data_values_are_yaml() -> None:
    assert _copier.parse_data(["platforms=[debian12]", "license=MIT"]) == {
        "platforms": ["debian12"],
        "license": "MIT",
    }
