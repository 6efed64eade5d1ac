"""Offline images: running as root, debootstrap, VM disks and container seeds (all faked)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from conftest import FakeBin, exactly
from pytest_modskel.drivers.container import ENGINES
from pytest_modskel.errors import SetupError
from pytest_modskel.images import container as seeds
from pytest_modskel.images import debootstrap, vm
from pytest_modskel.images.vm import BuiltImage

ROOT_UID, USER_UID = 0, 1000


@pytest.mark.usefixtures("fake_bin")
def test_as_root_when_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: ROOT_UID)
    assert debootstrap.as_root(["mkfs.ext4", "-q"]) == ["mkfs.ext4", "-q"]


def test_as_root_through_sudo(monkeypatch: pytest.MonkeyPatch, fake_bin: FakeBin) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: USER_UID)
    fake_bin.add("sudo")
    assert debootstrap.as_root(["mkfs.ext4", "-q"]) == ["sudo", "-n", "mkfs.ext4", "-q"]


@pytest.mark.usefixtures("fake_bin")
def test_as_root_without_sudo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: USER_UID)
    with pytest.raises(
        SetupError,
        match=r"^building an image needs root for debootstrap: run it as root or install sudo$",
    ):
        debootstrap.as_root(["debootstrap", "bookworm"])


@pytest.fixture
def as_root(monkeypatch: pytest.MonkeyPatch, fake_bin: FakeBin) -> FakeBin:
    """Run the image tools as if this process were root (they are fakes on PATH)."""
    monkeypatch.setattr(os, "geteuid", lambda: ROOT_UID)
    return fake_bin


def test_run(as_root: FakeBin) -> None:
    as_root.add("mkfs.ext4")
    debootstrap.run(["mkfs.ext4", "-q", "-F", "disk.raw"], "pack")
    assert as_root.calls() == ["mkfs.ext4 -q -F disk.raw"]


def test_run_through_sudo(fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: USER_UID)
    fake_bin.add("sudo", 'shift; exec "$@"')
    fake_bin.add("tar")
    debootstrap.run(["tar", "-cf", "x.tar", "."], "pack Debian bookworm")
    assert fake_bin.calls() == ["sudo -n tar -cf x.tar .", "tar -cf x.tar ."]


@pytest.mark.parametrize(
    ("tool", "package"),
    [("debootstrap", "debootstrap"), ("mkfs.ext4", "e2fsprogs"), ("chroot", "chroot")],
    ids=["debootstrap", "mkfs", "other"],
)
@pytest.mark.usefixtures("as_root")
def test_run_missing_tool(tool: str, package: str) -> None:
    with pytest.raises(
        SetupError,
        match=rf"^{tool} is not installed, needed to build it: apt-get install {package}$",
    ):
        debootstrap.run([tool, "x"], "build it")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("echo 'progress' >&2; echo 'mkfs.ext4: No space left on device' >&2; exit 1",
         "mkfs.ext4: No space left on device"),
        ("echo 'E: only on stdout'; exit 1", "E: only on stdout"),
        ("exit 1", "no output"),
    ],
    ids=["stderr", "stdout", "silent"],
)  # fmt: skip
def test_run_fails(as_root: FakeBin, body: str, why: str) -> None:
    as_root.add("mkfs.ext4", body)
    expected = f"could not pack: {why} (command: mkfs.ext4 -q -F ...)"
    with pytest.raises(SetupError, match=exactly(expected)):
        debootstrap.run(["mkfs.ext4", "-q", "-F", "-L", "root"], "pack")


def test_debootstrap_command(as_root: FakeBin, tmp_path: Path) -> None:
    as_root.add("debootstrap")
    debootstrap.debootstrap("bookworm", tmp_path / "root", "python3")
    packages = debootstrap.CACHE / "debootstrap-packages"
    assert packages.is_dir()
    assert as_root.calls() == [
        (
            f"debootstrap --variant=minbase --include=python3 --cache-dir={packages} "
            f"bookworm {tmp_path / 'root'}"
        )
    ]


def test_debootstrap_fails(as_root: FakeBin, tmp_path: Path) -> None:
    as_root.add("debootstrap", "echo 'E: Failed getting release file' >&2; exit 1")
    with pytest.raises(
        SetupError,
        match=r"^could not debootstrap Debian trixie: E: Failed getting release file "
        r"\(command: debootstrap --variant=minbase --include=python3 \.\.\.\)$",
    ):
        debootstrap.debootstrap("trixie", tmp_path / "root", "python3")


def test_built_image_paths() -> None:
    image = BuiltImage.of("bookworm")
    assert image.disk.parent.parent == debootstrap.CACHE / "vm-images"
    assert image.disk.parent.name.startswith("debian-bookworm-")
    assert (image.disk.name, image.kernel.name, image.initrd.name) == (
        "disk.raw", "vmlinuz", "initrd.img",
    )  # fmt: skip
    assert BuiltImage.of("bookworm") == image
    assert BuiltImage.of("trixie").disk.parent != image.disk.parent
    assert not image.ready
    image.disk.parent.mkdir(parents=True)
    image.disk.touch()
    image.kernel.touch()
    assert not image.ready  # all three are needed
    image.initrd.touch()
    assert image.ready


# The build tools, faked: debootstrap makes a root with a kernel, install copies,
# mkfs.ext4 writes the disk, rm removes; chroot does nothing.
DEBOOTSTRAP = """\
eval root=\\${$#}
/bin/mkdir -p "$root/boot"
echo kernel > "$root/boot/vmlinuz-6.1.0-28-cloud-amd64"
echo initrd > "$root/boot/initrd.img-6.1.0-28-cloud-amd64"
"""
INSTALL = """\
eval dest=\\${$#}
eval src=\\${$(($# - 1))}
/bin/mkdir -p "${dest%/*}"
/bin/cp "$src" "$dest"
"""


@pytest.fixture
def build_tools(as_root: FakeBin) -> FakeBin:
    as_root.add("debootstrap", DEBOOTSTRAP)
    as_root.add("chroot")
    as_root.add("install", INSTALL)
    as_root.add("mkfs.ext4", 'echo disk > "$7"')
    as_root.add("tar", 'echo tarball > "$4"')
    as_root.add("rm", '/bin/rm "$@"')
    return as_root


def test_build(build_tools: FakeBin) -> None:
    folder = debootstrap.CACHE / "vm-images"
    folder.mkdir(parents=True)
    (folder / "debian-bookworm-000000000000").mkdir()  # an earlier recipe
    (folder / "debian-trixie-000000000000").mkdir()  # another suite
    image = vm.build("bookworm")
    assert image == BuiltImage.of("bookworm")
    assert image.ready
    assert image.kernel.read_text(encoding="utf-8") == "kernel\n"
    assert image.initrd.read_text(encoding="utf-8") == "initrd\n"
    assert image.disk.read_text(encoding="utf-8") == "disk\n"
    assert sorted(p.name for p in folder.iterdir()) == [
        image.disk.parent.name,
        "debian-trixie-000000000000",
    ]
    calls = build_tools.calls()
    assert [c.split(" ", 1)[0] for c in calls].count("install") == len(vm.FILES) + 2
    assert not any("cloud-init" in c for c in calls)  # the key comes on the kernel command line
    assert any(
        c.endswith(" systemctl --quiet enable systemd-networkd.service modskel-ssh-key.service")
        for c in calls
    )
    assert any(c.endswith(" systemctl --quiet mask e2scrub_reap.service") for c in calls)
    (mkfs,) = build_tools.calls("mkfs.ext4")
    assert mkfs.startswith("mkfs.ext4 -q -F -L root -d ")
    assert mkfs.endswith("/image/disk.raw 2G")
    before = len(build_tools.calls())
    assert vm.build("bookworm") == image  # cached: nothing runs
    assert len(build_tools.calls()) == before


def test_build_writes_the_files_into_the_root(
    build_tools: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keep the build tree (a fake rm that removes nothing) to look at what was written.
    build_tools.add("rm")
    monkeypatch.setattr(tempfile, "TemporaryDirectory", _KeptDirectory)
    vm.build("bookworm")
    (root,) = (debootstrap.CACHE / "vm-images").glob("*/root")
    for relative, text in vm.FILES.items():
        assert (root / relative).read_text(encoding="utf-8") == text


class _KeptDirectory:
    """A TemporaryDirectory that stays (under the image cache, which is in tmp_path)."""

    def __init__(self, prefix: str, dir: Path) -> None:  # noqa: A002 - TemporaryDirectory's name
        self.path = Path(dir) / f"{prefix}kept"

    def __enter__(self) -> str:
        self.path.mkdir()
        return str(self.path)

    def __exit__(self, *_exc: object) -> None:
        return None


def test_build_fails_and_leaves_no_image(build_tools: FakeBin) -> None:
    build_tools.add(
        "chroot", 'case "$*" in *clean*) echo "E: Could not open lock file" >&2; exit 100;; esac'
    )
    with pytest.raises(
        SetupError,
        match=r"^could not clean the package cache: E: Could not open lock file \(command: ",
    ):
        vm.build("bookworm")
    assert not BuiltImage.of("bookworm").ready
    assert list((debootstrap.CACHE / "vm-images").iterdir()) == []  # the work folder is gone


def test_rootfs_tarball(build_tools: FakeBin) -> None:
    tarball = seeds.rootfs_tarball("bookworm")
    assert tarball == debootstrap.CACHE / "images" / "debian-bookworm-minbase.tar"
    assert tarball.read_text(encoding="utf-8") == "tarball\n"
    assert [c.split(" ", 1)[0] for c in build_tools.calls()] == ["debootstrap", "tar", "rm"]
    assert "--include=python3" in build_tools.calls()[0]
    assert seeds.rootfs_tarball("bookworm") == tarball  # cached
    assert len(build_tools.calls()) == 3


PODMAN = """\
case "$1" in
  image) exit "${INSPECT_RC:-1}" ;;
  import) [ "${IMPORT_RC:-0}" = 0 ] || { echo 'Error: invalid tar header' >&2; exit 125; } ;;
esac
"""
IMAGE = "docker.io/library/debian:bookworm"


def test_seed_imports_once(build_tools: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tools.add("podman", PODMAN)
    assert seeds.seed(ENGINES["podman"], IMAGE, "bookworm") is True
    assert build_tools.calls("podman") == [
        f"podman image inspect {IMAGE}",
        f"podman import -q - {IMAGE}",
    ]
    monkeypatch.setenv("INSPECT_RC", "0")
    assert seeds.seed(ENGINES["podman"], IMAGE, "bookworm") is False


def test_seed_import_fails(build_tools: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tools.add("docker", PODMAN)
    monkeypatch.setenv("IMPORT_RC", "1")
    with pytest.raises(
        SetupError, match=rf"^docker import of {IMAGE} failed: Error: invalid tar header$"
    ):
        seeds.seed(ENGINES["docker"], IMAGE, "bookworm")
