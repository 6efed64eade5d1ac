"""Fleet status: where each project generated from modskel stands against the template.

For each project (a folder or a git URL) it prints one row: the template
release the project was generated from or last updated to (``_commit`` in
``.copier-answers.yml``), the template's latest release (its tags), how many
releases the project is behind, whether a template-update request is open, and
the gate status of the last local run. Docs: docs/fleet.md.

Usage::

    python -m tools.fleet ../roles/* https://git.example.com/infra/ansible-role-web.git
    python -m tools.fleet --template https://github.com/modskel/modskel.git --json fleet.json DIR...

Everything is read with git, offline for folders: an open update request is
seen as the branch the scheduled update job pushes (``modskel/template-update``),
locally or among the remote-tracking branches; for a URL, on the remote.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version

ANSWERS = ".copier-answers.yml"
UPDATE_BRANCH = "modskel/template-update"
# copier writes `git describe --tags` for a commit between releases: v0.2.0-3-g1a2b3c4.
DESCRIBED = re.compile(r"^(?P<tag>.+?)(?:-(?P<ahead>\d+)-g[0-9a-f]+)?$")
# copier's shorthands for hosted repositories.
PREFIXES = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
NONE = "-"  # a cell fleet cannot fill
COLUMNS = ("project", "template", "latest", "behind", "update request", "gates")


class FleetError(RuntimeError):
    """A project or template cannot be read; the message says which and what to do."""


@dataclass(frozen=True)
class Status:
    """One project's row."""

    project: str
    source: str
    template_version: str
    latest_release: str | None
    behind: int | None
    update_request: bool | None
    # The harness records no gate results under .modskel/ (docs/fleet.md): always None.
    gates: str | None = None

    def cells(self) -> tuple[str, ...]:
        """The row as the table prints it."""
        request = {True: f"open ({UPDATE_BRANCH})", False: "none", None: NONE}
        return (
            self.project,
            self.template_version,
            self.latest_release or NONE,
            NONE if self.behind is None else str(self.behind),
            request[self.update_request],
            self.gates or NONE,
        )


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git and return its output; raise one line naming the command when it fails."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        why = next((line for line in said if line.startswith(("fatal:", "error:"))), said[-1])
        msg = f"`git {args[0]}` failed: {why}"
        raise FleetError(msg)
    return done.stdout


def is_url(target: str) -> bool:
    """Tell a git URL (``https://``, ``ssh://``, ``file://``, ``git@host:path``) from a folder."""
    return "://" in target or re.match(r"^[\w.-]+@[\w.-]+:", target) is not None


def expand(source: str) -> str:
    """Return a template source with copier's ``gh:``/``gl:`` shorthand expanded."""
    for prefix, url in PREFIXES.items():
        if source.startswith(prefix):
            return url + source.removeprefix(prefix)
    return source


def releases(source: str) -> list[tuple[Version, str]]:
    """Return the template's releases (tags that are versions) and their tags, oldest first."""
    found = []
    for line in git("ls-remote", "--tags", "--refs", expand(source)).splitlines():
        tag = line.rpartition("refs/tags/")[2]
        try:
            found.append((Version(tag), tag))
        except InvalidVersion:
            continue  # not a release tag
    return sorted(found)


def behind(commit: str, known: list[tuple[Version, str]]) -> int | None:
    """Count the releases newer than the one ``commit`` (``_commit``) names or follows."""
    match = DESCRIBED.match(commit)
    try:
        current = Version(match["tag"] if match else commit)
    except InvalidVersion:
        return None
    return sum(1 for release, _ in known if release > current)


def read_answers(project: Path, name: str) -> dict[str, Any]:
    """Return the project's copier answers; the error says how to get them."""
    path = project / ANSWERS
    if not path.is_file():
        msg = f"{name}: no {ANSWERS}: not generated with copier from modskel, or moved it"
        raise FleetError(msg)
    answers = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(answers, dict) or not answers.get("_commit"):
        msg = f"{name}: {ANSWERS} records no _commit: run `copier update --trust` once"
        raise FleetError(msg)
    return answers


def local_request(project: Path) -> bool | None:
    """Whether the update branch exists locally or as a remote-tracking branch (None: no git)."""
    if not (project / ".git").exists():
        return None
    refs = [f"refs/heads/{UPDATE_BRANCH}", f"refs/remotes/*/{UPDATE_BRANCH}"]
    return bool(git("for-each-ref", "--format=%(refname)", *refs, cwd=project).strip())


def status(target: str, folder: Path, *, request: bool | None, template: str | None) -> Status:
    """Return the row of the project checked out in ``folder``."""
    name = (
        target.rstrip("/").rpartition("/")[2].removesuffix(".git")
        if is_url(target)
        else Path(target).resolve().name
    )
    answers = read_answers(folder, name)
    source = template or str(answers.get("_src_path") or "")
    if not source:
        msg = f"{name}: {ANSWERS} records no _src_path: pass the template with --template"
        raise FleetError(msg)
    known = releases(source)
    commit = str(answers["_commit"])
    return Status(
        project=name,
        source=target,
        template_version=commit,
        latest_release=known[-1][1] if known else None,
        behind=behind(commit, known),
        update_request=request,
    )


def survey(target: str, template: str | None, scratch: Path) -> Status:
    """Return one project's row; a URL is cloned (default branch, one commit) into ``scratch``."""
    if not is_url(target):
        folder = Path(target)
        if not folder.is_dir():
            msg = f"{target}: no such folder: give a project folder or a git URL"
            raise FleetError(msg)
        return status(target, folder, request=local_request(folder), template=template)
    clone = Path(tempfile.mkdtemp(dir=scratch))
    git("clone", "--quiet", "--depth", "1", target, str(clone))
    heads = git("ls-remote", "--heads", target, f"refs/heads/{UPDATE_BRANCH}")
    return status(target, clone, request=bool(heads.strip()), template=template)


def table(rows: list[Status]) -> str:
    """Render the rows as an aligned text table with a header."""
    lines = [COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def main(argv: list[str] | None = None) -> int:
    """Print the fleet's table (and write JSON); return 0, or 2 when a project was unreadable."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.fleet", description=__doc__.split("\n")[0]
    )
    parser.add_argument("projects", nargs="+", metavar="DIR_OR_GIT_URL")
    parser.add_argument("--template", help="template repository (default: each _src_path)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows, problems = [], []
    with tempfile.TemporaryDirectory(prefix="fleet-") as scratch:
        for target in args.projects:
            try:
                rows.append(survey(target, args.template, Path(scratch)))
            except FleetError as error:
                problems.append(f"error: {error}")
    print(table(rows))
    if args.json:
        args.json.write_text(
            json.dumps([asdict(r) for r in rows], indent=2) + "\n", encoding="utf-8"
        )
    for line in problems:
        print(line, file=sys.stderr)
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
