"""Container images for machines that cannot pull from a registry.

A platform's image (say ``docker.io/library/debian:bookworm``) is built with
debootstrap from Debian's packages, with python3, and imported under the name
users know, so the engine finds it locally and never pulls. The root file
system is cached as a tarball, so an emptied image store re-imports in seconds.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from pytest_modskel.drivers.container import Engine
from pytest_modskel.errors import SetupError
from pytest_modskel.images.debootstrap import CACHE, debootstrap, run
from pytest_modskel.text import last_line


def rootfs_tarball(suite: str) -> Path:
    """Return a cached tarball of a minimal Debian ``suite`` root with python3."""
    tarball = CACHE / "images" / f"debian-{suite}-minbase.tar"
    if tarball.exists():
        return tarball
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"modskel-{suite}-") as work:
        root = Path(work) / "root"
        debootstrap(suite, root, "python3")
        partial = tarball.with_suffix(".partial")
        run(["tar", "-C", str(root), "-cf", str(partial), "."], f"pack Debian {suite}")
        run(["rm", "-rf", str(root)], "remove the build tree")
        partial.rename(tarball)
    return tarball


def seed(engine: Engine, image: str, suite: str) -> bool:
    """Import ``image`` from Debian ``suite`` unless the engine has it; return whether it did."""
    if engine.run("image", "inspect", image).returncode == 0:
        return False
    with rootfs_tarball(suite).open("rb") as stream:
        done = subprocess.run(
            [engine.binary, "import", "-q", "-", image], stdin=stream, capture_output=True,
            check=False,
        )  # fmt: skip
    if done.returncode != 0:
        msg = f"{engine.binary} import of {image} failed: {last_line(done.stderr.decode())}"
        raise SetupError(msg)
    return True
