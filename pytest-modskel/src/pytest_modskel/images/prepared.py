"""Prepared container images: a platform's image plus what the tests need, built once.

Official images are slim: no Python for Ansible, no ``ps`` or ``ss`` for
testinfra's process and socket checks, no systemd to manage services. For each
container platform the harness writes a Containerfile (``FROM`` the platform's
image, one ``RUN`` that installs those packages with the platform's package
manager, then the zip code cache of ``guest/modskel_zipcache.py``, which
spares each task compiling Ansible's module_utils again) and builds it with
the engine once. The tag carries a hash of that
recipe, ``localhost/modskel-prepared/<image>:<hash>``: the next run finds
it, and a changed recipe (another image, systemd switched on) builds anew.
A platform with ``prepare = false`` uses its image as it is.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_modskel.errors import SetupError
from pytest_modskel.text import last_line

if TYPE_CHECKING:
    from pytest_modskel.drivers.container import Engine
    from pytest_modskel.platforms import Platform

REPOSITORY = "localhost/modskel-prepared"
ZIPCACHE = Path(__file__).resolve().parent / "guest" / "modskel_zipcache.py"
# Install the zip code cache (guest/modskel_zipcache.py) where the image's python3 looks.
INSTALL_ZIPCACHE = (
    'RUN python3 -c "import shutil, site; d = site.getsitepackages()[0]; '
    "shutil.copy('/tmp/modskel_zipcache.py', d); "
    "open(d + '/modskel_zipcache.pth', 'w').write('import modskel_zipcache\\\\n')\" "
    "&& rm /tmp/modskel_zipcache.py && mkdir -p /var/cache/modskel-pyc\n"
)
BUILD_TIMEOUT = 1200  # seconds: a first build installs packages from the mirror


def recipe(platform: Platform) -> str:
    """Return the Containerfile that prepares ``platform``'s image."""
    return (
        f"FROM {platform.image}\nRUN {platform.prepare_command}\n"
        f"COPY modskel_zipcache.py /tmp/\n{INSTALL_ZIPCACHE}"
    )


def tag(platform: Platform) -> str:
    """Return the prepared image's name: its base image and a hash of the recipe.

    Platforms with the same image and recipe share one prepared image.
    """
    content = recipe(platform).encode() + ZIPCACHE.read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:12]
    base = re.sub(r"[^a-z0-9]+", "-", platform.image.rsplit("/", 1)[-1].lower()).strip("-")
    return f"{REPOSITORY}/{base or 'image'}:{digest}"


def prepare(engine: Engine, platform: Platform) -> str:
    """Return the image to start for ``platform``, building the prepared one if needed."""
    if not platform.prepare:
        return platform.image
    name = tag(platform)
    if engine.run("image", "inspect", name).returncode == 0:
        return name
    with tempfile.TemporaryDirectory(prefix="modskel-prepare-") as context:
        containerfile = Path(context) / "Containerfile"
        containerfile.write_text(recipe(platform), encoding="utf-8")
        shutil.copy(ZIPCACHE, context)
        build = ("build", "--quiet", "--force-rm", "-t", name, "-f", str(containerfile), context)
        done = engine.run(*build, timeout=BUILD_TIMEOUT)
    if done.returncode != 0:
        msg = (
            f"could not prepare the image of {platform.id} from {platform.image} "
            f"({engine.binary} build: {last_line(done.stderr or done.stdout)}): let the build "
            "reach the package mirror, or set prepare = false for an image that has "
            "python3, procps and iproute2"
        )
        raise SetupError(msg)
    return name
