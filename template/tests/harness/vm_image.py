"""Build a minimal Debian VM image offline, from Debian's packages only.

``built:<suite>`` in ``tests/integration/platforms.yml`` names such an image.
debootstrap installs a kernel, systemd, openssh-server, python3 and cloud-init
into a directory, which ``mkfs.ext4 -d`` packs into a raw disk: no loop device,
no mount. The kernel and initrd are copied out for qemu's direct boot. Images
are cached by the hash of their recipe, so each is built once per machine.

Usage: ``python -m harness.vm_image [--platforms ID,...]`` (``tox -e vm-image``)
builds the images the selected VM platforms need and prints where they are.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.platforms import load_platforms, select

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "modskel"
PREFIX = "built:"
PACKAGES = (
    "linux-image-cloud-amd64,initramfs-tools,systemd-sysv,udev,dbus,openssh-server,"
    "python3,sudo,iproute2"
)
# Installed with apt in the new root: debootstrap cannot resolve their virtual packages.
APT_PACKAGES = ("cloud-init",)
# Files written into the root file system, relative to it.
FILES: dict[str, str] = {
    "etc/hostname": "modskel-vm\n",
    "etc/hosts": "127.0.0.1 localhost\n127.0.1.1 modskel-vm\n",
    "etc/fstab": "/dev/vda / ext4 defaults 0 1\n",
    "etc/resolv.conf": "nameserver 10.0.2.3\n",  # qemu user-mode networking's DNS
    "etc/systemd/network/50-dhcp.network": "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n",
    # The throw-away ssh key arrives through a NoCloud seed, as on cloud images.
    # networkd configures the network; cloud-init only installs the key, which
    # keeps it from competing with the converge for the (emulated) CPU.
    "etc/cloud/cloud.cfg.d/90-modskel.cfg": (
        "datasource_list: [NoCloud, None]\nnetwork: {config: disabled}\n"
        "cloud_init_modules: [ssh]\ncloud_config_modules: []\ncloud_final_modules: []\n"
    ),
}
ENABLE = ("systemd-networkd.service",)
MASK = ("cloud-config.service", "cloud-final.service")
SIZE = "2G"


@dataclass(frozen=True)
class BuiltImage:
    """A disk and the kernel and initrd that boot it directly."""

    disk: Path
    kernel: Path
    initrd: Path

    @classmethod
    def of(cls, suite: str) -> BuiltImage:
        """Return the cache paths of ``suite``'s image (built or not)."""
        recipe = json.dumps([suite, PACKAGES, APT_PACKAGES, FILES, ENABLE, MASK, SIZE])
        key = hashlib.sha256(recipe.encode()).hexdigest()[:12]
        folder = CACHE / "vm-images" / f"debian-{suite}-{key}"
        return cls(folder / "disk.raw", folder / "vmlinuz", folder / "initrd.img")

    @property
    def ready(self) -> bool:
        """Whether all three files exist (the folder is renamed into place last)."""
        return all(p.is_file() for p in (self.disk, self.kernel, self.initrd))


def _as_root(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return cmd
    if shutil.which("sudo") is None:
        msg = f"building a VM image needs root for {cmd[0]}: run `sudo tox -e vm-image`"
        raise HarnessError(msg)
    return ["sudo", "-n", *cmd]


def _run(cmd: list[str], what: str) -> None:
    if shutil.which(cmd[0]) is None:
        package = {"debootstrap": "debootstrap", "mkfs.ext4": "e2fsprogs"}.get(cmd[0], cmd[0])
        msg = f"{cmd[0]} is not installed, needed to {what}: apt-get install {package}"
        raise HarnessError(msg)
    done = subprocess.run(_as_root(cmd), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        msg = f"could not {what}: {tail[0]} (command: {' '.join(cmd[:3])} ...)"
        raise HarnessError(msg)


def _configure(root: Path, staged: Path) -> None:
    for relative, text in FILES.items():  # written as root: the tree is root's
        source = staged / relative.replace("/", "_")
        source.write_text(text, encoding="utf-8")
        _run(
            ["install", "-D", "-m", "0644", str(source), str(root / relative)], f"write {relative}"
        )
        source.unlink()
    systemctl = ["chroot", str(root), "systemctl", "--quiet"]
    _run([*systemctl, "enable", *ENABLE], "enable the network")
    _run([*systemctl, "mask", *MASK], "mask cloud-init's unused stages")


def build(suite: str) -> BuiltImage:
    """Build ``suite``'s image unless the cache has it; return its paths."""
    image = BuiltImage.of(suite)
    if image.ready:
        return image
    folder = image.disk.parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    packages = CACHE / "debootstrap-packages"
    packages.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{folder.name}-", dir=folder.parent) as work:
        root, staged = Path(work) / "root", Path(work) / "image"
        staged.mkdir()
        _run(
            ["debootstrap", "--variant=minbase", f"--include={PACKAGES}",
             f"--cache-dir={packages}", suite, str(root)],
            f"debootstrap Debian {suite}",
        )  # fmt: skip
        apt = ["chroot", str(root), "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq"]
        _run([*apt, "update"], "update the package lists")
        _run([*apt, "install", "--no-install-recommends", *APT_PACKAGES], "install cloud-init")
        _run([*apt, "clean"], "clean the package cache")
        _configure(root, staged)
        for name in ("vmlinuz", "initrd.img"):  # copied as root, left readable
            newest = str(max((root / "boot").glob(f"{name}-*")))
            _run(["install", "-m", "0644", newest, str(staged / name)], f"copy out {name}")
        disk = staged / "disk.raw"
        _run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(root), str(disk), SIZE], "pack")
        _run(["rm", "-rf", str(root)], "remove the build tree")  # root-owned files
        staged.rename(folder)
    for stale in folder.parent.glob(f"debian-{suite}-*"):  # earlier recipes of this suite
        if stale != folder and stale.is_dir():
            _run(["rm", "-rf", str(stale)], f"remove the outdated image {stale.name}")
    return image


def main(argv: list[str]) -> int:
    """Build the images of the selected VM platforms."""
    parser = argparse.ArgumentParser(prog="python -m harness.vm_image", description=__doc__)
    parser.add_argument("--platforms", default=os.environ.get("MODSKEL_PLATFORMS", ""))
    args = parser.parse_args(argv)
    try:
        chosen = select(load_platforms(), args.platforms)
        wanted = [p for p in chosen if p.kind == "vm" and p.image.startswith(PREFIX)]
        if not wanted:
            print(f"no selected platform uses an image {PREFIX}<suite>: nothing to build")
        for platform in wanted:
            suite = platform.image.removeprefix(PREFIX)
            started, cached = time.monotonic(), BuiltImage.of(suite).ready
            image = build(suite)
            how = "cached" if cached else f"built in {time.monotonic() - started:.0f} s"
            print(f"{platform.id}: {platform.image} ready ({how}): {image.disk.parent}")
    except HarnessError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
