"""Target platforms of the role and how Python is bootstrapped on them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.errors import HarnessError

PLATFORMS_FILE = Path(__file__).resolve().parent.parent / "integration" / "platforms.yml"

# How to install Python on an image that lacks it, by `bootstrap` key.
BOOTSTRAP: dict[str, str] = {
    "apt": (
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
        "apt-get install -y -qq --no-install-recommends python3 >/dev/null"
    ),
    "dnf": "dnf install -y -q python3",
}


@dataclass(frozen=True)
class Platform:
    """One platform the role is tested on.

    Attributes:
        id: pytest id, used to select it (``-k debian12``).
        name: display name.
        image: container image; for a VM, a disk image path or URL (qcow2 or
            raw) or ``built:<suite>`` (built offline by ``tox -e vm-image``).
        bootstrap: key of BOOTSTRAP that installs Python on this image.
        kind: ``container``, ``vm`` (booted with qemu) or ``ssh`` (a given machine).
        systemd: whether systemd runs as PID 1, so service checks apply.
        kernel: for a VM disk without a boot loader, the kernel to boot directly.
        initrd: the initrd that goes with ``kernel``.
        key: for ``ssh``, the private key that logs in (else ssh's configuration).
    """

    id: str
    name: str
    image: str
    bootstrap: str
    kind: str = "container"
    systemd: bool = False
    kernel: str = ""
    initrd: str = ""
    key: str = ""

    @property
    def bootstrap_command(self) -> str:
        """Return the shell command that installs Python on this platform."""
        try:
            return BOOTSTRAP[self.bootstrap]
        except KeyError:
            known = ", ".join(sorted(BOOTSTRAP))
            msg = (
                f"platform {self.id} has unknown bootstrap {self.bootstrap!r}: "
                f"use one of {known} in {PLATFORMS_FILE.name}"
            )
            raise HarnessError(msg) from None


def load_platforms(path: Path = PLATFORMS_FILE) -> list[Platform]:
    """Read the platforms file into Platform objects."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    fields = Platform.__dataclass_fields__
    return [Platform(**{k: v for k, v in row.items() if k in fields}) for row in rows]


def select(platforms: list[Platform], wanted: str | None) -> list[Platform]:
    """Keep the platforms named in ``wanted`` (comma-separated ids), or all of them."""
    if not wanted:
        return platforms
    by_id = {p.id: p for p in platforms}
    ids = [w.strip() for w in wanted.split(",") if w.strip()]
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        msg = (
            f"unknown platform {', '.join(unknown)}: "
            f"choose from {', '.join(by_id)} (listed in {PLATFORMS_FILE.name})"
        )
        raise HarnessError(msg)
    return [by_id[i] for i in ids]
