"""The container driver, against fake ``podman`` and ``docker`` programs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import Clock, FakeBin, exactly
from pytest_modskel.drivers import container
from pytest_modskel.drivers.base import Session
from pytest_modskel.drivers.container import ENGINES, Container, Engine
from pytest_modskel.drivers.nsenter_testinfra import NsenterBackend
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.images import prepared
from pytest_modskel.platforms import Platform

PODMAN, DOCKER = ENGINES["podman"], ENGINES["docker"]
# A fake engine; each step's exit code comes from a variable (default: success).
ENGINE = """\
case "$1" in
  info) [ "${INFO_RC:-0}" = 0 ] || { echo 'Error: cannot connect to the socket' >&2; exit 1; } ;;
  image) case "$3" in localhost/modskel-prepared/*) exit "${PREPARED_RC:-0}" ;; esac
         exit "${INSPECT_RC:-0}" ;;
  build) [ "${BUILD_RC:-0}" = 0 ] || { echo 'E: Unable to locate package sudo' >&2; exit 1; } ;;
  pull) [ "${PULL_RC:-0}" = 0 ] || { echo 'Error: name unknown' >&2; exit 125; } ;;
  run) [ "${RUN_RC:-0}" = 0 ] || { echo 'Error: no space left on device' >&2; exit 125; }
       echo 0123abcd ;;
  ps) printf '%s\\n' ${PS_NAMES:-} ;;
  inspect) [ "${STATE_RC:-0}" = 0 ] || { echo 'Error: no such container box' >&2; exit 125; }
           echo "${STATE_PID-4242}" ;;  # a container's host PID (0 when it is stopped)
  exec) shift 2
        case "$*" in
          *is-system-running*)  # "starting" until call number $BOOTED, then $SYSTEMD_STATE
            read -r n < "$POLLS"; n=$((n + 1)); echo "$n" > "$POLLS"
            if [ "$n" -ge "${BOOTED:-1}" ]; then echo "${SYSTEMD_STATE-running}"
            else echo starting; fi ;;
          *) echo "in box: $*" ;;
        esac ;;
esac
exit 0
"""
IMAGE = "docker.io/library/debian:bookworm"
LABELS = "--label io.modskel.harness=web --label io.modskel.run=run1"


@pytest.fixture
def podman(fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeBin:
    """A working fake podman (and no docker) on PATH."""
    polls = tmp_path / "polls"
    polls.write_text("0\n", encoding="utf-8")
    monkeypatch.setenv("POLLS", str(polls))
    fake_bin.add("podman", ENGINE)
    return fake_bin


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The container driver's clock, faked: waiting for systemd takes no time."""
    fake = Clock()
    monkeypatch.setattr(container, "time", fake)
    return fake


def test_engines() -> None:
    podman = Engine("podman", "containers.podman.podman", "podman", ("rm", "-f", "-t", "0"),
                    ("--systemd=always",))  # fmt: skip
    docker = Engine(
        "docker", "community.docker.docker", "docker", ("rm", "-f"),
        ("--privileged", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
         "--tmpfs", "/run", "--tmpfs", "/run/lock"),
    )  # fmt: skip
    assert (podman, docker) == (PODMAN, DOCKER)


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


@pytest.fixture(autouse=True)
def default_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """MODSKEL_CONNECTION unset, whatever the shell running the tests exported."""
    monkeypatch.delenv("MODSKEL_CONNECTION", raising=False)


@pytest.fixture
def root(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness runs as root on the host."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)


@pytest.fixture
def entering(podman: FakeBin, root: None) -> FakeBin:  # noqa: ARG001 - root for the fast path
    """Root, nsenter and a podman that answers: the fast path is open."""
    podman.add("nsenter")
    return podman


# The harness's own connection, by engine exec (pipelined) or, with a PID, by nsenter.
EXEC_LINE = (
    "box ansible_connection=modskel_container modskel_engine=podman ansible_pipelining=true "
    "ansible_python_interpreter=/usr/bin/python3"
)
COLLECTION_LINE = (
    "box ansible_connection=containers.podman.podman ansible_python_interpreter=/usr/bin/python3"
)
NSENTER_LINE = EXEC_LINE.replace(
    " ansible_python_interpreter", " modskel_container_pid=4242 ansible_python_interpreter"
)


@pytest.mark.usefixtures("entering")
@pytest.mark.parametrize(
    ("mode", "line"),
    [("", NSENTER_LINE), ("auto", NSENTER_LINE), ("exec", EXEC_LINE),
     ("collection", COLLECTION_LINE)],
    ids=["unset", "auto", "exec", "collection"],
)  # fmt: skip
def test_inventory_line(mode: str, line: str) -> None:
    box = Container(PODMAN, "box", "/usr/bin/python3")
    assert box.inventory_line({"MODSKEL_CONNECTION": mode}) == line


@pytest.mark.usefixtures("entering")
def test_inventory_line_collection_on_docker() -> None:
    env = {"MODSKEL_CONNECTION": "collection"}
    assert Container(DOCKER, "b").inventory_line(env) == (
        "b ansible_connection=community.docker.docker ansible_python_interpreter=auto_silent"
    )


def test_inventory_line_exec_when_not_root(
    entering: FakeBin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert Container(PODMAN, "box", "/usr/bin/python3").inventory_line({}) == EXEC_LINE
    assert entering.calls("podman") == []  # no PID asked for: it would not be used


@pytest.mark.usefixtures("root")
def test_inventory_line_exec_without_nsenter(podman: FakeBin) -> None:
    assert Container(PODMAN, "box", "/usr/bin/python3").inventory_line({}) == EXEC_LINE
    assert podman.calls("podman") == []


def test_inventory_line_enters_a_docker_container(entering: FakeBin) -> None:
    entering.add("docker", "echo 77")
    assert Container(DOCKER, "b").inventory_line({}) == (
        "b ansible_connection=modskel_container modskel_engine=docker ansible_pipelining=true "
        "modskel_container_pid=77 ansible_python_interpreter=auto_silent"
    )
    assert entering.calls("docker") == ["docker inspect --format {{.State.Pid}} b"]


def test_inventory_line_bad_mode() -> None:
    with pytest.raises(ConfigError, match=exactly(
        "MODSKEL_CONNECTION='ssh' is not a connection mode: set it to one of auto, exec, collection"
    )):  # fmt: skip
        Container(PODMAN, "box").inventory_line({"MODSKEL_CONNECTION": "ssh"})


def test_pid(entering: FakeBin) -> None:
    assert Container(PODMAN, "box").pid({}) == 4242
    assert entering.calls("podman") == ["podman inspect --format {{.State.Pid}} box"]


@pytest.mark.usefixtures("entering")
@pytest.mark.parametrize(
    ("variable", "value"),
    [("STATE_RC", "125"), ("STATE_PID", "0"), ("STATE_PID", ""), ("STATE_PID", "<no value>")],
    ids=["inspect-fails", "stopped", "no-output", "not-a-number"],
)
def test_pid_none(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    assert Container(PODMAN, "box").pid({}) is None


@pytest.mark.parametrize(
    ("setup", "env"),
    [("not-root", {}), ("no-nsenter", {}), ("root", {"MODSKEL_CONNECTION": "exec"}),
     ("root", {"MODSKEL_CONNECTION": "collection"})],
    ids=["not-root", "no-nsenter", "exec", "collection"],
)  # fmt: skip
def test_pid_not_usable(
    podman: FakeBin, monkeypatch: pytest.MonkeyPatch, setup: str, env: dict[str, str]
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000 if setup == "not-root" else 0)
    if setup != "no-nsenter":
        podman.add("nsenter")
    assert Container(PODMAN, "box").pid(env) is None
    assert podman.calls("podman") == []  # the engine is not even asked


@pytest.mark.parametrize("engine", [PODMAN, DOCKER], ids=["podman", "docker"])
def test_container_testinfra_host(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # no fast path: the engine's exec
    host = Container(engine, "box").testinfra_host()
    assert engine.testinfra_backend == host.backend.NAME
    assert host.backend.name == "box"


def test_container_testinfra_host_enters(entering: FakeBin) -> None:
    host = Container(PODMAN, "box").testinfra_host()
    assert isinstance(host.backend, NsenterBackend)
    assert (host.backend.hostname, host.backend.pid, host.backend.engine) == ("box", 4242, "podman")
    assert host.backend.get_hostname() == "box"
    assert host.run("true").rc == 0
    assert entering.calls("nsenter")[-1].endswith("--target 4242 --all /bin/sh -c true")


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
    tag = prepared.tag(platform)
    with container.DRIVER.start(platform, tmp_path, Session("web", "run1", "abc123")) as box:
        assert isinstance(box, Container)
        assert box.name == "modskel-web-debian12-abc123"
    assert podman.calls() == [
        "podman info",
        f"podman image inspect {tag}",  # prepared before: found
        f"podman image inspect {tag}",
        f"podman run -d --name modskel-web-debian12-abc123 {LABELS} {tag} sleep infinity",
        "podman rm -f -t 0 modskel-web-debian12-abc123",
    ]


def test_driver_start_an_image_as_it_is(podman: FakeBin, tmp_path: Path) -> None:
    platform = Platform("debian12", IMAGE, prepare=False)
    with container.DRIVER.start(platform, tmp_path, Session("web", "run1", "abc123")):
        pass
    assert f"podman run -d --name modskel-web-debian12-abc123 {LABELS} {IMAGE} sleep infinity" in (
        podman.calls()
    )
    assert not [call for call in podman.calls() if "modskel-prepared" in call]


@pytest.mark.usefixtures("clock")
def test_driver_start_with_systemd(podman: FakeBin, tmp_path: Path) -> None:
    platform = Platform("debian12", IMAGE, systemd=True)
    tag = prepared.tag(platform)
    with container.DRIVER.start(platform, tmp_path, Session("web", "run1", "abc123")) as box:
        assert box.name == "modskel-web-debian12-abc123"
    assert podman.calls()[-3:] == [
        (
            f"podman run -d --name modskel-web-debian12-abc123 {LABELS} --systemd=always {tag} "
            "/lib/systemd/systemd"
        ),
        "podman exec modskel-web-debian12-abc123 sh -c systemctl is-system-running",
        "podman rm -f -t 0 modskel-web-debian12-abc123",
    ]


@pytest.mark.parametrize("state", ["running", "degraded"])
def test_wait_for_systemd(
    podman: FakeBin, clock: Clock, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    monkeypatch.setenv("BOOTED", "3")
    monkeypatch.setenv("SYSTEMD_STATE", state)
    container.wait_for_systemd(Container(PODMAN, "box"))
    assert podman.calls() == ["podman exec box sh -c systemctl is-system-running"] * 3
    assert clock.sleeps == [0.5, 0.5]


@pytest.mark.usefixtures("podman")
@pytest.mark.parametrize(
    ("state", "timeout", "shown"),
    [("starting", 3, "starting"), ("", 3, "unknown"), ("running", 0, "unknown")],
    ids=["still-starting", "no-answer", "no-time"],
)
def test_wait_for_systemd_times_out(
    clock: Clock, monkeypatch: pytest.MonkeyPatch, state: str, timeout: float, shown: str
) -> None:
    monkeypatch.setenv("BOOTED", "1")
    monkeypatch.setenv("SYSTEMD_STATE", state)
    expected = (
        f"systemd in box did not finish booting in {timeout} s (state: {shown}): check the image "
        "runs /lib/systemd/systemd, or set systemd = false for the platform"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        container.wait_for_systemd(Container(PODMAN, "box"), timeout)
    assert sum(clock.sleeps) == timeout


def test_wait_for_systemd_stops_at_an_engine_error(fake_bin: FakeBin, clock: Clock) -> None:
    fake_bin.add("podman", 'echo "Error: OCI runtime error: simulated" >&2; exit 125')
    expected = "could not reach systemd in box: Error: OCI runtime error: simulated"
    with pytest.raises(SetupError, match=exactly(expected)):
        container.wait_for_systemd(Container(PODMAN, "box"))
    assert clock.sleeps == []  # no waiting on an engine that cannot exec


def test_wait_for_systemd_default_timeout(
    podman: FakeBin, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYSTEMD_STATE", "maintenance")
    clock.scale = 60  # each half-second pause: 30 s
    with pytest.raises(SetupError, match=r"^systemd in box did not finish booting in 90 s "):
        container.wait_for_systemd(Container(PODMAN, "box"))
    assert len(podman.calls()) == len(clock.sleeps) == 3


NO_PID = 2**22 + 1  # above the largest pid_max Linux allows: no /proc/NO_PID/environ to read


@pytest.fixture
def systemd_by_nsenter(entering: FakeBin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A container podman gives the pid of and nsenter enters; return nsenter's record.

    nsenter runs with the container's environment (not this one): its state lives
    in its own text. Each call records its arguments and ``$container`` and answers
    ``starting`` until call number 3, then ``running``.
    """
    monkeypatch.setenv("STATE_PID", str(NO_PID))
    record, polls = tmp_path / "nsenter.record", tmp_path / "nsenter.polls"
    polls.write_text("0\n", encoding="utf-8")
    entering.add("nsenter", f"""\
printf '%s container=%s\\n' "$*" "$container" >> '{record}'
read -r n < '{polls}'; n=$((n + 1)); echo "$n" > '{polls}'
if [ "$n" -ge 3 ]; then echo running; else echo starting; fi
""")  # fmt: skip
    return record


def test_wait_for_systemd_enters_the_container(
    systemd_by_nsenter: Path, entering: FakeBin, clock: Clock
) -> None:
    container.wait_for_systemd(Container(PODMAN, "box"))
    assert entering.calls("podman") == ["podman inspect --format {{.State.Pid}} box"]  # asked once
    asked = f"--target {NO_PID} --all systemctl is-system-running container=podman"
    assert systemd_by_nsenter.read_text(encoding="utf-8").splitlines() == [asked] * 3
    assert clock.sleeps == [0.05, 0.05]


@pytest.mark.usefixtures("clock")
def test_wait_for_systemd_cannot_enter(entering: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_PID", str(NO_PID))
    entering.add(
        "nsenter", f"echo 'nsenter: cannot open /proc/{NO_PID}/ns/ipc: No such file' >&2; exit 1"
    )
    expected = (
        f"could not reach systemd in box: nsenter: cannot open /proc/{NO_PID}/ns/ipc: No such file"
    )
    with pytest.raises(SetupError, match=exactly(expected)):
        container.wait_for_systemd(Container(PODMAN, "box"))
    assert len(entering.calls("nsenter")) == 1  # no second try


@pytest.mark.usefixtures("clock")
def test_running_with_systemd_on_docker(
    fake_bin: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    polls = tmp_path / "polls"
    polls.write_text("0\n", encoding="utf-8")
    monkeypatch.setenv("POLLS", str(polls))
    fake_bin.add("docker", ENGINE)
    with container.running(DOCKER, IMAGE, "box", "web", "run1", systemd=True) as box:
        assert box == Container(DOCKER, "box")
    assert fake_bin.calls()[1] == (
        f"docker run -d --name box {LABELS} --privileged --cgroupns=host "
        f"-v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock {IMAGE} "
        "/lib/systemd/systemd"
    )


def test_running_removes_a_container_whose_systemd_does_not_boot(
    podman: FakeBin, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYSTEMD_STATE", "offline")
    clock.scale = 60
    with (
        pytest.raises(
            SetupError, match=r"^systemd in box did not finish booting in 90 s \(state: offline\)"
        ),
        container.running(PODMAN, IMAGE, "box", systemd=True),
    ):
        pytest.fail("a container whose systemd did not boot must not be yielded")
    assert podman.calls()[-1] == "podman rm -f -t 0 box"
    assert container._LIVE == {}


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
    a, b = Platform("a", "img:a"), Platform("b", "img:b", prepare=False)
    container.preflight([a, b])
    assert podman.calls() == ["podman info", "podman image inspect img:a",
                              f"podman image inspect {prepared.tag(a)}",
                              "podman image inspect img:b"]  # fmt: skip
    monkeypatch.setenv("INFO_RC", "1")
    with pytest.raises(SetupError, match=r"^no container engine can run containers"):
        container.preflight([Platform("a", "img:a")])


@pytest.mark.usefixtures("podman")
def test_preflight_stops_at_an_image_that_cannot_be_prepared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PREPARED_RC", "1")
    monkeypatch.setenv("BUILD_RC", "1")
    with pytest.raises(
        SetupError,
        match=r"^could not prepare the image of a from img:a \(podman build: "
        r"E: Unable to locate package sudo\): ",
    ):
        container.preflight([Platform("a", "img:a")])
