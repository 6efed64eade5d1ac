"""``modskel build``: ansible-galaxy and galaxy-importer faked; the summary line and exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest
from conftest import exactly, write_project
from pytest_modskel.commands import build, main
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.runner import ansible

GALAXY = "namespace: acme\nname: web\nversion: 0.1.0\n"
# ansible-galaxy collection build --force --output-path OUT ROOT, faked.
ANSIBLE_GALAXY = """\
#!/bin/sh
if [ -n "$FAKE_BUILD_ERROR" ]; then echo "$FAKE_BUILD_ERROR" >&2; exit 1; fi
: > "$5/acme-web-0.1.0.tar.gz"
echo "Created collection for acme.web at $5/acme-web-0.1.0.tar.gz"
"""
# python -m galaxy_importer.main ARTIFACT, faked: prints what it was told to, exits as told.
IMPORTER = """\
#!/bin/sh
echo "Importing $(basename "$1") with RUN_ANSIBLE_TEST=$GALAXY_IMPORTER_RUN_ANSIBLE_TEST"
printf '%b\\n' "${FAKE_IMPORTER:-Importer processing completed successfully}"
exit ${FAKE_EXIT:-0}
"""


def script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A collection that is the current folder; fake ansible-galaxy and galaxy-importer."""
    root = tmp_path / "web"
    (root / "plugins" / "modules").mkdir(parents=True)
    (root / "galaxy.yml").write_text(GALAXY, encoding="utf-8")
    (root / "plugins" / "modules" / "web_config.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.chdir(root)
    galaxy = script(tmp_path / "bin" / "ansible-galaxy", ANSIBLE_GALAXY)
    importer = script(tmp_path / "bin" / "importer", IMPORTER)
    monkeypatch.setattr(ansible, "ansible_bin", lambda name: str(galaxy.parent / name))
    monkeypatch.setattr(build, "importer_command", lambda: [str(importer)])
    return root


def test_build_accepted(collection: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Importing acme-web-0.1.0.tar.gz with RUN_ANSIBLE_TEST=false",
        "Importer processing completed successfully",
        "build: acme-web-0.1.0.tar.gz: galaxy-importer accepts it (0 warning(s))",
    ]
    assert sorted(p.name for p in collection.iterdir()) == ["galaxy.yml", "plugins"]


@pytest.mark.usefixtures("collection")
def test_build_keeps_the_artifact_in_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("FAKE_IMPORTER", "WARNING: No changelog found.")
    assert main(["build", "--output", "../dist"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    dist = tmp_path / "dist"
    assert (
        last == f"build: acme-web-0.1.0.tar.gz in {dist}: galaxy-importer accepts it (1 warning(s))"
    )
    assert (dist / "acme-web-0.1.0.tar.gz").is_file()


@pytest.mark.parametrize(
    ("error", "summary"),
    [
        (
            (
                "ERROR: The import failed for the following reason: Invalid collection metadata. "
                "'tag' has invalid format: Bad-Tag"
            ),
            "build: acme-web-0.1.0.tar.gz: galaxy-importer rejects it: fix galaxy.yml",
        ),
        (
            (
                "ERROR: The import failed for the following reason: /tmp/x/acme/web/"
                "plugins/modules/web_config.py: bad docs"
            ),
            (
                "build: acme-web-0.1.0.tar.gz: galaxy-importer rejects it: "
                "fix plugins/modules/web_config.py"
            ),
        ),
    ],
    ids=["metadata", "a-module"],
)
@pytest.mark.usefixtures("collection")
def test_build_rejected(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    error: str, summary: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("FAKE_IMPORTER", error)
    monkeypatch.setenv("FAKE_EXIT", "1")
    assert main(["build"]) == 1
    assert capsys.readouterr().out.splitlines()[-2:] == [error, summary]


@pytest.mark.usefixtures("collection")
def test_build_fails_to_build(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error = "ERROR! The collection galaxy.yml at 'galaxy.yml' has invalid version 'x'"
    monkeypatch.setenv("FAKE_BUILD_ERROR", error)
    assert main(["build"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        error,
        "build: ansible-galaxy collection build failed: fix galaxy.yml",
    ]


@pytest.mark.usefixtures("collection")
def test_build_needs_ansible_galaxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ansible, "ansible_bin", lambda name: f"/nowhere/{name}")
    message = (
        f"ansible-galaxy not found beside {sys.executable}: run `tox -e build`, "
        "whose env installs ansible-core and galaxy-importer"
    )
    with pytest.raises(SetupError, match=exactly(message)):
        build.run(argparse.Namespace(output=None))


def test_build_needs_galaxy_importer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "IMPORTER", "no_such_importer_here")
    message = (
        f"galaxy-importer is not installed for {sys.executable}: run `tox -e build`, "
        "whose env installs it"
    )
    with pytest.raises(SetupError, match=exactly(message)):
        build.importer_command()


def test_importer_command_runs_this_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "IMPORTER", "json")  # any module that is installed
    assert build.importer_command() == [sys.executable, "-m", "json.main"]


def test_build_is_for_collections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_project(tmp_path / "role")
    monkeypatch.chdir(root)
    message = (
        f"{root} is a role, not a collection (no galaxy.yml): modskel build is for "
        "collections; check a role with `tox -e importer`"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        build.run(argparse.Namespace(output=None))
