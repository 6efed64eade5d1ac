"""Side by side with molecule: the same roles, image and engine, timed in one run.

modskel's figure is ``tox -e integration-<platform>`` after a warm-up run that
creates the tox env and the prepared image. Molecule's is ``molecule test``
(podman driver, testinfra verifier) in a scenario written here into a copy of
the project, started from that prepared image, with the project's own converge
playbook and testinfra tests. The roles: the generated sample role, and the
fixture role web_service dropped into a copy of it, as tests/helpers.py does.
Molecule runs from a virtualenv built once under ~/.cache/modskel.

The author's loop: after one task edit, ``tox -e dev -- converge`` then
``tox -e dev -- verify`` on a kept container (benchmarks/run.py), against
``molecule converge && molecule verify`` on a created instance.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CACHE = Path.home() / ".cache" / "modskel"
VENV = CACHE / "bench-molecule"
REQUIREMENTS = (
    "molecule",
    "molecule-plugins[podman]",
    "ansible==12.3.0",
    "pytest-testinfra==10.2.2",
)
GOALS = {"sample_role": 0.15, "web_service": 0.25}  # modskel's time over molecule's, at most
CYCLE_GOAL = 0.5  # modskel's edit-converge-verify cycle over molecule's, at most
FIXTURES = REPO / "tests" / "fixtures" / "roles"
# The sample role's own content: what an author replaces with their role.
SAMPLE = ("tasks", "handlers", "templates", "defaults", "vars", "files", "meta", "filter_plugins")
SAMPLE_TESTS = ("tests/integration/test_role.py", "tests/integration/converge.yml")
# The harness's `systemd` fixture skips service checks where systemd is not
# PID 1; in the molecule scenario it always is.
CONFTEST = '''"""What the harness's plugin gives the role's tests, for molecule's verifier."""

import pytest


@pytest.fixture
def systemd() -> None:
    """systemd is PID 1 in the scenario's container: service checks run."""
'''


class CommandFailedError(Exception):
    """A timed command exited non-zero; carries its output."""

    def __init__(self, cmd: list[str], done: subprocess.CompletedProcess[str]) -> None:
        """Keep the command and its output."""
        self.output = f"$ {' '.join(cmd)}\n{done.stdout}{done.stderr}"
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        super().__init__(f"{Path(cmd[0]).name} {cmd[1]}: {lines[-1] if lines else 'no output'}")


class UnavailableError(Exception):
    """Molecule cannot run on this machine; the message says why."""


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Run ``cmd`` in ``cwd``; return its wall time, or raise CommandFailedError."""
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=1800
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise CommandFailedError(cmd, done)
    return elapsed


def dependencies(role: str) -> list[str]:
    """Return the fixture roles ``role`` depends on (meta/main.yml), transitively."""
    meta = yaml.safe_load((FIXTURES / role / "meta" / "main.yml").read_text())
    names = [
        (d["role"] if isinstance(d, dict) else d).removeprefix("fixtures.")
        for d in meta.get("dependencies") or []
    ]
    return names + [n for name in names for n in dependencies(name)]


def clone(project: Path, dst: Path) -> Path:
    """Copy a generated project, without its tox envs, to ``dst``; return ``dst``."""
    shutil.copytree(project, dst, ignore=shutil.ignore_patterns(".tox", ".ansible", ".modskel"))
    return dst


def drop_in(project: Path, dst: Path, role: str) -> Path:
    """Copy ``project`` to ``dst`` with its sample role replaced by the fixture ``role``."""
    copy = clone(project, dst)
    for name in (*SAMPLE, *SAMPLE_TESTS):
        path = copy / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    shutil.copytree(FIXTURES / role, copy, dirs_exist_ok=True)
    for needed in dependencies(role):  # where `ansible-galaxy install -p roles` puts them
        shutil.copytree(FIXTURES / needed, copy / "roles" / f"fixtures.{needed}")
    return copy


def fqcn(project: Path) -> str:
    """Return the role's ``namespace.role_name`` from the project's meta/main.yml."""
    info = yaml.safe_load((project / "meta" / "main.yml").read_text())["galaxy_info"]
    return f"{info['namespace']}.{info['role_name']}"


def molecule_venv() -> Path:
    """Return the virtualenv with molecule, creating it once; raise UnavailableError."""
    stamp = VENV / "modskel-bench-requirements.txt"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    if (VENV / "bin" / "molecule").exists() and stamp.is_file() and stamp.read_text() == wanted:
        return VENV
    python = str(VENV / "bin" / "python")
    for cmd in (
        ["uv", "venv", "-q", "--clear", "--python", sys.executable, str(VENV)],
        ["uv", "pip", "install", "-q", "--compile-bytecode", "--python", python, *REQUIREMENTS],
    ):
        try:
            timed(cmd, REPO)
        except (OSError, CommandFailedError, subprocess.TimeoutExpired) as error:
            msg = f"could not install molecule into {VENV}: {error}"
            raise UnavailableError(msg) from error
    stamp.write_text(wanted)
    return VENV


def check_podman() -> None:
    """Raise UnavailableError unless podman can run containers here."""
    try:
        done = subprocess.run(["podman", "info"], capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        msg = f"podman cannot run here: {error}"
        raise UnavailableError(msg) from error
    if done.returncode != 0:
        msg = "podman cannot run containers here (`podman info` failed)"
        raise UnavailableError(msg)


def prepared_image(project: Path, platform: str) -> str:
    """Return the newest prepared image (with systemd) of ``platform``'s image.

    The harness names it ``localhost/modskel-prepared/<image>:<hash of recipe>``;
    the warm-up run built it if it was missing.
    """
    listed = yaml.safe_load((project / "tests" / "integration" / "platforms.yml").read_text())
    image = next((p["image"] for p in listed if p["id"] == platform), "")
    base = re.sub(r"[^a-z0-9]+", "-", image.rsplit("/", 1)[-1].lower()).strip("-")
    fmt = "{{.Repository}}:{{.Tag}}"
    cmd = ["podman", "images", "--sort", "created", "--format", fmt]
    names = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    for name in names:  # newest first
        if not name.startswith(f"localhost/modskel-prepared/{base}:"):
            continue
        cmd = ["podman", "image", "history", "--no-trunc", "--format", "{{.CreatedBy}}", name]
        history = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        if "systemd" in history:
            return name
    msg = f"no prepared image of {image or platform} with systemd (podman images)"
    raise UnavailableError(msg)


def write_scenario(project: Path, image: str, container: str) -> None:
    """Write molecule/default into ``project``: its converge, its testinfra tests, ``image``."""
    scenario = project / "molecule" / "default"
    tests = scenario / "tests"
    tests.mkdir(parents=True)
    for test in sorted((project / "tests" / "integration").glob("test_*.py")):
        if "pytest_modskel" not in test.read_text():  # not the harness's converge checks
            shutil.copy2(test, tests)
    (tests / "conftest.py").write_text(CONFTEST)
    links = project.parent / "roles"  # where NAMESPACE.ROLE resolves to the project
    links.mkdir()
    (links / fqcn(project)).symlink_to(project, target_is_directory=True)
    config = {
        "driver": {"name": "podman"},
        "platforms": [
            {
                "name": container,
                "image": image,
                "pre_build_image": True,
                "command": "/lib/systemd/systemd",
                "systemd": "always",
            }
        ],
        "provisioner": {
            "name": "ansible",
            "env": {"ANSIBLE_ROLES_PATH": f"{links}:{project / 'roles'}"},
            "playbooks": {"converge": "../../tests/integration/converge.yml"},
        },
        "verifier": {"name": "testinfra"},
    }
    (scenario / "molecule.yml").write_text(yaml.safe_dump(config, sort_keys=False))


def remove_container(name: str) -> None:
    """Remove the container ``name`` if a run left it (only the one this benchmark named)."""
    if subprocess.run(["podman", "container", "exists", name], check=False).returncode == 0:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, check=False)


def molecule_times(project: Path, dst: Path, image: str, rounds: int) -> list[float]:
    """Time ``molecule test`` ``rounds`` times in a copy of ``project`` at ``dst``."""
    copy = clone(project, dst / project.name)
    container = f"modskel-bench-{dst.name}-{os.getpid()}"
    write_scenario(copy, image, container)
    env = {
        **os.environ,
        "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(VENV),
        "MOLECULE_EPHEMERAL_DIRECTORY": str(dst / "ephemeral"),  # not in ~/.ansible/tmp
    }
    try:
        return [timed([str(VENV / "bin" / "molecule"), "test"], copy, env) for _ in range(rounds)]
    finally:
        remove_container(container)


CONFIG_DIR_MODE = 'group: "{{ sample_role_group }}"\n    mode: "0750"\n\n- name: Render'


def edit_task(project: Path) -> None:
    """Change one task of the sample role: the configuration directory's mode, 0750 <-> 0755."""
    tasks = project / "tasks" / "main.yml"
    text = tasks.read_text()
    other = CONFIG_DIR_MODE.replace("0750", "0755")
    edited = (
        text.replace(CONFIG_DIR_MODE, other)
        if CONFIG_DIR_MODE in text
        else text.replace(other, CONFIG_DIR_MODE)
    )
    if edited == text:
        msg = f"{tasks}: the configuration directory task is not where the benchmark edits"
        raise UnavailableError(msg)
    tasks.write_text(edited)


def molecule_cycle(project: Path, dst: Path, image: str, rounds: int) -> list[float]:
    """Time ``molecule converge && molecule verify`` after one task edit, on a created instance."""
    copy = clone(project, dst / project.name)
    container = f"modskel-bench-cycle-{os.getpid()}"
    write_scenario(copy, image, container)
    env = {
        **os.environ,
        "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(VENV),
        "MOLECULE_EPHEMERAL_DIRECTORY": str(dst / "ephemeral"),
    }
    molecule = str(VENV / "bin" / "molecule")
    try:
        timed([molecule, "converge"], copy, env)  # creates the instance, converges once
        times = []
        for _ in range(rounds):
            edit_task(copy)
            times.append(timed([molecule, "converge"], copy, env) +
                         timed([molecule, "verify"], copy, env))  # fmt: skip
        return times
    finally:
        subprocess.run([molecule, "destroy"], cwd=copy, env=env, capture_output=True, check=False)
        remove_container(container)


def modskel_times(project: Path, platform: str, rounds: int) -> list[float]:
    """Time ``tox -e integration-<platform>`` ``rounds`` times after a warm-up run."""
    tox = [str(BIN / "tox"), "-e", f"integration-{platform}"]
    try:
        timed(tox, project)  # warm-up: the tox env and the prepared image
        return [timed(tox, project) for _ in range(rounds)]
    except CommandFailedError as error:
        sys.exit(f"benchmark command failed: {error}\n{error.output[-3000:]}")


def line(role: str, modskel: list[float], molecule: list[float] | str) -> str:
    """Format one role's comparison (medians), or why molecule has no figure."""
    ours = statistics.median(modskel)
    if isinstance(molecule, str):
        return f"integration {role}: modskel {ours:.1f} s, molecule failed: {molecule}"
    theirs = statistics.median(molecule)
    return (
        f"integration {role}: modskel {ours:.1f} s, molecule {theirs:.1f} s, "
        f"ratio {ours / theirs:.2f} (goal <= {GOALS[role]})"
    )


def molecule_figure(project: Path, dst: Path, image: str, rounds: int) -> list[float] | str:
    """Return molecule's times for ``project``, or why it failed (its log is kept)."""
    try:
        return molecule_times(project, dst, image, rounds)
    except subprocess.TimeoutExpired as error:
        return f"molecule test timed out after {error.timeout:.0f} s"
    except CommandFailedError as error:
        log = CACHE / f"bench-molecule-{dst.name}.log"
        log.write_text(error.output)
        return f"{error} (log: {log})"


def cycle_line(modskel: list[float] | None, molecule: list[float] | str) -> str:
    """Format the edit-converge-verify comparison (medians), or why one side has no figure."""
    if modskel is None:
        return "dev loop (edit, converge, verify): not measured here (run without --only-molecule)"
    ours = statistics.median(modskel)
    if isinstance(molecule, str):
        return (
            f"dev loop (edit, converge, verify): modskel {ours:.1f} s, molecule failed: {molecule}"
        )
    theirs = statistics.median(molecule)
    return (
        f"dev loop (edit, converge, verify): modskel {ours:.1f} s, molecule {theirs:.1f} s, "
        f"ratio {ours / theirs:.2f} (goal <= {CYCLE_GOAL})"
    )


def molecule_cycle_figure(project: Path, dst: Path, image: str, rounds: int) -> list[float] | str:
    """Return molecule's edit-converge-verify times, or why it failed (its log is kept)."""
    try:
        return molecule_cycle(project, dst, image, rounds)
    except subprocess.TimeoutExpired as error:
        return f"molecule timed out after {error.timeout:.0f} s"
    except UnavailableError as error:
        return str(error)
    except CommandFailedError as error:
        log = CACHE / "bench-molecule-cycle.log"
        log.write_text(error.output)
        return f"{error} (log: {log})"


def compare(  # noqa: PLR0913 - each figure this run may have measured already
    sample: Path,
    tmp: Path,
    platform: str,
    rounds: int,
    sample_times: list[float] | None = None,
    *,
    cycle_times: list[float] | None = None,
) -> list[str]:
    """Time the sample role and web_service under modskel and molecule; return the lines.

    ``sample_times`` are the sample role's integration times, if this run
    already measured them after a warm-up; ``cycle_times`` its edit-converge-verify
    cycles on a kept machine (benchmarks/run.py).
    """
    try:
        check_podman()
        molecule_venv()
    except UnavailableError as error:
        return [f"molecule comparison skipped: {error}"]
    web = drop_in(sample, tmp / "drop-in" / sample.name, "web_service")
    roles = {"sample_role": sample, "web_service": web}
    ours = {"sample_role": sample_times or modskel_times(sample, platform, rounds)}
    ours["web_service"] = modskel_times(web, platform, rounds)
    try:
        image = prepared_image(sample, platform)
    except UnavailableError as error:
        return [f"molecule comparison skipped: {error}"]
    lines = [
        line(role, ours[role], molecule_figure(path, tmp / "molecule" / role, image, rounds))
        for role, path in roles.items()
    ]
    cycle = molecule_cycle_figure(sample, tmp / "molecule-cycle", image, rounds)
    return [*lines, cycle_line(cycle_times, cycle)]
