"""Bring a newer template release as one pull or merge request: ``modskel template-update``.

The scheduled CI job (``tox -e template-update -- --provider github``) runs it:

1. ``copier check-update``; up to date, it stops there and changes nothing;
2. ``copier update --trust --defaults`` on the branch :data:`BRANCH`, made
   afresh from the default branch;
3. files left with conflict markers, ``.rej`` files or unmerged index entries
   are listed; without any, the project's lint and unit gates run;
4. one commit; the request (title with the version range, the template's
   CHANGELOG entries in between, the migrations that ran, the gate results)
   goes to the provider, or to ``--payload FILE`` only with ``--dry-run``.

It exits 1 when conflicts remain (the request is then a draft listing the
files) or a gate failed, so the job never passes on a half-merged update.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version

from pytest_modskel.commands import forges
from pytest_modskel.commands.base import Command
from pytest_modskel.commands.conflicts import leftovers
from pytest_modskel.commands.update_check import COPIER, check_update, eol_warning, run_tool, today
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK, ConfigError, SetupError
from pytest_modskel.project import Project
from pytest_modskel.text import last_line

BRANCH = "modskel/template-update"
GIT = ("git", "-c", "user.name=modskel template update", "-c", "user.email=modskel@invalid")
GATES = ("lint", "unit")
# tox's own lines (commands, verdicts), left out of a gate's summary line.
TOX_SAYS = re.compile(
    r"^\s*(\S+: (commands|OK|FAIL|exit|install|venv|freeze)|congratulations|evaluation)"
)
HEADING = re.compile(r"^## \[?v?(\d[^\]\s]*)\]?", re.MULTILINE)


@dataclass(frozen=True)
class Gate:
    """One gate's result: the command, whether it passed, its last line."""

    command: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Request:
    """The pull/merge request to open or refresh (what the provider API receives)."""

    title: str
    body: str
    branch: str
    base: str
    draft: bool
    conflicts: list[str]


@dataclass(frozen=True)
class History:
    """What the template says about the releases being crossed."""

    changelog: str
    migrations: list[str]


class _IgnoreTags(yaml.SafeLoader):
    """A YAML loader that reads copier.yml's ``!include`` (and any tag) as null."""


_IgnoreTags.add_multi_constructor("!", lambda _loader, _suffix, _node: None)


def version(text: object) -> Version | None:
    """Return ``text`` as a version (``v1.2.3`` too), or None when it is none."""
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def changelog_between(text: str, old: Version, new: Version) -> str:
    """Return the ``## <version>`` sections of a changelog with ``old < version <= new``."""
    starts = [(m.start(), version(m.group(1))) for m in HEADING.finditer(text)]
    ends = [start for start, _ in starts[1:]] + [len(text)] * bool(starts)
    return "\n".join(
        text[start:end].strip() + "\n"
        for (start, found), end in zip(starts, ends, strict=True)
        if found is not None and old < found <= new
    )


def migrations_between(config: dict[str, Any], old: Version, new: Version) -> list[str]:
    """Return ``<version>: <script>`` for each of copier.yml's migrations in ``(old, new]``."""
    found = []
    for entry in config.get("_migrations") or []:
        at = version(entry.get("version"))
        if at is not None and old < at <= new:
            words = entry.get("command") or []
            words = words if isinstance(words, list) else str(words).split()
            script = " ".join(p for w in words if (p := re.sub(r"\[\[[^\]]*\]\]/?", "", str(w))))
            found.append(f"{entry['version']}: {script or '(an inline command)'}")
    return found


def template_source(root: Path) -> str:
    """Return where the template lives, from ``.copier-answers.yml`` (a path or a URL)."""
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text(encoding="utf-8")) or {}
    src = str(answers.get("_src_path", ""))
    if not src:
        msg = ".copier-answers.yml has no _src_path: regenerate the project with copier"
        raise ConfigError(msg)
    for prefix, host in (("gh:", "https://github.com/"), ("gl:", "https://gitlab.com/")):
        if src.startswith(prefix):
            return f"{host}{src.removeprefix(prefix)}"
    return src if "://" in src or src.startswith("git@") else str((root / src).resolve())


def history(root: Path, old: Version, new: Version) -> History:
    """Read the template's CHANGELOG.md and copier.yml at the release ``new``."""
    with tempfile.TemporaryDirectory(prefix="template-update-") as tmp:
        clone = Path(tmp) / "template"
        run_tool(*GIT, "clone", "-q", "--no-checkout", template_source(root), str(clone), cwd=root)
        tags = run_tool("git", "tag", "--list", cwd=clone).split()
        tag = next((t for t in tags if version(t) == new), None)
        if tag is None:
            return History(f"(the template has no tag for {new})", [])

        def show(name: str) -> str:
            done = subprocess.run(["git", "show", f"{tag}:{name}"], cwd=clone,
                                  capture_output=True, text=True, check=False)  # fmt: skip
            return done.stdout if done.returncode == 0 else ""

        config = yaml.load(show("copier.yml"), Loader=_IgnoreTags) or {}  # noqa: S506 - safe loader
        changes = changelog_between(show("CHANGELOG.md"), old, new)
        return History(changes or f"(no CHANGELOG.md entry between {old} and {new})",
                       migrations_between(config, old, new))  # fmt: skip


def git_lines(root: Path, *args: str) -> list[str]:
    """Return git's output lines."""
    return run_tool("git", *args, cwd=root).splitlines()


def base_branch(root: Path, given: str | None) -> str:
    """Return the branch the request targets: ``--base``, the current branch, or CI's."""
    if given:
        return given
    current = run_tool("git", "rev-parse", "--abbrev-ref", "HEAD", cwd=root).strip()
    if current != "HEAD":
        return current
    for name in ("CI_DEFAULT_BRANCH", "GITHUB_REF_NAME"):  # CI checks out a detached HEAD
        if os.environ.get(name):
            return os.environ[name]
    msg = "HEAD is detached and no branch was named: pass --base BRANCH (the default branch)"
    raise ConfigError(msg)


def conflicted(root: Path) -> list[str]:
    """Return the files an update left unmerged: markers, .rej files, unmerged index entries."""
    marked = {line.split(":", 1)[0] for line in leftovers(root)}
    return sorted(marked | set(git_lines(root, "diff", "--name-only", "--diff-filter=U")))


def run_gates(root: Path, envs: list[str]) -> list[Gate]:
    """Run ``tox -e <env>`` for each gate; record whether it passed and its last line."""
    tox = shutil.which("tox")
    if tox is None:
        msg = "tox not found on PATH: install it (`pip install tox tox-uv`) and rerun"
        raise SetupError(msg)
    results = []
    for env in envs:
        print(f"template-update: running tox -e {env}", flush=True)
        done = subprocess.run([tox, "-e", env], cwd=root, capture_output=True, text=True,
                              check=False)  # fmt: skip
        said = [line for line in done.stdout.splitlines() if not TOX_SAYS.match(line)]
        results.append(Gate(f"tox -e {env}", done.returncode == 0, last_line("\n".join(said))))
    return results


def body(old: str, new: str, found: History, gates: list[Gate], files: list[str]) -> str:
    """Write the request's description (Markdown)."""
    lines = [
        (
            f"Updates the modskel template from {old} to {new} with `copier update --trust "
            "--defaults` (run by `modskel template-update`)."
        ),
        "",
    ]
    if files:
        lines += [
            (
                f"**Conflicts**: copier could not merge {len(files)} file(s). Check out "
                f"`{BRANCH}`, resolve the markers (and `.rej` files), push, then mark this "
                "request ready:"
            ),
            *[f"- `{name}`" for name in files],
            "",
        ]
    lines += ["### Gates"]
    lines += [f"- {'passed' if g.passed else 'FAILED'}: `{g.command}`: {g.detail}" for g in gates]
    lines += [] if gates else ["- not run: resolve the conflicts first"]
    lines += ["", "### Migrations run", *[f"- {m}" for m in found.migrations or ["(none)"]]]
    lines += ["", f"### Template changelog ({old} to {new})", "", found.changelog.strip()]
    return "\n".join(lines) + "\n"


def update(root: Path, base: str, gates: list[str]) -> tuple[list[str], list[Gate]]:
    """Update on :data:`BRANCH`; return the conflicted files and the gate results."""
    run_tool(*GIT, "checkout", "-q", "-B", BRANCH, cwd=root)
    print(f"template-update: branch {BRANCH} from {base}; running copier update", flush=True)
    run_tool(*COPIER, "update", "--trust", "--defaults", cwd=root)
    files = conflicted(root)
    return files, ([] if files else run_gates(root, gates))


def commit(root: Path, title: str) -> None:
    """Commit everything; refuse to go on with an unmerged index."""
    run_tool(*GIT, "add", "-A", cwd=root)
    if unmerged := git_lines(root, "ls-files", "--unmerged"):
        msg = f"the index is still unmerged after `git add -A` ({unmerged[0]}): resolve by hand"
        raise SetupError(msg)
    run_tool(*GIT, "commit", "-q", "--no-verify", "-m", title, cwd=root)


def deliver(root: Path, request: Request, args: argparse.Namespace) -> None:
    """Write the payload file; unless a dry run, push the branch and open the request."""
    if args.payload:
        Path(args.payload).write_text(json.dumps(asdict(request), indent=2) + "\n", "utf-8")
    if args.dry_run:
        print(f"template-update: dry run: {BRANCH} not pushed, no request sent")
        return
    if args.provider is None:
        msg = "no --provider given: pass --provider github or --provider gitlab, or --dry-run"
        raise ConfigError(msg)
    forge = forges.PROVIDERS[args.provider].from_env(os.environ)
    forge.push(root, BRANCH)
    print(f"template-update: {forge.submit(request)}")


def run(args: argparse.Namespace) -> int:
    """Update the project to the newest template release as one request."""
    root = Project.find().root
    if warning := eol_warning(root, today()):  # the oldest ansible-core series tested
        print(f"template-update: {warning}")
    state = check_update(root)
    old, new = str(state["current_version"]), str(state["latest_version"])
    if not state["update_available"]:
        print(f"template-update: up to date ({old}); nothing to do")
        return EXIT_OK
    if dirty := git_lines(root, "status", "--porcelain"):
        msg = f"the work tree has uncommitted changes ({dirty[0].strip()}): commit them first"
        raise ConfigError(msg)
    base = base_branch(root, args.base)
    files, gates = update(root, base, args.gates.split(","))
    found = history(root, Version(old), Version(new))
    title = f"Update the modskel template from {old} to {new}"
    commit(root, title)
    text = body(old, new, found, gates, files)
    request = Request(title, text, BRANCH, base, bool(files), files)
    deliver(root, request, args)
    for gate in gates:
        print(f"template-update: {'passed' if gate.passed else 'FAILED'}: {gate.command}")
    if files:
        print(
            f"template-update: draft request: {len(files)} conflicted file(s): {', '.join(files)}"
        )
    elif broken := [g.command for g in gates if not g.passed]:
        print(f"template-update: request opened, but {', '.join(broken)} failed: fix on {BRANCH}")
    else:
        print(f"template-update: ready: {title}")
    failed = bool(files) or not all(g.passed for g in gates)
    return EXIT_FAILED if failed else EXIT_OK


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider",
        choices=sorted(forges.PROVIDERS),
        help=f"where to push and open the request (token: {forges.TOKEN})",
    )
    parser.add_argument("--base", help="branch the request targets (default: the current one)")
    parser.add_argument(
        "--gates", default=",".join(GATES), help="tox envs to run (default: %(default)s)"
    )
    parser.add_argument("--dry-run", action="store_true", help="push nothing, send nothing")
    parser.add_argument("--payload", metavar="FILE", help="also write the request as JSON here")


COMMAND = Command(
    "template-update",
    "update to the newest template release on a branch and open one pull/merge request",
    run,
    _arguments,
)

__all__ = ["BRANCH", "COMMAND", "Request"]
