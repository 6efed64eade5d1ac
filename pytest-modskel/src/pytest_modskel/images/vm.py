"""Build a minimal Debian VM image offline, from Debian's packages only.

A platform whose image is ``built:<suite>`` uses such an image.
debootstrap installs a kernel, systemd, openssh-server and python3 into a
directory, which ``mkfs.ext4 -d`` packs into a raw disk: no loop device,
no mount. The kernel and initrd are copied out for qemu's direct boot. Images
are cached by the hash of their recipe, so each is built once per machine.

``modskel image [--platforms ID,...]`` (``tox -e vm-image``) builds the images
the selected VM platforms need and prints where they are.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pytest_modskel.images.debootstrap import CACHE, debootstrap, run

PREFIX = "built:"
GUEST = Path(__file__).resolve().parent / "guest"  # files this package puts into its images
PACKAGES = (
    "linux-image-cloud-amd64,initramfs-tools,systemd-sysv,udev,dbus,openssh-server,"
    "python3,sudo,iproute2"
)
# Files written into the root file system, relative to it.
FILES: dict[str, str] = {
    "etc/hostname": "modskel-vm\n",
    "etc/hosts": "127.0.0.1 localhost\n127.0.1.1 modskel-vm\n",
    "etc/fstab": "/dev/vda / ext4 defaults 0 1\n",
    "etc/resolv.conf": "nameserver 10.0.2.3\n",  # qemu user-mode networking's DNS
    "etc/systemd/network/50-dhcp.network": "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n",
    # The throw-away ssh key arrives on the kernel command line (the qemu driver
    # boots the kernel directly): a shell unit installs it before sshd starts.
    # cloud-init did this before: 20-30 s of Python under TCG, for one key.
    "usr/local/sbin/modskel-ssh-key": (GUEST / "modskel-ssh-key").read_text(),
    "etc/systemd/system/modskel-ssh-key.service": (GUEST / "modskel-ssh-key.service").read_text(),
    # Compiled module_utils kept between tasks (see guest/modskel_zipcache.py).
    "usr/lib/python3/dist-packages/modskel_zipcache.py": (
        GUEST / "modskel_zipcache.py"
    ).read_text(),
    "usr/lib/python3/dist-packages/modskel_zipcache.pth": "import modskel_zipcache\n",
    "etc/tmpfiles.d/modskel-pyc.conf": "d /var/cache/modskel-pyc 0755 root root -\n",
}
ENABLE = ("systemd-networkd.service", "modskel-ssh-key.service")
MASK = ("e2scrub_reap.service",)  # a file system check of LVM snapshots: there are none
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
        recipe = json.dumps([suite, PACKAGES, FILES, ENABLE, MASK, SIZE])
        key = hashlib.sha256(recipe.encode()).hexdigest()[:12]
        folder = CACHE / "vm-images" / f"debian-{suite}-{key}"
        return cls(folder / "disk.raw", folder / "vmlinuz", folder / "initrd.img")

    @property
    def ready(self) -> bool:
        """Whether all three files exist (the folder is renamed into place last)."""
        return all(p.is_file() for p in (self.disk, self.kernel, self.initrd))


def _configure(root: Path, staged: Path) -> None:
    for relative, text in FILES.items():  # written as root: the tree is root's
        source = staged / relative.replace("/", "_")
        source.write_text(text, encoding="utf-8")
        run(["install", "-D", "-m", "0644", str(source), str(root / relative)], f"write {relative}")
        source.unlink()
    systemctl = ["chroot", str(root), "systemctl", "--quiet"]
    run([*systemctl, "enable", *ENABLE], "enable the network")
    run([*systemctl, "mask", *MASK], "mask units a test machine does not need")


def build(suite: str) -> BuiltImage:
    """Build ``suite``'s image unless the cache has it; return its paths."""
    image = BuiltImage.of(suite)
    if image.ready:
        return image
    folder = image.disk.parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{folder.name}-", dir=folder.parent) as work:
        root, staged = Path(work) / "root", Path(work) / "image"
        staged.mkdir()
        debootstrap(suite, root, PACKAGES)
        run(["chroot", str(root), "apt-get", "-qq", "clean"], "clean the package cache")
        _configure(root, staged)
        for name in ("vmlinuz", "initrd.img"):  # copied as root, left readable
            newest = str(max((root / "boot").glob(f"{name}-*")))
            run(["install", "-m", "0644", newest, str(staged / name)], f"copy out {name}")
        disk = staged / "disk.raw"
        run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(root), str(disk), SIZE], "pack")
        run(["rm", "-rf", str(root)], "remove the build tree")  # root-owned files
        staged.rename(folder)
    for stale in folder.parent.glob(f"debian-{suite}-*"):  # earlier recipes of this suite
        if stale != folder and stale.is_dir():
            run(["rm", "-rf", str(stale)], f"remove the outdated image {stale.name}")
    return image
