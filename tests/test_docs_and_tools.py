"""Docs build strictly from the registry data; maintainer commands work and report drift."""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.helpers import BIN, REPO
from tools import images, matrix, reserved_names

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Generate


def test_docs_build_strictly_and_list_every_platform(tmp_path: Path) -> None:
    cmd = [str(BIN / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site")]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site" / "platforms" / "index.html").read_text()
    for row in matrix.load("platforms"):
        assert f"<code>{row['id']}</code>" in page
        assert row["image"] in page
    cells = (tmp_path / "site" / "support-matrix" / "index.html").read_text()
    for row in matrix.load("ansible_core"):
        for py in row["python"]:
            assert (
                f"<code>py{py.replace('.', '')}-ansible{row['version'].replace('.', '')}</code>"
                in cells
            )


def test_reserved_names_file_is_current() -> None:
    assert reserved_names.main(["--check"]) == 0


def test_reserved_names_check_reports_drift(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stale = tmp_path / "reserved_names.yml"
    stale.write_text("- when\n")
    monkeypatch.setattr(reserved_names, "TARGET", stale)
    assert reserved_names.main(["--check"]) == 1
    assert reserved_names.main([]) == 0
    assert "- environment\n" in stale.read_text()


def test_unknown_platform_lists_the_known_ones() -> None:
    with pytest.raises(
        KeyError, match=r"unknown platform 'centos5': choose from debian12, .*fedora42"
    ):
        matrix.platform("centos5")


def test_platform_without_seed_cannot_be_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "image_exists", lambda _image: False)
    with pytest.raises(
        images.SeedError, match=r"ubuntu:24.04 is not present and ubuntu2404 has no seed"
    ):
        images.ensure("ubuntu2404")


def test_images_command_names_the_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert images.main(["centos5"]) == 1
    assert "error: unknown platform 'centos5'" in capsys.readouterr().err
    assert images.main([]) == 2


def harness_messages() -> list[str]:
    """Return the fixed text of every message the harness package can print."""
    fragments = []
    for source in (REPO / "pytest-modskel" / "src").rglob("*.py"):
        text = source.read_text()
        for match in re.finditer(
            r'(?:msg = \(?|pytest\.fail\(\n?\s*)((?:\s*f?"[^"\n]*"\n?)+)', text
        ):
            literal = "".join(re.findall(r'f?"([^"]*)"', match.group(1)))
            for part in re.split(r"\{[^}]*\}|\\n|\(|\)", literal):
                fixed = part.strip(" :.,-")
                if len(fixed.split()) >= 2:
                    fragments.append(fixed)
    return fragments


def test_troubleshooting_lists_every_harness_message() -> None:
    page = (REPO / "docs" / "troubleshooting.md").read_text().replace("`", "")
    messages = harness_messages()
    assert len(messages) >= 8
    assert [m for m in messages if m.replace("`", "") not in page] == []


def test_file_ownership_is_documented_from_copier_yml(generate: Generate) -> None:
    config = yaml.safe_load((REPO / "copier.yml").read_text().replace("!include", ""))
    owned = config["_skip_if_exists"]
    collection_only = config["kind_only_files"]["default"]["collection"]
    readme = (generate() / "README.md").read_text()  # a role's README lists a role's files
    listed = readme.partition("<!-- BEGIN author-owned files -->")[2].partition("<!--")[0]
    role_files = [path for path in owned if path not in collection_only]
    assert [line.strip("- `") for line in listed.split("\n") if line.strip()] == role_files
    guide = (REPO / "docs" / "updating.md").read_text()
    assert all(f"`{path}`" in guide for path in owned)
