"""The floor: the same converge, run by ``ansible-playbook -c local`` inside the machine.

No harness can converge faster than Ansible running the same tasks on the
machine itself, so the harness's converge is reported as a multiple of this
floor. The floor uses the same ansible-core release as the project's
integration env, installed for the benchmark only (``uv pip install --target``
for the machine's Python, copied in), the same prepared image started the way
the harness starts it (systemd as PID 1), the same converge playbook and role.
Each round starts a fresh machine and times, inside it, the first converge and
the second one (the idempotence run, in ``--diff`` mode as the harness runs it).
"""

from __future__ import annotations

import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Protocol

from pytest_modskel import platforms
from pytest_modskel.drivers import container, qemu
from pytest_modskel.drivers.base import Session
from pytest_modskel.errors import ModskelError
from pytest_modskel.project import Project

WORK = "/modskel-floor"
# Runs inside the machine: time ansible-playbook, print the seconds (its output goes to a log).
TIMER = (
    "import subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "with open(sys.argv[1], 'a') as log:\n"
    "    done = subprocess.run(sys.argv[2:], stdout=log, stderr=log)\n"
    "print(time.perf_counter() - start)\n"
    "sys.exit(done.returncode)\n"
)


class FloorError(Exception):
    """The floor could not be measured; the message says why."""


def core_version(project: Path, env: str) -> str:
    """Return the ansible-core release of the project's tox env ``env``."""
    python = project / ".tox" / env / "bin" / "python"
    code = "import ansible.release; print(ansible.release.__version__)"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = f"no {env} env in {project}: run its integration once first"
        raise FloorError(msg)
    return done.stdout.strip()


def controller(dst: Path, core: str, python: str) -> Path:
    """Install ansible-core ``core`` for the machine's ``python`` (X.Y) into ``dst``."""
    cmd = ["uv", "pip", "install", "-q", "--target", str(dst), "--python-version", python,
           "--python-platform", "x86_64-manylinux_2_28", f"ansible-core=={core}"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = f"could not install ansible-core {core} for Python {python}: {done.stderr.strip()}"
        raise FloorError(msg)
    return dst


class Machine(Protocol):
    """A machine the floor runs on: a container or a VM, reached by a shell command."""

    @property
    def name(self) -> str:
        """The machine's name (container name or ssh alias)."""
        ...

    def sh(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a shell command on the machine."""
        ...


def machine_python(box: Machine) -> str:
    """Return the X.Y version of the machine's python3."""
    code = "import sys; print(*sys.version_info[:2], sep='.')"
    return box.sh(f'python3 -c "{code}"').stdout.strip()


def copy_in(box: Machine, src: Path, dst: str) -> None:
    """Copy the local folder ``src`` to ``dst`` on the machine, as one uncompressed tar stream."""
    unpack = f"mkdir -p {shlex.quote(dst)} && tar -C {shlex.quote(dst)} -x"
    into = (
        [box.engine.binary, "exec", "-i", box.name, "sh", "-c", unpack]
        if isinstance(box, container.Container)
        else ["ssh", "-F", str(box.ssh_config), box.name, unpack]  # type: ignore[attr-defined]
    )
    pack = subprocess.Popen(["tar", "-C", str(src), "-c", "."], stdout=subprocess.PIPE)
    assert pack.stdout is not None  # noqa: S101 - asked for above
    with pack.stdout:  # closed here too, so tar sees a broken pipe if the other end fails
        done = subprocess.run(
            into, stdin=pack.stdout, capture_output=True, text=True, check=False, timeout=1800
        )
    pack.wait()
    if done.returncode != 0 or pack.returncode != 0:
        msg = f"could not copy {src} into {box.name}: {done.stderr.strip()}"
        raise FloorError(msg)


def compiled(packages: Path, python: str) -> None:
    """Compile ``packages`` for Python ``python`` here (an emulated guest is slow at it)."""
    interpreter = shutil.which(f"python{python}")
    if interpreter:
        subprocess.run([interpreter, "-m", "compileall", "-q", str(packages)], check=False)


def stage(box: Machine, project: Path, fqcn: str, packages: Path) -> None:
    """Put ansible-core, the role (as ``fqcn``) and its dependencies onto the machine."""
    copy_in(box, packages, f"{WORK}/pkg")
    with tempfile.TemporaryDirectory(prefix="modskel-floor-") as tmp:
        role = Path(tmp) / fqcn
        ignore = shutil.ignore_patterns(".tox", ".git", ".modskel", ".ansible", "roles")
        shutil.copytree(project, role, ignore=ignore, symlinks=True)
        copy_in(box, role, f"{WORK}/roles/{fqcn}")
    for dependency in sorted((project / "roles").glob("*")):
        copy_in(box, dependency, f"{WORK}/roles/{dependency.name}")


def playbook(box: Machine, fqcn: str, *extra: str) -> float:
    """Run the converge playbook with ``-c local`` on the machine; return its seconds."""
    role = f"{WORK}/roles/{fqcn}"
    env = [f"PYTHONPATH={WORK}/pkg", f"ANSIBLE_ROLES_PATH={WORK}/roles",
           f"ANSIBLE_FILTER_PLUGINS={role}/filter_plugins", "ANSIBLE_NOCOLOR=1"]  # fmt: skip
    ansible = ["python3", f"{WORK}/pkg/bin/ansible-playbook", "-c", "local", "-i", "localhost,",
               "-e", "ansible_python_interpreter=/usr/bin/python3", *extra,
               f"{role}/tests/integration/converge.yml"]  # fmt: skip
    timer = ["env", *env, "python3", "-c", TIMER, f"{WORK}/log", *ansible]
    done = box.sh(f"cd {WORK} && {shlex.join(timer)}", timeout=1800)
    if done.returncode != 0:
        log = box.sh(f"tail -n 30 {WORK}/log").stdout
        msg = f"the -c local converge failed in {box.name}:\n{log}"
        raise FloorError(msg)
    return float(done.stdout.strip().splitlines()[-1])


def converges(box: Machine, project: Path, env: str, fqcn: str, tmp: Path) -> tuple[float, float]:
    """Stage everything on a fresh machine; time the first and second converge.

    ansible-core is the release of the project's tox env ``env``.
    """
    packages = tmp / "pkg"
    if not packages.is_dir():
        python = machine_python(box)
        controller(packages, core_version(project, env), python)
        compiled(packages, python)
    stage(box, project, fqcn, packages)
    return playbook(box, fqcn), playbook(box, fqcn, "--diff")


def container_floor(
    project: Path, platform: str, image: str, fqcn: str, rounds: int
) -> tuple[list[float], list[float]]:
    """Time ``rounds`` first and second ``-c local`` converges, a fresh container each."""
    engine = container.detect()
    times = []
    with tempfile.TemporaryDirectory(prefix="modskel-floor-pkg-") as tmp:
        for index in range(rounds):
            with container.running(engine, image, f"modskel-floor-{index}", systemd=True) as box:
                env = f"integration-{platform}"
                times.append(converges(box, project, env, fqcn, Path(tmp)))
    return [t[0] for t in times], [t[1] for t in times]


def vm_floor(project: Path, platform: str, fqcn: str) -> tuple[list[float], list[float]]:
    """Time one first and second ``-c local`` converge in a fresh VM of ``platform``."""
    (vm,) = platforms.select(platforms.load(Project(project)), platform)
    qemu.preflight([vm])
    session = Session(project=project.name, run_id="floor")
    with tempfile.TemporaryDirectory(prefix="modskel-floor-vm-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        with qemu.booted(vm, work, session) as box:
            first, second = converges(box, project, f"integration-{platform}", fqcn, Path(tmp))
    return [first], [second]


def ratio_lines(
    phases: list[dict[str, float]], floor: tuple[list[float], list[float]]
) -> list[str]:
    """Format the harness's converge and idempotence phases over the floor (medians)."""
    lines = []
    for phase, times in zip(("converge", "idempotence"), floor, strict=True):
        ours = statistics.median(p[phase] for p in phases)
        theirs = statistics.median(times)
        lines.append(
            f"{phase} vs -c local floor: harness {ours:.2f} s, floor {theirs:.2f} s, "
            f"overhead {ours / theirs:.2f}x (goal <= 1.5)"
        )
    return lines


def measure(
    project: Path, platform: str, image: str, fqcn: str, phases: list[dict[str, float]]
) -> list[str]:
    """Return the floor lines for the container platform, or one line saying why not."""
    try:
        floor = container_floor(project, platform, image, fqcn, len(phases))
    except FloorError as error:
        return [f"floor not measured: {error}"]
    return ratio_lines(phases, floor)


def measure_vm(project: Path, platform: str, fqcn: str, phases: dict[str, float]) -> list[str]:
    """Return the floor lines for the VM platform (one round), or one line saying why not."""
    try:
        floor = vm_floor(project, platform, fqcn)
    except (FloorError, ModskelError) as error:
        return [f"VM floor not measured: {error}"]
    return [f"VM {line}" for line in ratio_lines([phases], floor)]


if __name__ == "__main__":
    sys.exit("run benchmarks/run.py, which measures the floor beside the harness")
