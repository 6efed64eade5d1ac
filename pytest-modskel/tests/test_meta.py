"""meta/main.yml against the answers: one line per problem, with the YAML to paste."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import write_project
from pytest_modskel.meta import meta_problems, runtime_problems

PLATFORMS = {"Debian": ["bookworm", "trixie"], "EL": ["9"]}
GOOD = """\
galaxy_info:
  role_name: web
  namespace: acme
  min_ansible_version: "2.19"
  platforms:
    - name: EL
      versions: ["9"]
    - name: Debian
      versions: [trixie, bookworm]
  galaxy_tags: [web, nginx]
dependencies: [acme.base]
"""
LINE = "meta/main.yml: galaxy_info"
ADD_EL = '{name: "EL", versions: ["9"]}'
DEBIAN = '{name: "Debian", versions: ["bookworm", "trixie"]}'


def problems(tmp_path: Path, meta: str) -> list[str]:
    root = write_project(tmp_path, meta=meta)
    return meta_problems(root, platforms=PLATFORMS, min_ansible_version="2.19")


def test_agreeing_meta_has_no_problem_whatever_else_the_author_added(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD) == []


UNTESTED = GOOD.replace(
    "    - name: Debian\n      versions: [trixie, bookworm]\n",
    "    - name: Debian\n      versions: [trixie, bookworm, bullseye]\n"
    "    - name: Ubuntu\n      versions: [noble]\n",
)


def test_untested_platforms_may_claim_more_than_is_tested(tmp_path: Path) -> None:
    settings = '[tool.modskel]\nuntested_platforms = ["Debian", "Ubuntu"]\n'
    root = write_project(tmp_path, meta=UNTESTED, pyproject=settings)
    assert meta_problems(root, platforms=PLATFORMS, min_ansible_version="2.19") == []


def test_untested_platforms_still_list_what_is_tested(tmp_path: Path) -> None:
    settings = '[tool.modskel]\nuntested_platforms = ["Debian"]\n'
    meta = UNTESTED.replace("[trixie, bookworm, bullseye]", "[bullseye]")
    root = write_project(tmp_path, meta=meta, pyproject=settings)
    assert meta_problems(root, platforms=PLATFORMS, min_ansible_version="2.19") == [
        (
            f'{LINE}.platforms has Debian versions ["bullseye"], your platforms answer tests '
            f'["bookworm", "trixie"]: make it  - {DEBIAN}'
        ),
        (
            f"{LINE}.platforms lists Ubuntu, which no platform of your answers tests: "
            "remove it, add such a platform (copier update --trust --data platforms=...), "
            "or name it in [tool.modskel] untested_platforms of pyproject.toml"
        ),
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '"2.19"',
            '"2.17"',
            (
                f'{LINE}.min_ansible_version is "2.17", your min_ansible_core answer is "2.19": '
                'write  min_ansible_version: "2.19"'
            ),
        ),
        (
            '"2.19"',
            "2.19",
            (
                f"{LINE}.min_ansible_version is 2.19, your min_ansible_core answer is "
                '"2.19": write  min_ansible_version: "2.19"'
            ),
        ),
        (
            '  min_ansible_version: "2.19"\n',
            "",
            (
                f"{LINE}.min_ansible_version is not set, your min_ansible_core answer is "
                '"2.19": write  min_ansible_version: "2.19"'
            ),
        ),
        (
            '    - name: EL\n      versions: ["9"]\n',
            "",
            f'{LINE}.platforms lacks EL, your platforms answer tests ["9"]: add  - {ADD_EL}',
        ),
        (
            "[trixie, bookworm]",
            "[bullseye, bookworm]",
            (
                f'{LINE}.platforms has Debian versions ["bookworm", "bullseye"], your platforms '
                f'answer tests ["bookworm", "trixie"]: make it  - {DEBIAN}'
            ),
        ),
        (
            "[trixie, bookworm]",
            "trixie",
            (
                f'{LINE}.platforms has Debian versions ["trixie"], your platforms answer tests '
                f'["bookworm", "trixie"]: make it  - {DEBIAN}'
            ),
        ),
        (
            '      versions: ["9"]\n',
            '      versions: ["9"]\n    - name: Ubuntu\n      versions: [noble]\n',
            (
                f"{LINE}.platforms lists Ubuntu, which no platform of your answers tests: "
                "remove it, add such a platform (copier update --trust --data platforms=...), "
                "or name it in [tool.modskel] untested_platforms of pyproject.toml"
            ),
        ),
        (
            "  platforms:\n",
            "  platforms: Debian\n  old_platforms:\n",
            f"{LINE}.platforms is not a list of entries: write  platforms: [{DEBIAN}, {ADD_EL}]",
        ),
    ],
    ids=[
        "older-version",
        "version-a-number",
        "version-missing",
        "platform-missing",
        "version-differs",
        "versions-a-scalar",
        "platform-untested",
        "platforms-not-a-list",
    ],
)
def test_each_difference_is_one_line_with_the_fix(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    assert problems(tmp_path, GOOD.replace(old, new, 1)) == [expected]


def test_every_difference_is_reported_at_once(tmp_path: Path) -> None:
    meta = GOOD.replace('"2.19"', '"2.17"').replace('    - name: EL\n      versions: ["9"]\n', "")
    assert problems(tmp_path, meta) == [
        (
            f'{LINE}.min_ansible_version is "2.17", your min_ansible_core answer is "2.19": '
            'write  min_ansible_version: "2.19"'
        ),
        f'{LINE}.platforms lacks EL, your platforms answer tests ["9"]: add  - {ADD_EL}',
    ]


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (
            "galaxy_info:\n  role_name: web\n namespace: acme\n",
            (
                "meta/main.yml: not valid YAML at line 3 (expected <block end>, but found "
                "'<block mapping start>'): fix it"
            ),
        ),
        ("dependencies: []\n", f"{LINE} is missing or not a mapping: add it (Galaxy needs it)"),
        ("- a list\n", f"{LINE} is missing or not a mapping: add it (Galaxy needs it)"),
    ],
    ids=["not-yaml", "no-galaxy-info", "not-a-mapping"],
)
def test_unreadable_meta_is_one_line(tmp_path: Path, meta: str, expected: str) -> None:
    assert problems(tmp_path, meta) == [expected]


def test_a_yaml_error_without_a_line_is_still_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_text: str) -> None:
        msg = "unreadable"
        raise yaml.YAMLError(msg)

    monkeypatch.setattr(yaml, "safe_load", refuse)
    assert problems(tmp_path, GOOD) == ["meta/main.yml: not valid YAML (unreadable): fix it"]


def test_missing_meta_says_how_to_restore_it(tmp_path: Path) -> None:
    (write_project(tmp_path) / "meta" / "main.yml").unlink()
    found = meta_problems(tmp_path, platforms=PLATFORMS, min_ansible_version="2.19")
    assert found == [
        "meta/main.yml: not found: restore it (git checkout -- meta/main.yml); Galaxy needs it"
    ]


@pytest.mark.parametrize(
    ("runtime", "problem"),
    [
        ('requires_ansible: ">=2.20.0"\n', None),
        ("requires_ansible: '>=2.20.0,<2.23'\n", None),
        (
            'requires_ansible: ">=2.19.0"\n',
            (
                'meta/runtime.yml: requires_ansible is ">=2.19.0", your min_ansible_core answer '
                'is "2.20": write  requires_ansible: ">=2.20.0"'
            ),
        ),
        (
            "plugin_routing: {}\n",
            (
                "meta/runtime.yml: requires_ansible is not set, your min_ansible_core answer "
                'is "2.20": write  requires_ansible: ">=2.20.0"'
            ),
        ),
        (None, "meta/runtime.yml: requires_ansible is not set"),
        ("requires_ansible: [\n", "meta/runtime.yml: not valid YAML (expected the node content"),
    ],
    ids=["same", "upper-bound", "older", "unset", "no-file", "bad-yaml"],
)
def test_runtime_requires_the_oldest_tested_ansible(
    tmp_path: Path, runtime: str | None, problem: str | None
) -> None:
    if runtime is not None:
        (tmp_path / "meta").mkdir()
        (tmp_path / "meta" / "runtime.yml").write_text(runtime, encoding="utf-8")
    found = runtime_problems(tmp_path, min_ansible_version="2.20")
    if problem is None:
        assert found == []
    else:
        (line,) = found
        assert line.startswith(problem)
