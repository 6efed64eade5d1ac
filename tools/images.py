"""Provide platform images on machines that cannot pull from a registry.

For a platform with a ``seed`` suite in ``matrix/platforms.yml``, the harness
package's one debootstrap builder (``pytest_modskel.images``) makes a minimal
root file system with python3 from Debian's packages and imports it into
podman under the image name users know (``docker.io/library/debian:bookworm``).
podman then finds it locally and never pulls.

Usage::

    python -m tools.images debian12 [debian13 ...]
"""

from __future__ import annotations

import subprocess
import sys

from pytest_modskel.drivers.container import ENGINES
from pytest_modskel.errors import ModskelError
from pytest_modskel.images.container import seed

from tools.matrix import platform


class SeedError(RuntimeError):
    """An image could not be provided; the message names the fix."""


def image_exists(image: str) -> bool:
    """Return whether podman has ``image`` locally."""
    return subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0


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
    seed(ENGINES["podman"], image, suite)
    return image


def main(argv: list[str]) -> int:
    """Seed the images of the platforms named in ``argv``."""
    if not argv:
        print("usage: python -m tools.images PLATFORM_ID [...]", file=sys.stderr)
        return 2
    try:
        for platform_id in argv:
            print(f"{platform_id}: {ensure(platform_id)} ready")
    except (KeyError, SeedError, ModskelError) as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
