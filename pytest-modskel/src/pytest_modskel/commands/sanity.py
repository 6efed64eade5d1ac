"""``modskel sanity``: ansible-test sanity on a copy of the collection, never its own tree.

ansible-test works only inside ``ansible_collections/<namespace>/<name>``. The
command copies the collection's files there, in a temporary folder (git's
tracked and untracked-but-not-ignored files in a repository; else every file
outside tool and cache folders), runs ``ansible-test sanity --local`` on the
Python that runs modskel (tox's env: the ansible-core series under test), and
prints its output with the copy's paths turned back into the project's::

    modskel sanity                      # every sanity test
    modskel sanity -- --test pep8       # ansible-test's own options after --

ansible-test reads ``tests/sanity/ignore-X.Y.txt`` from the copy, as usual; a
``tests/sanity/ignore.txt`` serves every series that has no file of its own
(the copy gets it as ``ignore-X.Y.txt``), so one list covers the whole matrix.

ansible-test makes a virtual environment per test and puts pip in each with a
script it downloads from ci-files.testing.ansible.com. Where that host is out
of reach (a package-index mirror only), ``MODSKEL_SANITY_PIP=index`` puts a
stand-in in ansible-test's cache instead, which installs the same pip release
from the package index (Python's bundled pip first, offline).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_modskel.commands.base import Command
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.project import Project
from pytest_modskel.runner.ansible import required_bin

PIP_VAR = "MODSKEL_SANITY_PIP"
CACHE = Path("~/.ansible/test/cache")
# What ansible-test runs as its pip bootstrap script (argv: pip options, pip==X.Y).
STAND_IN = """\
\"\"\"pip bootstrap for ansible-test from the package index (written by modskel sanity).\"\"\"
import subprocess
import sys

if __name__ == "__main__":
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], **quiet)
    wanted = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *wanted]))
"""
DOWNLOAD_FAILED = "Download failed:"

# Never copied: tool, cache and output folders (and what ansible-test writes itself).
SKIP = frozenset({".git", ".tox", ".venv", ".modskel", ".ansible", "__pycache__",
                  ".ruff_cache", ".mypy_cache", ".pytest_cache", ".task-coverage",
                  "coverage-report", "output"})  # fmt: skip


def _git_files(root: Path) -> list[str] | None:
    """Return git's tracked and untracked-not-ignored files, or None outside a repository."""
    cmd = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    done = subprocess.run(cmd, cwd=root, capture_output=True, check=False)
    if done.returncode != 0:
        return None
    return [name for name in done.stdout.decode().split("\0") if name]


def _walk_files(root: Path) -> list[str]:
    """Return every file below ``root`` outside the :data:`SKIP` folders."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.endswith(".egg-info"))
        found += [str(Path(folder, name).relative_to(root)) for name in files]
    return sorted(found)


def project_files(root: Path) -> list[str]:
    """Return the collection's files (relative paths) that a copy must hold."""
    names = _git_files(root)
    if names is None:
        return _walk_files(root)
    keep = (n for n in names if not SKIP.intersection(Path(n).parts[:-1]))
    return sorted(n for n in keep if (root / n).is_file())  # deleted, not committed: gone


def collection(command: str, instead: str) -> Project:
    """Return the project here, which must be a collection (``command`` is for collections)."""
    project = Project.find()
    if project.kind.id != "collection":
        msg = f"{project.root} is a {project.kind.id}, not a collection (no galaxy.yml): "
        msg += f"modskel {command} is for collections; {instead}"
        raise ConfigError(msg)
    return project


def copy_collection(project: Project, workdir: Path) -> Path:
    """Copy the collection below ``workdir/ansible_collections/<ns>/<name>``; return that."""
    content = project.content
    target = workdir / "ansible_collections" / content.namespace / content.name
    for name in project_files(project.root):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project.root / name, target / name, follow_symlinks=False)
    target.mkdir(parents=True, exist_ok=True)
    return target


def ansible_test() -> str:
    """Return the ansible-test beside this Python, or say how to get it."""
    fix = "run `tox -e sanity-ansibleXYZ` (its env installs ansible-core), or install "
    return required_bin("ansible-test", fix + "ansible-core in this environment")


def python_version(given: str | None) -> str:
    """Return the X.Y to test with: ``given``, else this Python's (it must be this one)."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if given not in (None, here):
        msg = f"--python {given}: modskel runs on Python {here} and ansible-test --local tests "
        msg += f"only that one: run from a {given} environment (tox's base_python) or drop --python"
        raise ConfigError(msg)
    return here


def stream(cmd: list[str], cwd: Path, root: Path) -> tuple[int, bool]:
    """Run ``cmd`` in ``cwd``; print its output, ``cwd`` shown as ``root``.

    Return its exit code, and whether it said a download failed.
    """
    failed_download = False
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    copies = sorted({str(cwd), str(cwd.resolve())}, key=len, reverse=True)
    pipe, merged = subprocess.PIPE, subprocess.STDOUT
    with subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=pipe, stderr=merged, text=True, errors="replace"
    ) as process:
        assert process.stdout is not None  # noqa: S101 - stdout=PIPE
        for line in process.stdout:
            for copy in copies:
                line = line.replace(copy, str(root))  # noqa: PLW2901 - the line as shown
            failed_download = failed_download or line.startswith(DOWNLOAD_FAILED)
            print(line, end="", flush=True)
    return process.returncode, failed_download


def series() -> str:
    """Return the ansible-core series (X.Y) installed beside this Python."""
    from importlib.metadata import version  # noqa: PLC0415

    return ".".join(version("ansible-core").split(".")[:2])


def shared_ignores(copy: Path, core: str) -> None:
    """Give ``tests/sanity/ignore.txt`` to series ``core`` when it has no ignore file of its own."""
    folder = copy / "tests" / "sanity"
    own = folder / f"ignore-{core}.txt"
    if (folder / "ignore.txt").is_file() and not own.exists():
        shutil.copy2(folder / "ignore.txt", own)


def pip_version() -> str:
    """Return the pip release ansible-test bootstraps (from its own requirements code)."""
    import ansible_test  # noqa: PLC0415 - comes with ansible-core

    code = Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
    found = re.search(r"pip='([0-9.]+)'", code.read_text(encoding="utf-8"))
    if found is None:
        msg = f"cannot tell which pip {code} bootstraps: unset {PIP_VAR} and let ansible-test "
        msg += "download its script"
        raise SetupError(msg)
    return found.group(1)


def pip_stand_in() -> None:
    """With ``MODSKEL_SANITY_PIP=index``: put the stand-in where ansible-test looks first."""
    wanted = os.environ.get(PIP_VAR, "")
    if wanted not in ("", "index"):
        msg = f"{PIP_VAR}={wanted!r} is not a pip source: set it to index, or unset it"
        raise ConfigError(msg)
    if wanted == "index":
        script = CACHE.expanduser() / f"get_pip_{pip_version().replace('.', '_')}.py"
        if not script.is_file():
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_text(STAND_IN, encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    """Copy the collection into a temporary tree and run ansible-test sanity there."""
    project = collection("sanity", "lint a role with `tox -e lint`")
    command = [ansible_test(), "sanity", "--python", python_version(args.python), "--local"]
    pip_stand_in()
    with tempfile.TemporaryDirectory(prefix="modskel-sanity-") as workdir:
        copy = copy_collection(project, Path(workdir))
        shared_ignores(copy, series())
        code, failed_download = stream([*command, *args.passthrough], copy, project.root)
    if failed_download:
        msg = "sanity: ansible-test could not download its pip bootstrap script: set "
        msg += f"{PIP_VAR}=index to install pip from the package index instead"
        print(msg, file=sys.stderr)
    return code


def _arguments(parser: argparse.ArgumentParser) -> None:
    help_text = "the Python to test (default, and the only choice: modskel's)"
    parser.add_argument("--python", metavar="X.Y", help=help_text)


COMMAND = Command(
    "sanity",
    "run ansible-test sanity on a temporary ansible_collections copy of the collection",
    run,
    _arguments,
    passthrough=True,
)
