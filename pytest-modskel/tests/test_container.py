"""The container driver, against fake ``podman`` and ``docker`` programs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import FakeBin, exactly
from pytest_modskel.drivers import container
from pytest_modskel.drivers.base import Session
from pytest_modskel.drivers.container import ENGINES, Container, Engine
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.platforms import Platform

PODMAN, DOCKER = ENGINES["podman"], ENGINES["docker"]
# A fake engine; each step's exit code comes from a variable (default: success).
ENGINE = """\
case "$1" in
  info) [ "${INFO_RC:-0}" = 0 ] || { echo 'Error: cannot connect to the socket' >&2; exit 1; } ;;
  image) exit "${INSPECT_RC:-0}" ;;
  pull) [ "${PULL_RC:-0}" = 0 ] || { echo 'Error: name unknown' >&2; exit 125; } ;;
  run) [ "${RUN_RC:-0}" = 0 ] || { echo 'Error: no space left on device' >&2; exit 125; }
       echo 0123abcd ;;
  ps) printf '%s\\n' ${PS_NAMES:-} ;;
  exec) shift 2; echo "in box: $*" ;;
esac
exit 0
"""
IMAGE = "docker.io/library/debian:bookworm"
LABELS = "--label io.modskel.harness=web --label io.modskel.run=run1"


@pytest.fixture
def podman(fake_bin: FakeBin) -> FakeBin:
    """A working fake podman (and no docker) on PATH."""
    fake_bin.add("podman", ENGINE)
    return fake_bin


def test_engines() -> None:
    assert Engine("podman", "containers.podman.podman", "podman", ("rm", "-f", "-t", "0")) == PODMAN
    assert Engine("docker", "community.docker.docker", "docker", ("rm", "-f")) == DOCKER


def test_run_passes_the_arguments(podman: FakeBin) -> None:
    done = PODMAN.run("exec", "box", "sh", "-c", "id -u")
    assert (done.returncode, done.stdout) == (0, "in box: sh -c id -u\n")
    assert podman.calls() == ["podman exec box sh -c id -u"]


def test_problem(fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    assert PODMAN.problem() == "podman is not installed"
    fake_bin.add("podman", ENGINE)
    assert PODMAN.problem() is None
    monkeypatch.setenv("INFO_RC", "1")
    assert PODMAN.problem() == "`podman info` failed (Error: cannot connect to the socket)"


@pytest.mark.usefixtures("podman")
def test_problem_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    def hangs(self: Engine, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired([self.binary, *args], timeout)

    monkeypatch.setattr(Engine, "run", hangs)
    assert PODMAN.problem() == "`podman info` did not answer in 20 s"


def test_detect_prefers_podman(fake_bin: FakeBin) -> None:
    fake_bin.add("podman", ENGINE)
    fake_bin.add("docker", ENGINE)
    assert container.detect({}) == PODMAN


def test_detect_falls_back_to_docker(fake_bin: FakeBin) -> None:
    fake_bin.add("podman", "exit 1")
    fake_bin.add("docker", ENGINE)
    assert container.detect({}) == DOCKER


@pytest.mark.parametrize("value", ["docker", " docker "], ids=["plain", "spaces"])
def test_detect_named_engine(fake_bin: FakeBin, value: str) -> None:
    fake_bin.add("podman", ENGINE)
    fake_bin.add("docker", ENGINE)
    assert container.detect({container.ENV_VAR: value}) == DOCKER


@pytest.mark.usefixtures("podman")
def test_detect_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(container.ENV_VAR, "podman")
    assert container.detect() == PODMAN


def test_detect_unknown_engine() -> None:
    with pytest.raises(
        ConfigError,
        match=r"^MODSKEL_ENGINE='lxc' is not a known engine: set it to one of podman, docker$",
    ):
        container.detect({container.ENV_VAR: "lxc"})


def test_detect_none_works(fake_bin: FakeBin) -> None:
    fake_bin.add("podman", "echo 'Error: no such socket' >&2; exit 125")
    expected = (
        "no container engine can run containers: `podman info` failed (Error: no such socket); "
        "docker is not installed. Install podman (apt-get install podman) or start Docker, "
        "or set MODSKEL_ENGINE"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        container.detect({})


@pytest.mark.usefixtures("podman")
def test_detect_named_engine_missing() -> None:
    with pytest.raises(
        SetupError, match=r"^no container engine can run containers: docker is not installed\. "
    ):
        container.detect({container.ENV_VAR: "docker"})


def test_ensure_image_present(podman: FakeBin) -> None:
    container.ensure_image(PODMAN, IMAGE)
    assert podman.calls() == [f"podman image inspect {IMAGE}"]


def test_ensure_image_pulls(podman: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECT_RC", "1")
    container.ensure_image(PODMAN, IMAGE)
    assert podman.calls() == [f"podman image inspect {IMAGE}", f"podman pull --quiet {IMAGE}"]


@pytest.mark.usefixtures("podman")
def test_ensure_image_pull_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECT_RC", "1")
    monkeypatch.setenv("PULL_RC", "1")
    expected = (
        f"image {IMAGE} is not available and `podman pull` failed (Error: name unknown): "
        "pull or import it, then rerun"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        container.ensure_image(PODMAN, IMAGE)


def test_container_target(podman: FakeBin) -> None:
    box = Container(PODMAN, "box")
    assert box.python == "auto_silent"
    assert box.sh("command -v python3").stdout == "in box: sh -c command -v python3\n"
    assert podman.calls() == ["podman exec box sh -c command -v python3"]
    assert box.with_python("/usr/bin/python3") == Container(PODMAN, "box", "/usr/bin/python3")
    assert box.with_python("/usr/bin/python3").inventory_line() == (
        "box ansible_connection=containers.podman.podman "
        "ansible_python_interpreter=/usr/bin/python3"
    )
    assert Container(DOCKER, "b").inventory_line() == (
        "b ansible_connection=community.docker.docker ansible_python_interpreter=auto_silent"
    )


@pytest.mark.parametrize("engine", [PODMAN, DOCKER], ids=["podman", "docker"])
def test_container_testinfra_host(engine: Engine) -> None:
    host = Container(engine, "box").testinfra_host()
    assert engine.testinfra_backend == host.backend.NAME
    assert host.backend.name == "box"


def test_running(podman: FakeBin) -> None:
    with container.running(PODMAN, IMAGE, "box", "web", "run1") as box:
        assert box == Container(PODMAN, "box")
        assert container._LIVE == {"box": PODMAN}
    assert container._LIVE == {}
    assert podman.calls() == [
        f"podman image inspect {IMAGE}",
        f"podman run -d --name box {LABELS} {IMAGE} sleep infinity",
        "podman rm -f -t 0 box",
    ]


def test_running_removes_the_container_on_error(podman: FakeBin) -> None:
    with pytest.raises(RuntimeError, match="test failed"), container.running(PODMAN, IMAGE, "box"):
        raise RuntimeError("test failed")  # noqa: EM101, TRY003
    assert podman.calls("podman")[-1] == "podman rm -f -t 0 box"
    assert container._LIVE == {}


def test_running_cannot_start(podman: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUN_RC", "1")
    with (
        pytest.raises(
            SetupError,
            match=rf"^could not start {IMAGE} with podman: Error: no space left on device$",
        ),
        container.running(PODMAN, IMAGE, "box"),
    ):
        pytest.fail("a container that did not start must not be yielded")
    assert podman.calls()[-1] == "podman rm -f -t 0 box"
    assert container._LIVE == {}


def test_driver_start(podman: FakeBin, tmp_path: Path) -> None:
    platform = Platform("debian12", IMAGE)
    with container.DRIVER.start(platform, tmp_path, Session("web", "run1", "abc123")) as box:
        assert isinstance(box, Container)
        assert box.name == "modskel-web-debian12-abc123"
    assert (
        f"podman run -d --name modskel-web-debian12-abc123 {LABELS} {IMAGE} sleep infinity"
        in podman.calls()
    )
    assert podman.calls()[-1] == "podman rm -f -t 0 modskel-web-debian12-abc123"


@pytest.mark.parametrize(
    ("run_id", "label"),
    [("", "io.modskel.harness"), ("run1", "io.modskel.run=run1")],
    ids=["all-runs", "one-run"],
)
def test_clean(podman: FakeBin, monkeypatch: pytest.MonkeyPatch, run_id: str, label: str) -> None:
    monkeypatch.setenv("PS_NAMES", "modskel-a modskel-b")
    assert container.clean(PODMAN, run_id) == ["modskel-a", "modskel-b"]
    assert podman.calls() == [
        f"podman ps -a --filter label={label} --format {{{{.Names}}}}",
        "podman rm -f -t 0 modskel-a",
        "podman rm -f -t 0 modskel-b",
    ]


def test_clean_nothing(podman: FakeBin) -> None:
    assert container.clean(PODMAN) == []
    assert len(podman.calls()) == 1


def test_remove_live(fake_bin: FakeBin) -> None:
    fake_bin.add("podman")
    fake_bin.add("docker")
    container._LIVE.update({"a": PODMAN, "b": DOCKER})
    container.DRIVER.remove_live()
    container.remove_live()  # again: nothing left
    assert container._LIVE == {}
    assert fake_bin.calls() == ["podman rm -f -t 0 a", "docker rm -f b"]


def test_preflight(podman: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    container.preflight([])
    assert podman.calls() == []  # no container platform: no engine needed
    container.preflight([Platform("a", "img:a"), Platform("b", "img:b")])
    assert podman.calls() == ["podman info", "podman image inspect img:a",
                              "podman image inspect img:b"]  # fmt: skip
    monkeypatch.setenv("INFO_RC", "1")
    with pytest.raises(SetupError, match=r"^no container engine can run containers"):
        container.preflight([Platform("a", "img:a")])
