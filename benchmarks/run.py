"""Print modskel's figures: copy, update, lint+unit (cold, warm), integration, project size.

Usage: ``uv run python benchmarks/run.py [--platform debian12] [--rounds 3] [--vm debian12-vm]
[--no-molecule | --only-molecule | --only-collection]``

The collection kind: ``copier copy`` of a default collection (goal <= 1 s;
ansible-creator's ``init collection`` takes 0.3 s for a weaker result) and its
warm ``tox -e lint,unit`` (reported), printed after the role's figures.

Goals (see docs/developing.md): copy <= 1 s; update of an edited project from
the first release <= 3 s; warm lint+unit <= 8 s; integration of the sample
role on one container platform <= 16 s, with its converge and second converge
<= 1.5x the floor (the same converge run by ``ansible-playbook -c local`` inside
the container, benchmarks/floor.py); on a VM platform <= 60 s under TCG
(<= 30 s under KVM), reported per phase; template-owned Python in a fresh
default project <= 300 lines (the harness is a package). Machines are noisy:
read the median of several rounds, and compare figures from the same run.

The author's loop (``tox -e dev``): one task edit, then ``converge`` and
``verify`` on a kept container; goal <= 10 s for the sample role.

Side by side with molecule (benchmarks/versus_molecule.py): the integration
time of the sample role and of the fixture role web_service, against
``molecule test`` of the same role on the same prepared image and engine,
printed as a ratio; goal <= 0.15 for the sample role, <= 0.25 for
web_service (package, config, service). The author's loop against ``molecule
converge && molecule verify`` on a created instance; goal <= 0.5.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import floor
import versus_molecule
import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(cmd: list[str], cwd: Path) -> float:
    """Run ``cmd`` in ``cwd``; return its wall time, failing loudly if it fails."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{done.stdout[-2000:]}{done.stderr}")
    return elapsed


def copy(dst: Path, *data: str) -> float:
    """Time ``copier copy`` with defaults (and ``data`` answers, KEY=VALUE) into ``dst``."""
    cmd = [str(BIN / "copier"), "copy", "-q", "--defaults", "--trust", "--vcs-ref=HEAD"]
    return timed([*cmd, *(f"--data={d}" for d in data), str(REPO), str(dst)], REPO)


def git(cwd: Path, *args: str) -> None:
    """Run git quietly in ``cwd`` with a throw-away identity."""
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@invalid"]
    subprocess.run(["git", *ident, *args], cwd=cwd, check=True, capture_output=True)


def update(tmp: Path) -> float:
    """Time ``copier update`` of an edited project from the first release to HEAD."""
    first = yaml.safe_load((REPO / "tests" / "data" / "releases.yml").read_text())[0]
    template = tmp / "template"
    git(REPO, "clone", "-q", str(REPO), str(template))
    tagged = subprocess.run(
        ["git", "tag", "--list", first["version"]],
        cwd=template,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not tagged:  # a clone already has the repository's own tags
        git(template, "tag", first["version"], first["commit"])
    git(template, "tag", "v99.0.0", "HEAD")
    project = tmp / "updated" / "sample_role"
    cmd = [str(BIN / "copier"), "copy", "-q", "--defaults", "--trust", "--vcs-ref"]
    timed([*cmd, first["version"], str(template), str(project)], tmp)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nEdited by the author.\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "generated, then edited")
    return timed(
        [str(BIN / "copier"), "update", "-q", "--defaults", "--trust", "--vcs-ref", "v99.0.0"],
        project,
    )


def template_owned_python(project: Path) -> tuple[int, int]:
    """Count lines of Python the template owns in ``project``, and the lines of all Python."""
    author = yaml.safe_load((REPO / "copier.yml").read_text().replace("!include", ""))
    owned = author["_skip_if_exists"]
    files = [p for p in project.rglob("*.py") if ".tox" not in p.parts]
    lines = {p: len(p.read_text().splitlines()) for p in files}
    template = [
        p for p in files if not any(fnmatch.fnmatch(str(p.relative_to(project)), o) for o in owned)
    ]
    return sum(lines[p] for p in template), sum(lines.values())


def phased(project: Path, platform: str) -> tuple[float, dict[str, float], str]:
    """Run one platform's integration; return wall time, phase times, VM accelerator."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "tox"), "-e", f"integration-{platform}"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    total = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"integration-{platform} failed:\n{done.stdout[-2000:]}")
    # The last line of the platform's progress holds every phase's time.
    lines = re.findall(rf"^modskel: {re.escape(platform)}: (start .*)$", done.stdout, re.MULTILINE)
    accel = re.search(r"virtual machines use (\w+)", done.stdout)
    phases = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+) s", lines[-1] if lines else "")}
    return total, phases, accel[1] if accel else "?"


def dev_cycle(project: Path, platform: str, rounds: int) -> list[float]:
    """Time the author's loop on a kept container: one task edited, converge, then verify."""
    dev = [str(BIN / "tox"), "-e", "dev", "--"]
    tasks = project / "tasks" / "main.yml"
    original = tasks.read_text()
    timed([*dev, "up", platform], project)
    try:
        timed([*dev, "converge", platform], project)  # the first converge changes everything
        cycles = []
        for _ in range(rounds):
            versus_molecule.edit_task(project)
            converge = timed([*dev, "converge", platform], project)
            cycles.append(converge + timed([*dev, "verify", platform], project))
        return cycles
    finally:
        tasks.write_text(original)
        subprocess.run([*dev, "destroy", platform], cwd=project, capture_output=True, check=False)


def arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", default="debian12")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--vm", default="debian12-vm", help="VM platform to time (one round)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--no-molecule", action="store_true", help="skip the molecule comparison")
    which.add_argument("--only-molecule", action="store_true", help="only the molecule comparison")
    which.add_argument(
        "--only-collection", action="store_true", help="only the collection kind's figures"
    )
    return parser.parse_args()


def collection_figures(args: argparse.Namespace, tmp: Path) -> None:
    """Print the collection kind's figures: copy of a default collection, warm lint+unit."""
    tox = str(BIN / "tox")
    copies = [copy(tmp / f"coll{i}" / "acme_tools", "kind=collection") for i in range(args.rounds)]
    project = tmp / "coll0" / "acme_tools"
    cold = timed([tox, "-e", "lint,unit"], project)
    warm = [timed([tox, "-e", "lint,unit"], project) for _ in range(args.rounds)]
    print(
        f"collection: copier copy (defaults) median {statistics.median(copies):6.2f} s  goal  1 s"
    )
    print(f"collection: tox -e lint,unit (cold)     {cold:6.2f} s")
    print(
        f"collection: tox -e lint,unit (warm) median {statistics.median(warm):6.2f} s", flush=True
    )


def figures(args: argparse.Namespace, tmp: Path) -> tuple[list[float], list[float]]:
    """Measure and print modskel's own figures; return the sample role's integration times.

    And its edit-converge-verify cycles on a kept container.
    """
    tox = str(BIN / "tox")
    startup = [timed([str(BIN / "copier"), "--version"], REPO) for _ in range(args.rounds)]
    copies = [copy(tmp / f"copy{i}" / "sample_role") for i in range(args.rounds)]
    updated = update(tmp)
    project = tmp / "copy0" / "sample_role"
    owned, python = template_owned_python(project)
    cold = timed([tox, "-e", "lint,unit"], project)
    warm = [timed([tox, "-e", "lint,unit"], project) for _ in range(args.rounds)]
    env = f"integration-{args.platform}"
    timed([tox, "-e", env], project)  # warm-up: the tox env and the prepared image
    runs = [phased(project, args.platform) for _ in range(args.rounds)]
    integ, phases = [run[0] for run in runs], [run[1] for run in runs]
    image = versus_molecule.prepared_image(project, args.platform)
    floor_lines = floor.measure(
        project, args.platform, image, versus_molecule.fqcn(project), phases
    )
    cycle = dev_cycle(project, args.platform, args.rounds)
    vm_project = tmp / "vm" / "sample_role"  # VM platforms are opt-in: a project with one
    copy(vm_project, f'platforms=["{args.vm}"]')
    timed([tox, "-e", "vm-image"], vm_project)  # built once, cached
    timed([tox, "-e", f"integration-{args.vm}", "--notest"], vm_project)  # the env, warm
    # The first run of an image on a machine boots the guest once and saves it;
    # every later run resumes it (drivers/resume.py): time both.
    first_total, first, _ = phased(vm_project, args.vm)
    vm_total, vm, accel = phased(vm_project, args.vm)
    vm_floor = floor.measure_vm(vm_project, args.vm, versus_molecule.fqcn(vm_project), vm)
    print(f"copier --version (its start-up) median {statistics.median(startup):6.2f} s")
    print(f"copier copy (defaults)          median {statistics.median(copies):6.2f} s  goal  1 s")
    print(f"copier update (edited, from v0.1.0)    {updated:6.2f} s  goal  3 s")
    print(f"template-owned Python, fresh project   {owned:6d} lines  goal 300 (of {python})")
    print(f"tox -e lint,unit (cold)                {cold:6.2f} s")
    print(f"tox -e lint,unit (warm)         median {statistics.median(warm):6.2f} s  goal  8 s")
    median = statistics.median(integ)
    print(f"integration {args.platform:<12}        median {median:6.2f} s  goal 16 s")
    for phase in phases[0]:
        seconds = statistics.median(p[phase] for p in phases)
        print(f"  {phase:<12}                   median {seconds:6.2f} s")
    print("\n".join(floor_lines))
    cycle_median = statistics.median(cycle)
    print(f"dev loop: edit, converge, verify median {cycle_median:6.2f} s  goal 10 s")
    saving = f"start {first.get('start', 0):.2f} s, total {first_total:.2f} s"
    print(f"VM {args.vm} ({accel}) first run, saving the guest: {saving}")
    for phase, seconds in vm.items():
        print(f"VM {args.vm} ({accel}) {phase:<12}        {seconds:6.2f} s")
    goal = "30" if accel == "KVM" else "60"
    print(f"VM {args.vm} ({accel}) total (tox run)   {vm_total:6.2f} s  goal {goal} s", flush=True)
    print("\n".join(vm_floor), flush=True)
    return integ, cycle


def main() -> None:
    """Run each measurement and print one line per figure."""
    args = arguments()
    # Python caches bytecode unless told not to; some sandboxes tell it not to,
    # which makes every copier and tox start compile its imports again. Measure
    # what an author's machine does.
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        print("PYTHONDONTWRITEBYTECODE was set: unset for the benchmark (Python's default)")
    with tempfile.TemporaryDirectory(prefix="modskel-bench-") as tmp:
        wheels = Path(tmp) / "wheels"  # the harness package, from this work tree
        timed(["uv", "build", "-q", "--wheel", "-o", str(wheels), "pytest-modskel"], REPO)
        os.environ["UV_FIND_LINKS"] = str(wheels)
        project = Path(tmp) / "copy0" / "sample_role"
        integ = cycle = None
        if args.only_collection:
            collection_figures(args, Path(tmp))
            return
        if args.only_molecule:
            copy(project)
        else:
            integ, cycle = figures(args, Path(tmp))
            collection_figures(args, Path(tmp))
        if not args.no_molecule:
            lines = versus_molecule.compare(
                project, Path(tmp), args.platform, args.rounds, integ, cycle_times=cycle
            )
            print("\n".join(lines))


if __name__ == "__main__":
    main()
