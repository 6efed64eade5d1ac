"""Prepared container images: the recipe, its tag, and building it once (fake engine)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from conftest import FakeBin, exactly
from pytest_modskel.drivers.container import ENGINES, Engine
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.images import prepared
from pytest_modskel.platforms import Platform

PODMAN = ENGINES["podman"]
IMAGE = "docker.io/library/debian:bookworm"
DEBIAN = Platform("debian12", IMAGE)
# A fake engine: `image inspect` answers $INSPECT_RC; `build` copies its
# Containerfile to $RECIPE (if in its context folder, beside the zip code
# cache it copies in), then answers $BUILD_RC.
ENGINE = """\
case "$1" in
  image) exit "${INSPECT_RC:-1}" ;;
  build) [ "$7" = "$8/Containerfile" ] || exit 99
         [ -f "$8/modskel_zipcache.py" ] || exit 98
         while IFS= read -r line; do printf '%s\\n' "$line"; done < "$7" > "$RECIPE"
         [ "${BUILD_RC:-0}" = 0 ] || { printf '%b' "${BUILD_OUTPUT:-}"; exit 1; } ;;
esac
"""


@pytest.fixture
def podman(fake_bin: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBin:
    """A fake podman that has no prepared image yet and builds one."""
    monkeypatch.setenv("RECIPE", str(tmp_path / "built.Containerfile"))
    fake_bin.add("podman", ENGINE)
    return fake_bin


def test_recipe() -> None:
    rocky = Platform("rocky9", "rockylinux:9", bootstrap="dnf", systemd=True)
    zipcache = "COPY modskel_zipcache.py /tmp/\n" + prepared.INSTALL_ZIPCACHE
    assert prepared.recipe(rocky) == (
        "FROM rockylinux:9\n"
        "RUN dnf install -y -q python3 procps-ng iproute sudo systemd && dnf clean all\n" + zipcache
    )
    assert prepared.recipe(DEBIAN) == f"FROM {IMAGE}\nRUN {DEBIAN.prepare_command}\n{zipcache}"
    assert prepared.INSTALL_ZIPCACHE.endswith(
        "write('import modskel_zipcache\\\\n')\" && rm /tmp/modskel_zipcache.py "
        "&& mkdir -p /var/cache/modskel-pyc\n"
    )


def test_recipe_unknown_bootstrap() -> None:
    with pytest.raises(
        ConfigError,
        match=exactly("platform alpine has unknown bootstrap 'apk': use one of apt, dnf"),
    ):
        prepared.recipe(Platform("alpine", "alpine:3", bootstrap="apk"))


def test_tag_names_the_image_and_hashes_the_recipe() -> None:
    content = prepared.recipe(DEBIAN).encode() + prepared.ZIPCACHE.read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:12]
    assert prepared.tag(DEBIAN) == f"localhost/modskel-prepared/debian-bookworm:{digest}"


def test_tag_is_shared_by_the_same_recipe_only() -> None:
    twin = Platform("other-id", IMAGE, name="Another name")
    assert prepared.tag(twin) == prepared.tag(DEBIAN)
    with_systemd = Platform("debian12", IMAGE, systemd=True)
    assert prepared.tag(with_systemd) != prepared.tag(DEBIAN)
    assert prepared.tag(with_systemd).split(":")[0] == prepared.tag(DEBIAN).split(":")[0]


@pytest.mark.parametrize(
    ("image", "base"),
    [
        ("registry.example.com:5000/Team/My_Image:Tag-1", "my-image-tag-1"),
        ("debian", "debian"),
        ("quay.io/x/--:__", "image"),
    ],
    ids=["registry-and-case", "bare", "nothing-left"],
)
def test_tag_base(image: str, base: str) -> None:
    name = prepared.tag(Platform("p", image))
    assert name.rsplit(":", 1)[0] == f"localhost/modskel-prepared/{base}"


def test_prepare_false_uses_the_image_as_it_is(podman: FakeBin) -> None:
    assert prepared.prepare(PODMAN, Platform("debian12", IMAGE, prepare=False)) == IMAGE
    assert podman.calls() == []


def test_prepare_finds_a_built_image(podman: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECT_RC", "0")
    tag = prepared.tag(DEBIAN)
    assert prepared.prepare(PODMAN, DEBIAN) == tag
    assert podman.calls() == [f"podman image inspect {tag}"]


def test_prepare_builds_once(podman: FakeBin, tmp_path: Path) -> None:
    tag = prepared.tag(DEBIAN)
    assert prepared.prepare(PODMAN, DEBIAN) == tag
    inspect, build = podman.calls()
    assert inspect == f"podman image inspect {tag}"
    words = build.split()
    assert words[:7] == ["podman", "build", "--quiet", "--force-rm", "-t", tag, "-f"]
    context = Path(words[-1])
    assert words[7] == str(context / "Containerfile")
    assert context.name.startswith("modskel-prepare-")
    assert not context.exists()  # the build context is removed
    built = (tmp_path / "built.Containerfile").read_text(encoding="utf-8")
    assert built == prepared.recipe(DEBIAN)


@pytest.mark.usefixtures("podman")
def test_prepare_gives_the_build_time(monkeypatch: pytest.MonkeyPatch) -> None:
    timeouts: list[float] = []
    real = Engine.run

    def run(self: Engine, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        timeouts.append(timeout)
        return real(self, *args, timeout=timeout)

    monkeypatch.setattr(Engine, "run", run)
    prepared.prepare(PODMAN, DEBIAN)
    assert timeouts == [120, prepared.BUILD_TIMEOUT]


@pytest.mark.usefixtures("podman")
@pytest.mark.parametrize(
    ("output", "why"),
    [
        ("STEP 2/2\\nE: Unable to locate package sudo\\n", "E: Unable to locate package sudo"),
        ("", "no output"),
    ],
    ids=["says-why", "silent"],
)
def test_prepare_build_fails(monkeypatch: pytest.MonkeyPatch, output: str, why: str) -> None:
    monkeypatch.setenv("BUILD_RC", "1")
    monkeypatch.setenv("BUILD_OUTPUT", output)
    expected = (
        f"could not prepare the image of debian12 from {IMAGE} (podman build: {why}): let the "
        "build reach the package mirror, or set prepare = false for an image that has "
        "python3, procps and iproute2"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        prepared.prepare(PODMAN, DEBIAN)


def test_prepare_build_fails_on_stderr(
    fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RECIPE", str(tmp_path / "built.Containerfile"))
    fake_bin.add(
        "podman",
        'case "$1" in image) exit 1 ;; esac\necho step; echo "Error: no space" >&2; exit 125',
    )
    with pytest.raises(SetupError, match=r"\(podman build: Error: no space\): let the build"):
        prepared.prepare(PODMAN, DEBIAN)
