"""Platforms: the listed ones, the author's overrides, validation and selection."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import exactly, write_project
from pytest_modskel.errors import ConfigError
from pytest_modskel.platforms import (
    FIELDS,
    INSTALL,
    PREPARE,
    SYSTEMD,
    Platform,
    load,
    merge,
    parse,
    select,
)
from pytest_modskel.project import Project

WHERE = "tests/integration/platforms.yml"


def test_fields_follow_the_dataclass() -> None:
    expected = {"id": str, "image": str, "name": str, "bootstrap": str, "kind": str,
                "systemd": bool, "kernel": str, "initrd": str, "key": str,
                "prepare": bool}  # fmt: skip
    assert expected == FIELDS


def test_parse_defaults_the_name_to_the_id() -> None:
    assert parse({"id": "debian12", "image": "debian:12"}, WHERE) == Platform(
        id="debian12", image="debian:12", name="debian12"
    )


def test_parse_keeps_every_field() -> None:
    row = {"id": "vm12", "image": "built:bookworm", "name": "Debian VM", "bootstrap": "dnf",
           "kind": "vm", "systemd": True, "kernel": "/k", "initrd": "/i", "key": "/id",
           "prepare": False}  # fmt: skip
    assert vars(parse(row, WHERE)) == row


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": "debian12", "image": "x", "imgae": "y"},
         (f"{WHERE}: platform debian12: unknown key 'imgae': use one of bootstrap, id, image, "
          "initrd, kernel, key, kind, name, prepare, systemd")),
        ({"id": "debian12", "image": "x", "prepare": "no"},
         f"{WHERE}: platform debian12: prepare must be true or false, not 'no': fix the value"),
        ({"id": "debian12", "image": "x", "systemd": "yes"},
         f"{WHERE}: platform debian12: systemd must be true or false, not 'yes': fix the value"),
        ({"id": "debian12", "image": 12},
         f"{WHERE}: platform debian12: image must be a string, not 12: fix the value"),
        ({"image": "x"},
         f"{WHERE}: platform ?: missing id: every platform needs an id and an image"),
        ({"id": "debian12", "image": ""},
         f"{WHERE}: platform debian12: missing image: every platform needs an id and an image"),
        ({}, f"{WHERE}: platform ?: missing id, image: every platform needs an id and an image"),
        ("debian12", f"{WHERE}: expected a mapping, found 'debian12': fix the file"),
    ],
    ids=["unknown-key", "prepare-not-bool", "systemd-not-bool", "image-not-str", "no-id",
         "empty-image",
         "empty-row", "not-a-mapping"],
)  # fmt: skip
def test_parse_errors(row: object, message: str) -> None:
    with pytest.raises(ConfigError, match=exactly(message)):
        parse(row, WHERE)


APT_PYTHON = (
    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
    "apt-get install -y -qq --no-install-recommends python3 >/dev/null"
    " && apt-get clean && rm -rf /var/lib/apt/lists/*"
)


@pytest.mark.parametrize(
    ("bootstrap", "command"),
    [("apt", APT_PYTHON), ("dnf", "dnf install -y -q python3 && dnf clean all")],
    ids=["apt", "dnf"],
)  # fmt: skip
def test_bootstrap_command(bootstrap: str, command: str) -> None:
    assert Platform("p", "img", bootstrap=bootstrap).bootstrap_command == command


def test_install_command_joins_the_packages() -> None:
    assert Platform("p", "img", bootstrap="dnf").install_command("a", "b") == (
        "dnf install -y -q a b && dnf clean all"
    )
    assert INSTALL["apt"].format(packages="a b") == Platform("p", "img").install_command("a", "b")


@pytest.mark.parametrize(
    ("bootstrap", "systemd", "packages"),
    [
        ("apt", False, "python3 procps iproute2 sudo"),
        ("apt", True, "python3 procps iproute2 sudo systemd systemd-sysv"),
        ("dnf", False, "python3 procps-ng iproute sudo"),
        ("dnf", True, "python3 procps-ng iproute sudo systemd"),
    ],
    ids=["apt", "apt-systemd", "dnf", "dnf-systemd"],
)
def test_prepare_command(bootstrap: str, systemd: bool, packages: str) -> None:  # noqa: FBT001
    platform = Platform("p", "img", bootstrap=bootstrap, systemd=systemd)
    assert platform.prepare_command == INSTALL[bootstrap].format(packages=packages)
    expected = PREPARE[bootstrap] + (SYSTEMD[bootstrap] if systemd else ())
    assert platform.prepare_command == platform.install_command(*expected)


UNKNOWN_BOOTSTRAP = "platform alpine has unknown bootstrap 'apk': use one of apt, dnf"


@pytest.mark.parametrize(
    "command",
    [
        lambda p: p.bootstrap_command,
        lambda p: p.prepare_command,
        lambda p: p.install_command("curl"),
    ],
    ids=["bootstrap", "prepare", "install"],
)
def test_unknown_bootstrap(command: Callable[[Platform], str]) -> None:
    platform = Platform("alpine", "alpine:3", bootstrap="apk", systemd=True)
    with pytest.raises(ConfigError, match=exactly(UNKNOWN_BOOTSTRAP)):
        command(platform)


LISTED = [Platform("debian12", "debian:12", "Debian 12"), Platform("rocky9", "rocky:9", "Rocky")]
OVERRIDES = "pyproject.toml [tool.modskel.platforms]"


def test_merge_changes_one_field_and_keeps_the_rest() -> None:
    merged = merge(LISTED, {"debian12": {"image": "mirror/debian:12"}}, OVERRIDES)
    assert merged == [Platform("debian12", "mirror/debian:12", "Debian 12"), LISTED[1]]


def test_merge_adds_a_platform_at_the_end() -> None:
    merged = merge(LISTED, {"lab": {"image": "lab:1", "kind": "ssh"}}, OVERRIDES)
    assert [p.id for p in merged] == ["debian12", "rocky9", "lab"]
    assert merged[-1] == Platform("lab", "lab:1", name="lab", kind="ssh")


def test_merge_empty_table_keeps_the_platform() -> None:
    assert merge(LISTED, {"rocky9": {}}, OVERRIDES) == LISTED


def test_merge_id_comes_from_the_table_name() -> None:
    (merged,) = merge([], {"lab": {"id": "other", "image": "x"}}, OVERRIDES)
    assert merged.id == "lab"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"debian12": {"imgae": "x"}},
         f"{OVERRIDES}: platform debian12: unknown key 'imgae': use one of"),
        ({"new": {"kind": "ssh"}},
         f"{OVERRIDES}: platform new: missing image: every platform needs an id and an image"),
        ({"rocky9": {"systemd": 1}},
         f"{OVERRIDES}: platform rocky9: systemd must be true or false, not 1: fix the value"),
    ],
    ids=["unknown-key", "new-without-image", "wrong-type"],
)  # fmt: skip
def test_merge_errors(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}"):
        merge(LISTED, overrides, OVERRIDES)


def test_merge_override_that_is_not_a_table() -> None:
    # pyproject.toml: [tool.modskel.platforms] debian12 = "mirror/debian:12"
    with pytest.raises(ConfigError, match=r"platform debian12: expected a mapping"):
        merge(LISTED, {"debian12": "mirror/debian:12"}, OVERRIDES)


def test_load_lists_then_overrides(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        pyproject=(
            "[tool.modskel.platforms.rocky9]\nimage = 'mirror/rocky:9'\n"
            "[tool.modskel.platforms.lab]\nkind = 'container'\nimage = 'lab/debian:12'\n"
        ),
    )
    loaded = load(Project(root))
    assert [(p.id, p.name, p.image, p.bootstrap) for p in loaded] == [
        ("debian12", "Debian 12", "docker.io/library/debian:bookworm", "apt"),
        ("rocky9", "rocky9", "mirror/rocky:9", "dnf"),
        ("lab", "lab", "lab/debian:12", "apt"),
    ]


def test_load_without_a_platform_file_uses_the_overrides(tmp_path: Path) -> None:
    root = write_project(
        tmp_path, platforms=None, pyproject="[tool.modskel.platforms.lab]\nimage = 'lab:1'\n"
    )
    assert load(Project(root)) == [Platform("lab", "lab:1", "lab")]


def test_load_nothing(tmp_path: Path) -> None:
    assert load(Project(write_project(tmp_path, platforms=None))) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [("id: debian12\n", "dict"), ("", "NoneType"), ("debian12\n", "str")],
    ids=["mapping", "empty-file", "scalar"],
)
def test_load_needs_a_list(tmp_path: Path, text: str, found: str) -> None:
    root = write_project(tmp_path, platforms=text)
    with pytest.raises(
        ConfigError, match=rf"^{WHERE}: expected a list of platforms, found {found}: fix the file$"
    ):
        load(Project(root))


def test_load_names_the_file_platform_and_key(tmp_path: Path) -> None:
    root = write_project(tmp_path, platforms="- id: debian12\n  image: x\n  sytemd: true\n")
    with pytest.raises(
        ConfigError, match=rf"^{WHERE}: platform debian12: unknown key 'sytemd': use one of "
    ):
        load(Project(root))


def test_load_checks_the_overrides(tmp_path: Path) -> None:
    root = write_project(tmp_path, pyproject="[tool.modskel.platforms.debian12]\nimag = 'x'\n")
    message = f"{OVERRIDES}: platform debian12: unknown key 'imag': use one of bootstrap, id,"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}"):
        load(Project(root))


@pytest.mark.parametrize(
    ("wanted", "ids"),
    [
        (None, ["debian12", "rocky9"]),
        ("", ["debian12", "rocky9"]),
        ("rocky9", ["rocky9"]),
        (" rocky9 , debian12 ,", ["rocky9", "debian12"]),
    ],
    ids=["none", "empty", "one", "order-and-spaces"],
)
def test_select(wanted: str | None, ids: list[str]) -> None:
    assert [p.id for p in select(LISTED, wanted)] == ids


def test_select_unknown() -> None:
    expected = (
        "unknown platform nosuch, alpine: choose from debian12, rocky9 "
        "(tests/integration/platforms.yml and [tool.modskel.platforms] in pyproject.toml)"
    )
    with pytest.raises(ConfigError, match=exactly(expected)):
        select(LISTED, "debian12,nosuch,alpine")


def test_select_from_nothing() -> None:
    with pytest.raises(ConfigError, match=r"^unknown platform debian12: choose from \(none\) "):
        select([], "debian12")
