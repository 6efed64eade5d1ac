"""The one debootstrap builder behind every offline image (VM disks, container seeds).

Commands that write into the new root run as root: directly when this process
is root, else through ``sudo -n``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pytest_modskel.errors import SetupError
from pytest_modskel.text import last_line

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "modskel"
PACKAGES_OF = {"debootstrap": "debootstrap", "mkfs.ext4": "e2fsprogs"}


def as_root(cmd: list[str]) -> list[str]:
    """Return ``cmd`` prefixed so that it runs as root."""
    if os.geteuid() == 0:
        return cmd
    if shutil.which("sudo") is None:
        msg = f"building an image needs root for {cmd[0]}: run it as root or install sudo"
        raise SetupError(msg)
    return ["sudo", "-n", *cmd]


def run(cmd: list[str], what: str) -> None:
    """Run ``cmd`` as root; raise one line naming ``what`` failed and why."""
    if shutil.which(cmd[0]) is None:
        package = PACKAGES_OF.get(cmd[0], cmd[0])
        msg = f"{cmd[0]} is not installed, needed to {what}: apt-get install {package}"
        raise SetupError(msg)
    done = subprocess.run(as_root(cmd), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        why = last_line(done.stderr or done.stdout)
        msg = f"could not {what}: {why} (command: {' '.join(cmd[:3])} ...)"
        raise SetupError(msg)


def debootstrap(suite: str, root: Path, include: str) -> None:
    """Install a minimal Debian ``suite`` with the packages ``include`` into ``root``."""
    packages = CACHE / "debootstrap-packages"
    packages.mkdir(parents=True, exist_ok=True)
    cmd = ["debootstrap", "--variant=minbase", f"--include={include}",
           f"--cache-dir={packages}", suite, str(root)]  # fmt: skip
    run(cmd, f"debootstrap Debian {suite}")
