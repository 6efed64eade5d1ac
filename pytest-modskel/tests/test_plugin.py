"""The pytest plugin, run in-process with ``pytester`` on tiny role projects.

Machines come from a fake driver (``drivers.registry`` replaced) and converges
from a fake ``run_playbook``: nothing starts, nothing reaches the network.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest
from conftest import PLATFORMS, FakeBin, exactly, write_project
from pytest_modskel import drivers, plugin
from pytest_modskel.drivers.base import Driver, Session
from pytest_modskel.errors import ModskelError, SetupError
from pytest_modskel.platforms import INSTALL, Platform
from pytest_modskel.plugin import fixtures
from pytest_modskel.plugin.state import ACTIVE, PROJECT
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import PlaybookRun, TaskResult

if TYPE_CHECKING:
    from testinfra.host import Host

# PATH holds only fakes: no real engine for the clean-up at the end of each run.
pytestmark = pytest.mark.usefixtures("fake_bin")

RUN_ID = "run42"
VM_PLATFORMS = PLATFORMS + "- id: vm12\n  image: built:bookworm\n  kind: vm\n  systemd: true\n"


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in-process (hypothesis's plugin off: it re-imports hypothesis every run).

    An interrupted inner run is reported, not raised again here.
    """
    return pytester.runpytest(
        "-p", "no:hypothesispytest", "-p", "no:cacheprovider", *args, no_reraise_ctrlc=True
    )


@pytest.fixture(autouse=True)
def _run_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """A known run id, to find in the clean-up's label filter."""
    monkeypatch.setenv("MODSKEL_RUN_ID", RUN_ID)


def test_inert_outside_a_role_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODSKEL_RUN_ID")
    before = signal.getsignal(signal.SIGTERM)
    pytester.makepyfile(
        "def test_plain():\n    pass\n\ndef test_wants_a_platform(platform):\n    pass\n"
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'platform' not found*"])
    assert not any(line.startswith("modskel:") for line in result.outlines)
    assert "MODSKEL_RUN_ID" not in os.environ
    assert signal.getsignal(signal.SIGTERM) is before


def test_active_inside_a_role_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODSKEL_RUN_ID")
    write_project(pytester.path)
    pytester.makepyfile(
        "def test_a(platform, request):\n"
        "    assert platform.name in ('Debian 12', 'rocky9')\n"
        "    groups = [m.args for m in request.node.iter_markers('xdist_group')]\n"
        "    assert groups == [(platform.id,)]\n"
        "\n"
        "def test_plain():\n"
        "    pass\n"
    )
    result = run(pytester, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["*test_a?debian12? PASSED*", "*test_a?rocky9? PASSED*", "*test_plain PASSED*"]
    )
    assert len(os.environ["MODSKEL_RUN_ID"]) == 12  # shared with xdist workers
    assert signal.getsignal(signal.SIGTERM) is plugin._terminate


def test_platforms_option(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    result = run(pytester, "--collect-only", "-q", "--platforms", "rocky9")
    result.stdout.fnmatch_lines(
        ["test_platforms_option.py::test_a[[]rocky9[]]", "1 test collected*"]
    )


def test_platforms_variable(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(pytester.path)
    monkeypatch.setenv("MODSKEL_PLATFORMS", "debian12")
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    result = run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_a[[]debian12[]]", "1 test collected*"])


UNKNOWN_PLATFORM = (
    "unknown platform nosuch: choose from debian12, rocky9 "
    "(tests/integration/platforms.yml and [tool.modskel.platforms] in pyproject.toml)"
)


def _lines_with(result: pytest.RunResult, text: str) -> list[str]:
    return [line for line in result.outlines + result.errlines if text in line]


def _one_line(result: pytest.RunResult, message: str) -> str:
    """Return the one line of output that ends with ``message`` (there must be exactly one)."""
    (line,) = [line for line in _lines_with(result, message) if line.endswith(message)]
    return line


def test_unknown_platform_names_the_known_ones(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    result = run(pytester, "--platforms", "nosuch")
    assert result.ret != pytest.ExitCode.OK
    _one_line(result, UNKNOWN_PLATFORM)


def test_unknown_platform_is_a_usage_error(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    result = run(pytester, "--platforms", "nosuch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.errlines == [f"ERROR: {UNKNOWN_PLATFORM}", ""]


def test_generate_tests_raises_a_usage_error(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    config = pytester.parseconfig("--platforms", "nosuch")
    config.stash[ACTIVE], config.stash[PROJECT] = True, Project(pytester.path)
    metafunc = cast("pytest.Metafunc", SimpleNamespace(fixturenames=["platform"], config=config))
    with pytest.raises(pytest.UsageError, match=exactly(UNKNOWN_PLATFORM)):
        plugin.pytest_generate_tests(metafunc)


def test_configure_raises_a_usage_error(pytester: pytest.Pytester) -> None:
    write_project(pytester.path, pyproject="[tool.modskel.vm]\ncpus = 'two'\n")
    config = pytester.parseconfig()
    with pytest.raises(
        pytest.UsageError,
        match=exactly("pyproject.toml [tool.modskel].vm: cpus must be an integer, not 'two': "
                      "fix the value"),
    ):  # fmt: skip
        plugin.pytest_configure(config)


def test_unknown_key_names_file_platform_and_key(pytester: pytest.Pytester) -> None:
    write_project(pytester.path, platforms="- id: debian12\n  image: debian:12\n  imgae: x\n")
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    result = run(pytester)
    message = (
        "tests/integration/platforms.yml: platform debian12: unknown key 'imgae': "
        "use one of bootstrap, id, image, initrd, kernel, key, kind, name, prepare, systemd"
    )
    _one_line(result, message)
    assert result.ret != pytest.ExitCode.OK


@pytest.mark.usefixtures("fresh_registry")
def test_unknown_kind_names_the_installed_kinds(pytester: pytest.Pytester) -> None:
    write_project(pytester.path, platforms="- id: lab\n  image: lab:1\n  kind: lxd\n")
    pytester.makepyfile("def test_a(instance):\n    pass\n")
    result = run(pytester)
    message = (
        "platform lab has unknown kind 'lxd': use one of container, ssh, vm, "
        "or install the package that provides it"
    )
    (line,) = _lines_with(result, message)
    assert line.strip("! ") == f"_pytest.outcomes.Exit: {message}"
    assert result.ret == pytest.ExitCode.USAGE_ERROR


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ("[tool.modskel.vm]\nmemroy = 512\n",
         ("pyproject.toml [tool.modskel].vm: unknown key 'memroy': "
          "use one of accel, boot_timeout, cpus, memory")),
        ("[tool.modskel]\nplatfroms = {}\n",
         ("pyproject.toml [tool.modskel]: unknown key 'platfroms': "
          "use one of platforms, readme_table, task_coverage, untested_platforms, vm")),
    ],
    ids=["vm-key", "section"],
)  # fmt: skip
def test_settings_error_is_a_usage_error(
    pytester: pytest.Pytester, pyproject: str, message: str
) -> None:
    write_project(pytester.path, pyproject=pyproject)
    pytester.makepyfile("def test_a():\n    pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert _lines_with(result, message) == [f"ERROR: {message}"]


def test_vm_settings_become_variables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODSKEL_VM_MEMORY", "512")  # a variable wins over the setting
    write_project(
        pytester.path,
        platforms=VM_PLATFORMS,
        pyproject="[tool.modskel.vm]\naccel = 'tcg'\nboot_timeout = 600\nmemory = 2048\n",
    )
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    result = run(pytester, "--platforms", "vm12")
    result.assert_outcomes(passed=1)
    assert result.outlines[-2] == "modskel: virtual machines use TCG (MODSKEL_VM_ACCEL=tcg)"
    assert (os.environ["MODSKEL_VM_ACCEL"], os.environ["MODSKEL_VM_BOOT_TIMEOUT"]) == ("tcg", "600")
    assert os.environ["MODSKEL_VM_MEMORY"] == "512"
    assert "MODSKEL_VM_CPUS" not in os.environ


def test_no_vm_note_without_vms_or_with_a_bad_accel(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path, platforms=VM_PLATFORMS)
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    result = run(pytester, "--platforms", "debian12")
    assert not _lines_with(result, "virtual machines")
    monkeypatch.setenv("MODSKEL_VM_ACCEL", "bogus")  # pre-flight reports it, not collection
    result = run(pytester, "--platforms", "vm12")
    result.assert_outcomes(passed=1)
    assert not _lines_with(result, "virtual machines")


def test_hosts_become_ssh_platforms(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    (pytester.path / "vagrant.conf").write_text("Host *\n", encoding="utf-8")
    pytester.makepyfile(
        "import os\n"
        "def test_a(platform):\n"
        "    assert (platform.kind, platform.key, platform.systemd) == ('ssh', '/keys/id', True)\n"
        "    assert os.environ['MODSKEL_SSH_CONFIG'] == os.path.abspath('vagrant.conf')\n"
    )
    result = run(pytester, "-v", "--hosts", "ssh://admin@web:2222,db",
                 "--ssh-config", "vagrant.conf", "--ssh-identity-file", "/keys/id")  # fmt: skip
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_a?web-2222? PASSED*", "*test_a?db? PASSED*"])


def test_hosts_variable(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(pytester.path)
    monkeypatch.setenv("MODSKEL_HOSTS", "ssh://box")
    pytester.makepyfile("def test_a(platform):\n    assert platform.image == 'ssh://box'\n")
    run(pytester).assert_outcomes(passed=1)


def test_bad_host_is_reported(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    result = run(pytester, "--hosts", "ftp://box")
    message = "host 'ftp://box' is not an ssh address: write ssh://[user@]host[:port]"
    _one_line(result, message)
    assert result.ret != pytest.ExitCode.OK


# A fake lab: machines that answer ``sh`` from a script, and a driver that records.


@dataclass
class Machine:
    """What a fake machine has, and every command it was given."""

    has_python: bool = True
    bootstrap_rc: int = 0
    commands: list[str] = field(default_factory=list)


# The commands that install Python, one per package manager.
BOOTSTRAPS = {Platform("p", "img", bootstrap=key).bootstrap_command for key in INSTALL}


@dataclass(frozen=True)
class FakeTarget:
    name: str
    machine: Machine
    python: str = "auto_silent"

    def sh(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:  # noqa: ARG002
        self.machine.commands.append(command)
        if command == "command -v python3":
            found = self.machine.has_python
            return subprocess.CompletedProcess(
                command, 0 if found else 1, "/usr/bin/python3\n" * found, ""
            )
        if command in BOOTSTRAPS:
            self.machine.has_python = self.machine.bootstrap_rc == 0
            err = "" if self.machine.has_python else "E: Unable to locate package python3\n"
            return subprocess.CompletedProcess(command, self.machine.bootstrap_rc, "", err)
        return subprocess.CompletedProcess(command, 0, "", "")

    def inventory_line(self) -> str:
        return f"{self.name} ansible_connection=local ansible_python_interpreter={self.python}"

    def testinfra_host(self) -> Host:
        import testinfra  # noqa: PLC0415

        return testinfra.get_host("local://")

    def with_python(self, python: str) -> FakeTarget:
        return replace(self, python=python)


@dataclass
class Lab:
    """A fake driver's record: pre-flights, starts, stops, removals."""

    machine: Machine = field(default_factory=Machine)
    preflights: list[list[str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    preflight_error: ModskelError | None = None
    start_error: dict[str, ModskelError] = field(default_factory=dict)
    removed: int = 0

    def preflight(self, platforms: list[Platform]) -> None:
        self.preflights.append([p.id for p in platforms])
        if self.preflight_error:
            raise self.preflight_error

    @contextmanager
    def start(self, platform: Platform, workdir: Path, session: Session) -> Iterator[FakeTarget]:
        assert workdir.is_dir()
        self.sessions.append(session)
        if platform.id in self.start_error:
            raise self.start_error[platform.id]
        self.events.append(f"start {platform.id}")
        try:
            yield FakeTarget(session.name(platform.id), self.machine)
        finally:
            self.events.append(f"stop {platform.id}")

    def remove_live(self) -> None:
        self.removed += 1


@dataclass
class Converges:
    """A fake run_playbook: hands out ``runs`` in turn, keeps each inventory and diff mode."""

    runs: list[PlaybookRun]
    inventories: list[str] = field(default_factory=list)
    diffs: list[bool] = field(default_factory=list)

    def __call__(
        self, project: Project, inventory: Path, workdir: Path, *, diff: bool = False
    ) -> PlaybookRun:
        assert project.role.fqcn == "acme.web"
        assert workdir.is_dir()
        self.inventories.append(inventory.read_text(encoding="utf-8"))
        self.diffs.append(diff)
        return self.runs.pop(0)


DEBIAN, ROCKY = Platform("debian12", "debian:12"), Platform("rocky9", "rocky:9", bootstrap="dnf")


def test_ensure_python_records_the_interpreter() -> None:
    machine = Machine()
    ready = fixtures.ensure_python(FakeTarget("box", machine), DEBIAN)
    assert ready == FakeTarget("box", machine, "/usr/bin/python3")
    assert machine.commands == ["command -v python3"]


def test_ensure_python_installs_it() -> None:
    machine = Machine(has_python=False)
    ready = fixtures.ensure_python(FakeTarget("box", machine), ROCKY)
    assert ready.python == "/usr/bin/python3"
    assert machine.commands == ["command -v python3", ROCKY.bootstrap_command, "command -v python3"]


def test_ensure_python_cannot_install_it() -> None:
    machine = Machine(has_python=False, bootstrap_rc=100)
    with pytest.raises(
        SetupError,
        match=exactly("could not install Python on rocky9: E: Unable to locate package python3"),
    ):
        fixtures.ensure_python(FakeTarget("box", machine), ROCKY)


def _result(task: str, line: int, status: str) -> TaskResult:
    return TaskResult("box", task, f"/role/tasks/main.yml:{line}", "action", status)


FIRST = PlaybookRun(0, "ok", (_result("Install", 2, "changed"), _result("Config", 8, "changed")))
SECOND = PlaybookRun(0, "ok", (_result("Install", 2, "ok"), _result("Config", 8, "ok")))


@pytest.fixture
def lab(monkeypatch: pytest.MonkeyPatch) -> Lab:
    """The fake driver, as the only kind ``container``."""
    found = Lab()
    driver = Driver("fake", found.preflight, found.start, found.remove_live)
    monkeypatch.setattr(drivers, "registry", lambda: {"container": driver})
    return found


def _converges(monkeypatch: pytest.MonkeyPatch, *runs: PlaybookRun) -> Converges:
    fake = Converges(list(runs))
    monkeypatch.setattr(fixtures, "run_playbook", fake)
    return fake


ROLE_TESTS = """\
from pytest_modskel import assert_idempotent

def test_idempotent(converge):
    assert_idempotent(converge)

def test_host(host):
    assert host.backend.NAME == "local"

def test_services(systemd, host):
    pass

def test_project(modskel_project):
    assert modskel_project.role.fqcn == "acme.web"
"""


def test_converge_and_verify(
    pytester: pytest.Pytester, lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    converges = _converges(monkeypatch, FIRST, SECOND)
    result = run(pytester, "--platforms", "debian12", "-rs")
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines([
        ("*debian12 does not run systemd: set systemd = true in "
         "[[]tool.modskel.platforms.debian12[]] of pyproject.toml to check services"),
    ])  # fmt: skip
    progress = [line for line in _lines_with(result, "modskel: debian12:") if line.endswith("…")]
    assert progress == [f"modskel: debian12: {phase}…"
                        for phase in ("start", "converge", "idempotence", "verify")]  # fmt: skip
    (timing,) = [line for line in _lines_with(result, "modskel: debian12:") if line.endswith(" s")]
    assert [part.split()[0] for part in timing.split(": ", 2)[2].split(", ")] == [
        "start", "converge", "idempotence", "verify"
    ]  # fmt: skip
    assert converges.diffs == [False, True]  # the second converge shows its diffs
    assert lab.preflights == [["debian12"]]
    assert lab.events == ["start debian12", "stop debian12"]
    assert lab.sessions == [Session("web", RUN_ID, lab.sessions[0].token)]
    name = f"modskel-web-debian12-{lab.sessions[0].token}"
    line = f"{name} ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n"
    assert converges.inventories == [line, line]
    assert lab.machine.commands == ["command -v python3"]
    saved = (pytester.path / ".task-coverage" / "debian12.json").read_text(encoding="utf-8")
    assert saved.count('"status": "changed"') == 2
    assert saved.count('"status": "ok"') == 2


def test_python_is_installed_when_missing(
    pytester: pytest.Pytester, lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    _converges(monkeypatch, FIRST, SECOND)
    lab.machine.has_python = False
    run(pytester, "--platforms", "rocky9").assert_outcomes(passed=3, skipped=1)
    assert lab.machine.commands == [
        "command -v python3",
        ROCKY.bootstrap_command,
        "command -v python3",
    ]


def test_python_cannot_be_installed(
    pytester: pytest.Pytester, lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    _converges(monkeypatch)
    lab.machine.has_python, lab.machine.bootstrap_rc = False, 100
    result = run(pytester, "--platforms", "debian12")
    result.assert_outcomes(passed=1, errors=3)
    message = "debian12: could not install Python on debian12: E: Unable to locate package python3"
    assert len(_lines_with(result, message)) >= 3
    assert lab.events == ["start debian12", "stop debian12"]


def test_a_machine_that_does_not_start_fails_only_its_platform(
    pytester: pytest.Pytester, lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    _converges(monkeypatch, FIRST, SECOND)
    lab.start_error["debian12"] = SetupError("could not start debian:12 with podman: no space")
    result = run(pytester)
    result.assert_outcomes(passed=3, skipped=1, errors=3)
    message = "debian12: could not start debian:12 with podman: no space"
    result.stdout.fnmatch_lines(["ERROR test_role.py::test_idempotent[[]debian12[]] - Failed: *"])
    assert len(_lines_with(result, message)) == 3  # one per test of the platform
    assert lab.events == ["start rocky9", "stop rocky9"]


def test_a_machine_that_does_not_start_is_reported_once(
    pytester: pytest.Pytester, lab: Lab
) -> None:
    write_project(pytester.path)
    pytester.makepyfile("def test_a(instance):\n    pass\n")
    lab.start_error["debian12"] = SetupError("could not start debian:12 with podman: no space")
    result = run(pytester, "--platforms", "debian12")
    result.assert_outcomes(errors=1)
    assert not _lines_with(result, "During handling of the above exception")
    assert _one_line(result, "could not start debian:12 with podman: no space") == (
        "debian12: could not start debian:12 with podman: no space"
    )


FAILED_CONVERGE = PlaybookRun(
    2,
    "\n".join(f"line {n}" for n in range(50)),
    (_result("Install", 2, "ok"), TaskResult("box", "Start", "tasks/main.yml:14", "service",
                                             "failed", msg="Unable to start\n  nginx")),
)  # fmt: skip


@pytest.mark.usefixtures("lab")
def test_converge_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    converges = _converges(monkeypatch, FAILED_CONVERGE)
    result = run(pytester, "--platforms", "debian12")
    result.assert_outcomes(passed=1, skipped=1, errors=2)
    result.stdout.fnmatch_lines([
        "*converge failed on debian12:",
        "  - Start [[]failed[]] (tasks/main.yml:14): Unable to start nginx",
        "--- ansible-playbook output (last 40 lines) ---",
        "line 10",
    ])  # fmt: skip
    assert not _lines_with(result, "line 9")
    assert len(converges.inventories) == 1  # no second converge after a failed first
    assert (pytester.path / ".task-coverage" / "debian12.json").is_file()
    assert not _lines_with(result, "modskel: debian12: idempotence…")


HOST_TESTS = """\
def test_one(host):
    pass

def test_two(host):
    pass

def test_three(host):
    pass
"""


@pytest.mark.usefixtures("lab")
def test_failed_converge_is_reported_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=HOST_TESTS)
    _converges(monkeypatch, FAILED_CONVERGE)
    result = run(pytester, "--platforms", "debian12")
    result.assert_outcomes(errors=3)
    full = "converge failed on debian12:"
    pointer = "converge failed on debian12: see the first error of debian12 above"
    assert (result.outlines.count(full), result.outlines.count(pointer)) == (1, 2)
    assert len(_lines_with(result, "--- ansible-playbook output (last 40 lines) ---")) == 1
    result.stdout.fnmatch_lines([
        "*ERROR at setup of test_one[[]debian12[]]*", full,
        "*ERROR at setup of test_two[[]debian12[]]*", pointer,
        "*ERROR at setup of test_three[[]debian12[]]*", pointer,
    ])  # fmt: skip


@pytest.mark.usefixtures("lab")
def test_failed_converge_of_one_platform_spares_the_other(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=HOST_TESTS)
    _converges(monkeypatch, FAILED_CONVERGE, FIRST, SECOND)
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=3)
    assert not _lines_with(result, "rocky9: see the first error")


@pytest.mark.usefixtures("lab")
def test_not_idempotent(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    second = PlaybookRun(0, "", (_result("Install", 2, "ok"), _result("Config", 8, "changed")))
    _converges(monkeypatch, FIRST, second)
    result = run(pytester, "--platforms", "debian12")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "*not idempotent on debian12: the second converge changed or failed 1 task(s):",
        "  - Config [[]changed[]] (/role/tasks/main.yml:8)",
        "      (no diff reported: for command or shell, add creates:, removes: or changed_when:)",
    ])  # fmt: skip


def _tagged(task: str, line: int, status: str, *, diff: str = "") -> TaskResult:
    return TaskResult("box", task, f"tasks/main.yml:{line}", "action", status,
                      tags=("modskel-idempotence-notest",), diff=diff)  # fmt: skip


@pytest.mark.usefixtures("lab")
def test_not_idempotent_shows_diffs_and_opted_out_tasks(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    config = TaskResult("box", "Config", "tasks/main.yml:8", "template", "changed",
                        diff="--- before\n+++ after\n-a\n+b\n")  # fmt: skip
    second = PlaybookRun(0, "", (config, _tagged("Refresh", 20, "changed")))
    _converges(monkeypatch, FIRST, second)
    result = run(pytester, "--platforms", "debian12")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "*not idempotent on debian12: the second converge changed or failed 1 task(s):",
        "  - Config [[]changed[]] (tasks/main.yml:8)",
        "      --- before",
        "      +++ after",
        "      -a",
        "      +b",
        "left out of the check by tag (modskel-idempotence-notest, molecule-idempotence-notest):",
        "  - Refresh (tasks/main.yml:20)",
    ])  # fmt: skip
    note = ("modskel: debian12: idempotence check skipped 1 changed task(s) by tag: "
            "Refresh (tasks/main.yml:20)")  # fmt: skip
    assert _one_line(result, note) == note


@pytest.mark.usefixtures("lab")
def test_opted_out_task_is_noted_at_the_end(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    second = PlaybookRun(0, "", (_result("Install", 2, "ok"), _tagged("Refresh", 20, "changed")))
    _converges(monkeypatch, FIRST, second)
    result = run(pytester, "--platforms", "debian12")
    result.assert_outcomes(passed=3, skipped=1)
    note = ("modskel: debian12: idempotence check skipped 1 changed task(s) by tag: "
            "Refresh (tasks/main.yml:20)")  # fmt: skip
    end = result.outlines.index(note)  # the end-of-run lines: notes, then timings
    assert result.outlines[end + 1].startswith("modskel: debian12: start ")


@pytest.mark.usefixtures("lab")
def test_second_converge_fails_without_task_results(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    _converges(monkeypatch, FIRST, PlaybookRun(4, "unreachable", ()))
    result = run(pytester, "--platforms", "debian12")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*not idempotent on debian12: the second converge changed or failed 0 task(s):"]
    )


def test_preflight_failure_stops_the_session(pytester: pytest.Pytester, lab: Lab) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_role=ROLE_TESTS)
    lab.preflight_error = SetupError("podman is not installed: apt-get install podman")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    (line,) = _lines_with(result, "podman is not installed: apt-get install podman")
    assert (
        line.strip("! ") == "_pytest.outcomes.Exit: podman is not installed: apt-get install podman"
    )
    assert lab.preflights == [["debian12", "rocky9"]]
    assert lab.events == []


def test_interrupt_removes_machines(pytester: pytest.Pytester, lab: Lab) -> None:
    write_project(pytester.path)
    pytester.makepyfile("def test_a(platform):\n    raise KeyboardInterrupt\n")
    result = run(pytester, "--platforms", "debian12")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert lab.removed == 1
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # a second Ctrl-C is ignored


def test_sigterm_becomes_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt):
        plugin._terminate(signal.SIGTERM, None)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN  # once


PODMAN = 'case "$1" in ps) echo modskel-web-debian12-dead ;; esac'


def test_session_end_removes_this_runs_containers(
    pytester: pytest.Pytester, fake_bin: FakeBin
) -> None:
    fake_bin.add("podman", PODMAN)
    write_project(pytester.path)
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    run(pytester, "--platforms", "debian12").assert_outcomes(passed=1)
    assert fake_bin.calls() == [
        "podman info",
        f"podman ps -a --filter label=io.modskel.run={RUN_ID} --format {{{{.Names}}}}",
        "podman rm -f -t 0 modskel-web-debian12-dead",
    ]


def test_session_end_leaves_engines_alone_without_platform_tests(
    pytester: pytest.Pytester, fake_bin: FakeBin
) -> None:
    fake_bin.add("podman", PODMAN)
    write_project(pytester.path)
    pytester.makepyfile("def test_a():\n    pass\n")
    run(pytester).assert_outcomes(passed=1)
    assert fake_bin.calls() == []


def test_session_end_without_an_engine(pytester: pytest.Pytester) -> None:
    write_project(pytester.path)
    pytester.makepyfile("def test_a(platform):\n    pass\n")
    run(pytester, "--platforms", "debian12").assert_outcomes(passed=1)  # nothing to clean


def test_session_end_in_a_worker_does_nothing(pytester: pytest.Pytester, fake_bin: FakeBin) -> None:
    fake_bin.add("podman", PODMAN)
    write_project(pytester.path)
    config = pytester.parseconfigure()
    config.workerinput = {}  # type: ignore[attr-defined]  # as xdist sets it in workers
    session = pytest.Session.from_config(config)
    plugin.pytest_sessionfinish(session)
    assert fake_bin.calls() == []


# ``verified``: some testinfra test checked each converged machine (runs last).

VERIFY = """\
from pytest_modskel import unverified

def test_role_was_verified(verified, platform):
    assert verified, unverified(platform)

def test_converged(converge):
    pass
"""
MARKED_HOST_TESTS = """\
import pytest

@pytest.mark.verify
def test_one(host):
    pass

@pytest.mark.verify
def test_two(host):
    pass
"""
MARKER = 'def pytest_configure(config):\n    config.addinivalue_line("markers", "verify: x")\n'
UNVERIFIED = (
    "no testinfra test checked debian12 after converging: write one in "
    "tests/integration/test_role.py, a function taking `host` "
    "(e.g. `assert host.service('nginx').is_running`); see docs/harness.md"
)


def test_unverified_message() -> None:
    assert fixtures.unverified(DEBIAN) == UNVERIFIED


@pytest.mark.usefixtures("lab")
def test_a_platform_no_testinfra_test_checked_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_idempotence=VERIFY)
    _converges(monkeypatch, FIRST, SECOND)
    result = run(pytester, "--platforms", "debian12")
    result.assert_outcomes(passed=1, failed=1)
    assert _lines_with(result, f"AssertionError: {UNVERIFIED}")


@pytest.mark.usefixtures("lab")
def test_verified_runs_last_and_lists_the_host_tests(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path)
    listed = VERIFY.replace(
        "assert verified, unverified(platform)",
        "assert verified == [f'test_role.py::test_{n}[{platform.id}]' for n in ('one', 'two')]",
    )
    # test_idempotence.py is collected first: without the reordering nothing has run yet.
    pytester.makepyfile(test_idempotence=listed, test_role=MARKED_HOST_TESTS)
    pytester.makeconftest(MARKER)
    _converges(monkeypatch, FIRST, SECOND)
    result = run(pytester, "--platforms", "debian12", "-v")
    result.assert_outcomes(passed=4)
    ran = [line.split(" ")[0] for line in result.outlines if line.endswith("%]")]
    assert ran == [
        "test_idempotence.py::test_converged[debian12]",
        "test_role.py::test_one[debian12]",
        "test_role.py::test_two[debian12]",
        "test_idempotence.py::test_role_was_verified[debian12]",
    ]


@pytest.mark.usefixtures("lab")
@pytest.mark.parametrize(
    "narrowing",
    [
        ["-k", "verified or converged"],
        ["-m", "not verify"],
        ["test_idempotence.py::test_role_was_verified"],
    ],
    ids=["keyword", "markexpr", "node-id"],
)
def test_a_narrowed_run_skips_the_verified_check(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, narrowing: list[str]
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_idempotence=VERIFY, test_role=MARKED_HOST_TESTS)
    pytester.makeconftest(MARKER)
    _converges(monkeypatch, FIRST, SECOND)
    result = run(pytester, "--platforms", "debian12", "-rs", *narrowing)
    assert result.parseoutcomes()["skipped"] == 1
    assert "failed" not in result.parseoutcomes()
    _one_line(result, "debian12: no testinfra test selected in this narrowed run")


@pytest.mark.usefixtures("lab")
@pytest.mark.parametrize(
    ("args", "outcomes"),
    [
        (["-k", "one or verified"], {"passed": 2}),
    ],
    ids=["narrowed-with-a-host-test"],
)
def test_verified_check_still_runs(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    outcomes: dict[str, int],
) -> None:
    write_project(pytester.path)
    pytester.makepyfile(test_idempotence=VERIFY, test_role=MARKED_HOST_TESTS)
    pytester.makeconftest(MARKER)
    _converges(monkeypatch, FIRST, SECOND)
    result = run(pytester, "--platforms", "debian12", *args)
    result.assert_outcomes(**outcomes)


def test_package_loads_the_plugin_names_lazily() -> None:
    import pytest_modskel  # noqa: PLC0415 - the package under test

    assert pytest_modskel.unverified is fixtures.unverified
    assert pytest_modskel.assert_idempotent is fixtures.assert_idempotent
    name = "nosuch"
    with pytest.raises(
        AttributeError, match=exactly("module 'pytest_modskel' has no attribute 'nosuch'")
    ):
        getattr(pytest_modskel, name)


def test_the_command_line_does_not_import_pytest() -> None:
    import sys  # noqa: PLC0415 - only here

    code = "import sys, pytest_modskel.commands; print({'pytest', '_pytest'} & {*sys.modules})"
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found == "set()\n"


@pytest.mark.usefixtures("lab")
def test_systemd_tests_run_where_systemd_is_pid_1(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester.path, platforms="- id: debian12\n  image: debian:12\n  systemd: true\n")
    pytester.makepyfile(test_role=ROLE_TESTS)
    _converges(monkeypatch, FIRST, SECOND)
    run(pytester).assert_outcomes(passed=4)


@pytest.mark.parametrize(
    ("loadgroup", "given", "expected"),
    [
        (
            True,
            "tests/test_role.py::test_x[debian12]",
            "tests/test_role.py::test_x[debian12]@debian12",
        ),
        (True, "tests/test_role.py::test_x@debian12", "tests/test_role.py::test_x@debian12"),
        (False, "tests/test_role.py::test_x[debian12]", "tests/test_role.py::test_x[debian12]"),
    ],
    ids=["loadgroup", "suffixed-already", "no-loadgroup"],
)
def test_xdist_group_names_the_group_in_the_node_id(
    loadgroup: bool,  # noqa: FBT001 - a parameter
    given: str,
    expected: str,
) -> None:
    from _pytest.nodeid import NodeId  # noqa: PLC0415 - pytest 9's node ids

    class Item:
        """The parts of a pytest item xdist_group uses."""

        def __init__(self) -> None:
            self.marks: list[pytest.MarkDecorator] = []
            self._id = NodeId.parse(given)
            self.config = SimpleNamespace(
                getoption=lambda name, default: loadgroup if name == "loadgroup" else default
            )

        @property
        def nodeid(self) -> str:
            return str(self._id)

        def add_marker(self, mark: pytest.MarkDecorator) -> None:
            self.marks.append(mark)

    item = Item()
    plugin.xdist_group(cast("pytest.Item", item), "debian12")
    assert item.nodeid == expected
    assert [(m.name, m.args) for m in item.marks] == [("xdist_group", ("debian12",))]
