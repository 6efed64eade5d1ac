"""``modskel adopt``'s parts, in-process: answers, meta merge, specs, molecule, baseline, report."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
import yaml
from pytest_modskel.checks.variables import README_CHECK
from pytest_modskel.commands.adopt import _answers, _baseline, _meta, _molecule, _specs
from pytest_modskel.commands.adopt._report import Report
from pytest_modskel.commands.adopt._role import Role
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.project import Project

MATRIX = _answers.Matrix(
    ["2.19", "2.20"],
    [
        {"id": "debian12", "kind": "container", "image": "docker.io/library/debian:bookworm",
         "galaxy": {"name": "Debian", "version": "bookworm"}},
        {"id": "debian12-vm", "kind": "vm", "image": "built:bookworm",
         "galaxy": {"name": "Debian", "version": "bookworm"}},
        {"id": "fedora42", "kind": "container", "image": "quay.io/fedora/fedora:42",
         "galaxy": {"name": "Fedora", "version": 42}},
    ],
)  # fmt: skip


def role(tmp_path: Path, info: Mapping[str, object], name: str = "ansible-role-Web-Proxy") -> Role:
    root = tmp_path / name
    root.mkdir(exist_ok=True)
    return Role(root, {"galaxy_info": dict(info)})


# ---- answers ----------------------------------------------------------------


def test_answers_come_from_galaxy_info(tmp_path: Path) -> None:
    info = {"role_name": "web", "namespace": "acme", "author": "ACME  ops", "license": "GPLv3",
            "description": "Serves\n pages", "min_ansible_version": "2.19",
            "platforms": [{"name": "Debian", "versions": ["bookworm"]},
                          {"name": "Fedora", "versions": [42]}]}  # fmt: skip
    report = Report()
    found = _answers.answers(role(tmp_path, info), MATRIX, report, ["debian12", "fedora42"])
    assert found == {
        "role_name": "web", "namespace": "acme", "author": "ACME ops",
        "description": "Serves pages", "license": "GPL-3.0-or-later",
        "min_ansible_core": "2.19", "platforms": ["debian12", "fedora42"],
    }  # fmt: skip
    assert report.notes == report.merged_lines == []


def test_names_fall_back_to_the_folder_and_the_author(tmp_path: Path) -> None:
    found = _answers.answers(
        role(tmp_path, {"author": "Jane Doe", "license": ["MIT"]}), MATRIX, Report(), []
    )
    assert found == {
        "role_name": "web_proxy",
        "namespace": "jane_doe",
        "author": "Jane Doe",
        "license": "MIT",
    }


def test_names_that_cannot_be_normalised_are_left_to_copier(tmp_path: Path) -> None:
    found = _answers.answers(
        role(tmp_path, {"author": "42", "license": []}, name="2fa"), MATRIX, Report(), []
    )
    assert found == {"author": "42"}


def test_old_min_ansible_version_becomes_the_oldest_tested_series(tmp_path: Path) -> None:
    report = Report()
    found = _answers.answers(role(tmp_path, {"min_ansible_version": 2.9}), MATRIX, report, [])
    assert found["min_ansible_core"] == "2.19"
    assert report.merged_lines == [
        (
            "meta/main.yml: min_ansible_version 2.9 becomes 2.19, the oldest ansible-core series "
            "the template tests (the unit tests check they agree)"
        )
    ]


@pytest.mark.parametrize(
    ("stated", "chosen"), [("2.20", "2.20"), ("3.0", "2.20")], ids=["tested", "newer"]
)
def test_min_ansible_version_within_or_past_the_matrix(
    tmp_path: Path, stated: str, chosen: str
) -> None:
    found = _answers.answers(role(tmp_path, {"min_ansible_version": stated}), MATRIX, Report(), [])
    assert found["min_ansible_core"] == chosen


def test_unparsable_min_ansible_version_is_left_to_copier(tmp_path: Path) -> None:
    assert "min_ansible_core" not in _answers.answers(
        role(tmp_path, {"min_ansible_version": "two"}), MATRIX, Report(), []
    )


def test_unknown_licence_and_platforms_are_reported(tmp_path: Path) -> None:
    platforms = [
        {"name": "EL", "versions": ["7"]},
        "junk",
        {"name": "Debian", "versions": "bookworm"},
    ]
    info = {"license": "WTFPL", "platforms": platforms}
    report = Report()
    found = _answers.answers(role(tmp_path, info), MATRIX, report, [])
    assert "license" not in found
    assert found["platforms"] == ["debian12"]
    assert report.notes[0].startswith(
        "licence 'WTFPL' is not one the template offers (Apache-2.0, "
    )
    assert report.notes[0].endswith("set yours with --data license=ID")
    assert report.notes[1] == (
        "meta/main.yml: platform EL 7 has no modskel platform: "
        "listed in [tool.modskel] untested_platforms until one tests it"
    )
    assert report.notes[2].startswith("meta/main.yml: platform None None has no modskel platform")


def test_matrix_is_read_from_the_template_questions() -> None:
    questions = {"matrix_ansible_core": {"default": [{"version": 2.19}]},
                 "matrix_platforms": {"default": MATRIX.platforms}}  # fmt: skip
    assert _answers.matrix_of(questions) == _answers.Matrix(["2.19"], MATRIX.platforms)
    assert MATRIX.galaxy(["debian12", "debian12-vm", "fedora42"]) == {
        "Debian": ["bookworm"],
        "Fedora": ["42"],
    }


# ---- meta/main.yml merge ----------------------------------------------------

ANSWERS = {"role_name": "web", "namespace": "acme", "min_ansible_core": "2.19"}
DEBIAN = {"Debian": ["bookworm"]}

FULL = """\
---
# kept: a comment
galaxy_info:
  role_name: web
  namespace: acme
  company: ACME
  min_ansible_version: "2.19"
  platforms:
    - name: EL
      versions: ["9"]
  galaxy_tags: [web]
dependencies:
  - role: acme.base
"""


def test_meta_merge_adds_lines_and_keeps_the_rest() -> None:
    merged, changes = _meta.merge(FULL, ANSWERS, DEBIAN)
    assert merged == FULL.replace(
        "  platforms:\n",
        '  platforms:\n    - name: Debian\n      versions:\n        - "bookworm"\n',
    )
    assert changes == ["meta/main.yml: added galaxy_info.platforms: Debian bookworm"]


def test_meta_merge_adds_missing_keys() -> None:
    text = "galaxy_info:\n    author: me\n    platforms: []\n    min_ansible_version: 2.9\n"
    merged, changes = _meta.merge(text, ANSWERS, DEBIAN)
    assert yaml.safe_load(merged) == {
        "galaxy_info": {"namespace": "acme", "role_name": "web", "author": "me",
                        "platforms": [{"name": "Debian", "versions": ["bookworm"]}],
                        "min_ansible_version": "2.19"},
        "dependencies": [],
    }  # fmt: skip
    assert merged.startswith("galaxy_info:\n    namespace: acme\n    role_name: web\n")
    assert changes == [
        "meta/main.yml: added galaxy_info.role_name: web",
        "meta/main.yml: added galaxy_info.namespace: acme",
        "meta/main.yml: added galaxy_info.platforms: Debian bookworm",
        "meta/main.yml: added dependencies: [] (Galaxy needs the key)",
    ]


def test_meta_merge_writes_galaxy_info_when_there_is_none() -> None:
    merged, _ = _meta.merge("---\ndependencies: []\n", ANSWERS, DEBIAN)
    assert yaml.safe_load(merged)["galaxy_info"] == {
        "min_ansible_version": "2.19", "namespace": "acme", "role_name": "web",
        "platforms": [{"name": "Debian", "versions": ["bookworm"]}],
    }  # fmt: skip
    assert merged.startswith("---\ngalaxy_info:\n")


def test_meta_merge_refuses_inline_platforms() -> None:
    text = "galaxy_info:\n  role_name: web\n  namespace: acme\n  platforms: [{name: EL}]\n"
    with pytest.raises(
        ConfigError,
        match=r"^meta/main.yml: galaxy_info.platforms is written inline: write it as a block list",
    ):
        _meta.merge(text, ANSWERS, DEBIAN)


def test_merge_meta_writes_the_file_and_reports(tmp_path: Path) -> None:
    report = Report()
    _meta.merge_meta(tmp_path, ANSWERS, DEBIAN, report)
    assert (
        yaml.safe_load((tmp_path / "meta/main.yml").read_text())["galaxy_info"]["namespace"]
        == "acme"
    )
    assert report.added == ["meta/main.yml: galaxy_info from your answers (the role had none)"]
    assert "meta/main.yml: added dependencies: [] (Galaxy needs the key)" in report.merged_lines


def test_merge_meta_of_a_complete_file_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "meta").mkdir()
    text = FULL.replace('EL\n      versions: ["9"]', "Debian\n      versions: [bookworm]")
    (tmp_path / "meta/main.yml").write_text(text)
    report = Report()
    _meta.merge_meta(tmp_path, ANSWERS, DEBIAN, report)
    assert (tmp_path / "meta/main.yml").read_text() == text
    assert report.added == report.merged_lines == []


def test_kept_everything_sees_a_lost_key() -> None:
    before = {"galaxy_info": {"company": "ACME", "platforms": [{"name": "EL"}]}, "dependencies": []}
    assert _meta.kept_everything(before, before)
    assert not _meta.kept_everything(
        before, {"galaxy_info": {"platforms": [{"name": "EL"}]}, "dependencies": []}
    )


def test_child_indent_defaults_to_two_spaces() -> None:
    assert _meta.child_indent(["galaxy_info:", "", "# c"], 0) == "  "
    assert _meta.child_indent(["galaxy_info:", "top: 1"], 0) == "  "


# ---- argument specs ---------------------------------------------------------


def test_specs_are_inferred_from_defaults(tmp_path: Path) -> None:
    (tmp_path / "defaults").mkdir()
    (tmp_path / "defaults/main.yml").write_text("web_port: 80\nweb_names: [a]\nweb_opts: {}\n")
    report = Report()
    _specs.write_specs(tmp_path, "Serves: pages", report)
    specs = yaml.safe_load((tmp_path / "meta/argument_specs.yml").read_text())["argument_specs"][
        "main"
    ]
    assert specs["short_description"] == "Serves: pages"
    assert {k: v["type"] for k, v in specs["options"].items()} == {
        "web_port": "int",
        "web_names": "list",
        "web_opts": "dict",
    }
    assert report.added == [
        (
            "meta/argument_specs.yml: 3 option(s) from defaults/main.yml, types inferred from the "
            "values: describe each one (a starting point)"
        )
    ]
    _specs.write_specs(tmp_path, "other", report)
    assert report.kept == [
        "meta/argument_specs.yml: yours (the unit tests check defaults/main.yml against it)"
    ]


def test_specs_without_defaults_have_no_options(tmp_path: Path) -> None:
    _specs.write_specs(tmp_path, "d", Report())
    assert (
        yaml.safe_load((tmp_path / "meta/argument_specs.yml").read_text())["argument_specs"][
            "main"
        ]["options"]
        == {}
    )


# ---- molecule ---------------------------------------------------------------

CONVERGE = """\
- name: Converge
  hosts: all
  become: true
  vars: {web_port: 8080}
  pre_tasks:
    - name: Update apt
      ansible.builtin.apt: {update_cache: true}
  tasks:
    - name: Include the role
      ansible.builtin.include_role: {name: web}
- import_playbook: other.yml
"""


def scenario(root: Path, name: str = "default", tests: dict[str, str] | None = None) -> Path:
    folder = root / "molecule" / name
    (folder / "tests").mkdir(parents=True)
    platforms = [
        {"name": "deb", "image": "geerlingguy/docker-debian12-ansible"},
        {"name": "deb2", "image": "debian:bookworm"},
        {"name": "c7", "image": "centos:7"},
    ]
    (folder / "molecule.yml").write_text(yaml.safe_dump({"platforms": platforms}))
    (folder / "converge.yml").write_text(CONVERGE)
    for file, text in (tests or {}).items():
        (folder / "tests" / file).write_text(text)
    return folder


def test_default_scenario_first_then_any(tmp_path: Path) -> None:
    assert _molecule.find(tmp_path) is None
    other = scenario(tmp_path, "other")
    assert _molecule.find(tmp_path) == other
    assert _molecule.find(tmp_path) == other
    default = scenario(tmp_path)
    assert _molecule.find(tmp_path) == default


def test_molecule_platforms_map_by_image(tmp_path: Path) -> None:
    report = Report()
    found = _molecule.read(scenario(tmp_path), MATRIX, report)
    assert found.platform_ids == ["debian12"]
    assert report.notes == [
        (
            "molecule platform c7 (centos:7): no modskel platform matches; add one in "
            "pyproject.toml [tool.modskel.platforms] (docs/adopting.md)"
        )
    ]
    assert _molecule.short_image("registry.example:5000/library/debian:12") == "debian:12"


def test_import_writes_converge_and_copies_tests(tmp_path: Path) -> None:
    tests = {"test_default.py": "def test_a(host):\n    assert host\n",
             "test_old.py": "import os\nos.environ['MOLECULE_INVENTORY_FILE']\n",
             "test_clash.py": "x = 1\n", "conftest.py": ""}  # fmt: skip
    folder = scenario(tmp_path, tests=tests)
    (tmp_path / "tests/integration").mkdir(parents=True)
    (tmp_path / "tests/integration/test_clash.py").write_text("mine\n")
    report = Report()
    _molecule.import_scenario(
        tmp_path, "acme.web", _molecule.read(folder, MATRIX, Report()), report
    )
    converge = yaml.safe_load((tmp_path / "tests/integration/converge.yml").read_text())
    assert converge == [{"name": "Converge", "hosts": "all", "gather_facts": True,
                         "vars": {"web_port": 8080},
                         "pre_tasks": [{"name": "Update apt",
                                        "ansible.builtin.apt": {"update_cache": True}}],
                         "roles": [{"role": "acme.web"}]}]  # fmt: skip
    assert (tmp_path / "tests/integration/test_default.py").read_text() == tests["test_default.py"]
    assert (tmp_path / "tests/integration/test_clash.py").read_text() == "mine\n"
    assert report.added == [
        (
            "tests/integration/converge.yml: the role with facts, and "
            "molecule/default/converge.yml's vars and pre_tasks"
        ),
        "tests/integration/test_default.py: copied unchanged from molecule/default/tests/",
        "tests/integration/test_old.py: copied unchanged from molecule/default/tests/",
    ]
    assert report.notes == [
        (
            "molecule/default/converge.yml: tasks and post_tasks are not imported: "
            "move them into the role or pre_tasks"
        ),
        "molecule/default/tests/test_clash.py: not copied, tests/integration/test_clash.py exists",
        (
            "tests/integration/test_old.py reads MOLECULE_* variables: "
            "drop those lines (the harness gives `host`)"
        ),
    ]


def test_scenario_without_converge_or_platforms(tmp_path: Path) -> None:
    folder = tmp_path / "molecule/default"
    folder.mkdir(parents=True)
    (folder / "molecule.yml").write_text("")
    report = Report()
    _molecule.import_scenario(tmp_path, "acme.web", _molecule.read(folder, MATRIX, report), report)
    assert report.added == report.notes == []


# ---- lint baseline ----------------------------------------------------------

YAMLLINT = """\
---
extends: default
rules:
  line-length:
    max: 160
  comments-indentation: false
ignore: |
  .tox/
"""
PYPROJECT = '[tool.ruff.lint.per-file-ignores]\n"tests/**" = ["S101"]\n'


class FakeLint:
    """The lint env's tools, answering with canned output; records each command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[str] = []

    def __call__(self, root: Path, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(" ".join(command))
        out = ""
        if command[0] == "ansible-lint":
            (root / ".ansible-lint-ignore").write_text("tasks/main.yml fqcn[action-core]\n")
        elif command[0] == "yamllint":
            out = ("./tasks/main.yml:3:161: [error] line too long (170 > 160) (line-length)\n"
                   'meta/main.yml:1:1: [warning] missing document start "---" (document-start)\n'
                   "junk\n")  # fmt: skip
        elif command[:2] == ["ruff", "check"]:
            out = f'[{{"filename": "{root}/library/x.py", "code": "F401"}}]\nlint: OK\n'
        elif command[:2] == ["ruff", "format"]:
            out = f'[{{"filename": "{root}/library/x.py", "code": "unformatted"}}]\n'

        return subprocess.CompletedProcess(list(command), 0, out, "")


def test_baseline_records_each_tools_debt(tmp_path: Path) -> None:
    (tmp_path / ".yamllint").write_text(YAMLLINT)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    report = Report()
    lint = FakeLint(tmp_path)
    _baseline.baseline(tmp_path, set(), report, lint)
    assert lint.calls[0] == "modskel collections"
    config = yaml.safe_load((tmp_path / ".yamllint").read_text())
    assert config["rules"]["line-length"] == {"max": 160, "ignore": "tasks/main.yml\n"}
    assert config["rules"]["document-start"] == {"ignore": "meta/main.yml\n"}
    assert config["ignore"] == ".tox/\n"
    pyproject = (tmp_path / "pyproject.toml").read_text()
    assert '"library/x.py" = ["F401"]\n"tests/**"' in pyproject
    assert pyproject.endswith('exclude = ["library/x.py"]\n')
    assert report.added == [".ansible-lint-ignore: ansible-lint's baseline, 1 file/rule line(s)"]
    assert report.merged_lines == [
        (
            ".yamllint: per-rule ignore lists for existing findings: "
            "document-start (1), line-length (1)"
        ),
        "pyproject.toml: ruff ignores for 1 file(s), formatting for 1",
    ]


def test_baseline_keeps_the_authors_lint_files(tmp_path: Path) -> None:
    report = Report()

    def clean(_root: Path, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(list(command), 0, "", "")

    _baseline.baseline(tmp_path, {".ansible-lint-ignore", ".yamllint"}, report, clean)
    assert report.kept == [
        ".ansible-lint-ignore: yours (ansible-lint's baseline)",
        ".yamllint: yours; findings under it are not baselined (fix them or add ignores)",
    ]
    _baseline.yamllint_baseline(tmp_path, set(), report, clean)
    assert report.merged_lines == []


def test_no_ignore_file_written_means_none_counted(tmp_path: Path) -> None:
    report = Report()

    def quiet(_root: Path, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(list(command), 0, "", "")

    _baseline.baseline(tmp_path, {".yamllint"}, report, quiet)
    assert report.added == [".ansible-lint-ignore: ansible-lint's baseline, 0 file/rule line(s)"]


def test_tox_is_found_on_path_or_run_through_uvx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert _baseline.tox() == ["uvx", "--from", "tox", "--with", "tox-uv", "tox"]
    (tmp_path / "tox").write_text('#!/bin/sh\necho "$@"; echo oops >&2; exit ${TOX_EXIT:-0}\n')
    (tmp_path / "tox").chmod(0o755)
    assert _baseline.tox() == [str(tmp_path / "tox")]
    done = _baseline.in_lint_env(tmp_path, ["yamllint", "."])
    assert done.stdout == "exec -q -e lint -- yamllint .\n"
    monkeypatch.setenv("TOX_EXIT", "1")
    assert _baseline.in_lint_env(tmp_path, ["yamllint", "."]).returncode == 1
    with pytest.raises(
        SetupError,
        match=r"^`tox exec -e lint -- modskel collections` failed \(exit 1\): oops: run it",
    ):
        _baseline.in_lint_env(tmp_path, ["modskel", "collections"])


# ---- report -----------------------------------------------------------------


def test_report_lists_every_section(tmp_path: Path) -> None:
    report = Report()
    report.add("a file")
    report.keep("your file")
    path = report.write(tmp_path, "acme.web")
    text = path.read_text()
    assert path.name == "ADOPTION.md"
    assert text.startswith("# Adopting acme.web into modskel\n")
    assert "## Added\n\nFiles modskel wrote; they did not exist before.\n\n- a file\n" in text
    assert (
        "## Merged\n\nFiles of yours that modskel extended (additions only, except where "
        "said).\n\n- (none)\n" in text
    )
    assert "- your file\n" in text
    assert "\n\n## Next steps\n" in text


@pytest.mark.parametrize(
    ("setting", "problems"),
    [
        ("readme_table = false\n", []),
        ("", ["README.md not found: add one with the variab"]),
    ],
    ids=["adopted-readme-without-table", "default"],
)
def test_readme_table_setting_turns_the_readme_check_off(
    tmp_path: Path, setting: str, problems: list[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.modskel]\n{setting}")
    found = [p[:44] for p in README_CHECK.run(Project(tmp_path))]
    assert found == problems


def test_a_merge_that_would_lose_a_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_meta, "kept_everything", lambda _before, _after: False)
    with pytest.raises(ConfigError, match=r"^meta/main.yml: merging would change your keys: add "):
        _meta.merge_meta(tmp_path, ANSWERS, DEBIAN, Report())
    assert not (tmp_path / "meta/main.yml").exists()


# --- platforms meta/main.yml claims beyond what is tested ------------------------------

CLAIMS = """\
galaxy_info:
  platforms:
    - name: Debian
      versions: [bookworm, bullseye]
    - name: EL
      versions: ["7"]
    - name: Ubuntu
      versions: [noble]
"""


def test_untested_platforms_are_written_and_pass_the_meta_check(tmp_path: Path) -> None:
    from pytest_modskel import meta  # noqa: PLC0415
    from pytest_modskel.commands import adopt  # noqa: PLC0415

    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "main.yml").write_text(CLAIMS)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "web"\n')
    tested = {"Debian": ["bookworm"], "Ubuntu": ["noble"]}
    untested = adopt.untested_names(tmp_path, tested)
    assert untested == ["Debian", "EL"]
    report = Report()
    adopt.settings(tmp_path, untested, report)
    assert Project(tmp_path).settings["untested_platforms"] == ["Debian", "EL"]
    assert report.added == [
        (
            'pyproject.toml: untested_platforms = ["Debian", "EL"], the platforms meta/main.yml '
            "claims beyond what modskel tests: add platforms, then shrink it"
        )
    ]
    problems = meta.meta_problems(tmp_path, platforms=tested, min_ansible_version="2.20")
    assert [p for p in problems if "platforms" in p] == []


def test_no_untested_platforms_writes_no_list(tmp_path: Path) -> None:
    from pytest_modskel.commands import adopt  # noqa: PLC0415

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "web"\n')
    adopt.settings(tmp_path, [], Report())
    assert "untested_platforms" not in Project(tmp_path).settings
