"""Provide platform images on machines that cannot pull from a registry.

For a platform with a ``seed`` suite in ``matrix/platforms.yml``, build a
minimal root file system with debootstrap from Debian's packages (with python3,
so the harness need not bootstrap it) and ``podman import`` it under the image
name users know (``docker.io/library/debian:bookworm``). podman then finds it
locally and never pulls. The root file system tarball is cached, so a machine
whose image store was reset re-imports in seconds.

Usage::

    python -m tools.images debian12 [debian13 ...]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.matrix import platform

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "modskel" / "images"


class SeedError(RuntimeError):
    """An image could not be provided; the message names the fix."""


def image_exists(image: str) -> bool:
    """Return whether podman has ``image`` locally."""
    return subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0


def rootfs_tarball(suite: str) -> Path:
    """Return a cached tarball of a minimal Debian ``suite`` root, building it once."""
    tarball = CACHE / f"debian-{suite}-minbase.tar"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"modskel-{suite}-") as root:
        cmd = ["debootstrap", "--variant=minbase", "--include=python3", suite, root]
        built = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if built.returncode != 0:
            tail = (built.stderr or built.stdout).strip().splitlines()[-1:]
            msg = f"debootstrap {suite} failed ({' '.join(tail)}): install debootstrap and retry"
            raise SeedError(msg)
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "-C", root, "-cf", str(partial), "."], check=True)
        partial.rename(tarball)
    return tarball


def ensure(platform_id: str) -> str:
    """Make the platform's image available to podman; return the image name."""
    row = platform(platform_id)
    image: str = row["image"]
    if image_exists(image):
        return image
    suite = row.get("seed")
    if not suite:
        msg = f"{image} is not present and {platform_id} has no seed suite: pull it with podman"
        raise SeedError(msg)
    with rootfs_tarball(suite).open("rb") as stream:
        subprocess.run(["podman", "import", "-q", "-", image], stdin=stream, check=True)
    return image


def main(argv: list[str]) -> int:
    """Seed the images of the platforms named in ``argv``."""
    if not argv:
        print("usage: python -m tools.images PLATFORM_ID [...]", file=sys.stderr)
        return 2
    try:
        for platform_id in argv:
            print(f"{platform_id}: {ensure(platform_id)} ready")
    except (KeyError, SeedError) as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
