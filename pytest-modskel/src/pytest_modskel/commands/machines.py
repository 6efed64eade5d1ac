"""Commands about machines: drivers, offline images, a VM to log in to, clean-up."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import tempfile
import time
from pathlib import Path

from pytest_modskel import drivers
from pytest_modskel.commands.base import Command
from pytest_modskel.commands.dev import lifecycle
from pytest_modskel.drivers import container, qemu
from pytest_modskel.drivers.base import Session
from pytest_modskel.errors import EXIT_OK, ConfigError
from pytest_modskel.images.vm import PREFIX, BuiltImage, build
from pytest_modskel.platforms import load, select
from pytest_modskel.project import Project

PLATFORMS_VAR = "MODSKEL_PLATFORMS"


def _platforms_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--platforms",
        default=os.environ.get(PLATFORMS_VAR, ""),
        help=f"comma-separated platform ids (default: all; env {PLATFORMS_VAR})",
    )


def list_drivers(_args: argparse.Namespace) -> int:
    """Print each registered driver: its kind and what it starts."""
    for kind, found in drivers.registry().items():
        print(f"{kind:<12} {found.summary}")
    return EXIT_OK


def clean(_args: argparse.Namespace) -> int:
    """Destroy the project's kept machines; remove every container the harness labelled."""
    engine = container.detect()
    with contextlib.suppress(ConfigError):  # outside a role project: no kept machine to find
        kept = lifecycle.destroy_all(Project.find())
        print(f"destroyed {len(kept)} kept machine(s) (tox -e dev): {' '.join(kept) or '-'}")
    removed = container.clean(engine)
    label = container.LABEL
    print(f"removed {len(removed)} container(s) labelled {label}: {' '.join(removed) or '-'}")
    return EXIT_OK


def image(args: argparse.Namespace) -> int:
    """Build the offline VM images the selected platforms need."""
    chosen = select(load(Project.find()), args.platforms)
    wanted = [p for p in chosen if p.kind == "vm" and p.image.startswith(PREFIX)]
    if not wanted:
        print(f"no selected platform uses an image {PREFIX}<suite>: nothing to build")
    for platform in wanted:
        suite = platform.image.removeprefix(PREFIX)
        started, cached = time.monotonic(), BuiltImage.of(suite).ready
        built = build(suite)
        how = "cached" if cached else f"built in {time.monotonic() - started:.0f} s"
        print(f"{platform.id}: {platform.image} ready ({how}): {built.disk.parent}")
    return EXIT_OK


def _vm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["up"], help="up: boot and keep until Ctrl-C")
    parser.add_argument("platform", help="a platform id of kind vm")


def vm(args: argparse.Namespace) -> int:
    """Boot one VM platform and keep it until Ctrl-C or SIGTERM."""
    chosen = select(load(Project.find()), args.platform)
    if len(chosen) != 1:
        msg = f"`modskel vm up` boots one platform, not {args.platform!r}: name one id"
        raise ConfigError(msg)
    (platform,) = chosen
    if platform.kind != "vm":
        msg = f"platform {platform.id} is of kind {platform.kind}, not vm: name a VM platform"
        raise ConfigError(msg)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started in background
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    qemu.preflight([platform])
    with (
        tempfile.TemporaryDirectory(prefix="modskel-vm-") as work,
        qemu.booted(platform, Path(work), Session("manual", "manual")) as target,
    ):
        address = target.address
        print(f"{platform.id} is up: ssh -F {target.ssh_config} {target.name}", flush=True)
        print(f"{address.url} key {address.key} (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return EXIT_OK


COMMANDS = (
    Command("clean", "remove kept machines and test containers a killed run left behind", clean),
    Command("drivers", "list the machine drivers, by platform kind", list_drivers),
    Command("image", "build the offline VM images of built:<suite> platforms", image,
            _platforms_option),
    Command("vm", "boot a VM platform and keep it to log in (vm up ID)", vm, _vm_arguments),
)  # fmt: skip
