"""``modskel build``: build the collection's artifact, then check it as Galaxy imports it.

``ansible-galaxy collection build`` writes the artifact into a temporary
folder (or ``--output DIR``), never into the project. galaxy-importer then runs
Galaxy's import checks on it (metadata, README, content, changelog), offline:
without ansible-test (it would want a container engine), ansible-lint and
ansible-doc (``tox -e lint`` runs ansible-lint and ansible-test sanity, whose
ansible-doc and validate-modules tests check the same documentation).
Its lines are printed, then one summary line; the exit code is 1 when either
step rejects the collection.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_modskel.commands.base import Command
from pytest_modskel.commands.sanity import collection
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK, SetupError
from pytest_modskel.runner.ansible import required_bin

# galaxy-importer reads these over its config files (galaxy_importer.config.Config).
# ansible-doc: 15 calls, 20-30 s; sanity's ansible-doc and validate-modules tests check the docs.
IMPORTER_ENV = {"GALAXY_IMPORTER_RUN_ANSIBLE_TEST": "false",
                "GALAXY_IMPORTER_RUN_ANSIBLE_LINT": "false",
                "GALAXY_IMPORTER_RUN_ANSIBLE_DOC": "false"}  # fmt: skip
IMPORTER = "galaxy_importer"
CREATED = re.compile(r"^Created collection for \S+ at (?P<path>.+\.tar\.gz)$", re.MULTILINE)
PATHS = re.compile(r"[\w./-]+\.(?:py|ya?ml|md|rst|txt|json)\b")


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``cmd``; return its exit code and output (stdout and stderr, in order)."""
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)  # fmt: skip
    return done.returncode, done.stdout


def culprit(root: Path, output: str) -> str:
    """Return the project file an error names, else ``galaxy.yml`` (the metadata)."""
    for found in PATHS.findall(output):
        name = found.split("ansible_collections/", 1)[-1]
        parts = Path(name).parts
        for start in range(len(parts)):  # an artifact path: <tmp>/<ns>/<name>/plugins/...
            if (root / Path(*parts[start:])).is_file() and parts[start:] != ("galaxy.yml",):
                return str(Path(*parts[start:]))
    return "galaxy.yml"


def build(root: Path, output: Path) -> Path | str:
    """Build into ``output``; return the artifact, or ansible-galaxy's output when it fails."""
    fix = "run `tox -e build`, whose env installs ansible-core and galaxy-importer"
    galaxy = required_bin("ansible-galaxy", fix)
    cmd = [galaxy, "collection", "build", "--force", "--output-path", str(output), str(root)]
    code, text = _run(cmd, root)
    created = CREATED.search(text)
    return Path(created["path"]) if code == 0 and created else text


def importer_command() -> list[str]:
    """Return the command that runs galaxy-importer, or say how to install it."""
    if importlib.util.find_spec(IMPORTER) is None:
        msg = f"galaxy-importer is not installed for {sys.executable}: run `tox -e build`, "
        msg += "whose env installs it"
        raise SetupError(msg)
    return [sys.executable, "-m", f"{IMPORTER}.main"]


def importer(artifact: Path, workdir: Path) -> tuple[int, str]:
    """Run galaxy-importer on ``artifact`` (its result file goes to ``workdir``)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, **IMPORTER_ENV, "PATH": path}  # it runs ansible-doc from PATH
    return _run([*importer_command(), str(artifact)], workdir, env)


def check(root: Path, output: Path, workdir: Path) -> int:
    """Build and check; print the tools' lines and one summary; return the exit code."""
    artifact = build(root, output)
    if isinstance(artifact, str):
        print(artifact, end="")
        print(f"build: ansible-galaxy collection build failed: fix {culprit(root, artifact)}")
        return EXIT_FAILED
    code, text = importer(artifact, workdir)
    print(text, end="")
    if code != 0:
        print(f"build: {artifact.name}: galaxy-importer rejects it: fix {culprit(root, text)}")
        return EXIT_FAILED
    warnings = len(re.findall(r"^WARNING", text, re.MULTILINE))
    where = f" in {artifact.parent}" if output != workdir else ""
    print(f"build: {artifact.name}{where}: galaxy-importer accepts it ({warnings} warning(s))")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Build the artifact (kept only with --output) and run galaxy-importer on it."""
    project = collection("build", "check a role with `tox -e importer`")
    with tempfile.TemporaryDirectory(prefix="modskel-build-") as workdir:
        output = Path(args.output).resolve() if args.output else Path(workdir)
        output.mkdir(parents=True, exist_ok=True)
        return check(project.root, output, Path(workdir))


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", metavar="DIR",
                        help="keep the artifact in DIR (default: a temporary folder)")  # fmt: skip


COMMAND = Command(
    "build",
    "build the collection artifact and run galaxy-importer's checks on it (offline)",
    run,
    _arguments,
)
