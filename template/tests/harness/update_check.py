"""Report what ``copier update`` would change; exit 1 when the project is behind.

Usage: ``python -m harness.update_check`` (``tox -e update-check``). Reads the
template's source and the release this project was generated or last updated
from in ``.copier-answers.yml``, and lists the template's release tags with git.
When a newer release exists, it runs the real ``copier update`` in a throw-away
clone of the last commit (``--pretend`` lists no files for updates) and prints
each file it would add, change or delete, and each conflict it would leave.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

from harness.ansible import PROJECT_ROOT
from harness.conflicts import leftovers

SHORTHANDS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
GIT = ("git", "-c", "user.name=update-check", "-c", "user.email=update-check@invalid")
STATUS = {"M": "change", "A": "add", "D": "delete", "?": "add", "R": "rename"}


class UpdateCheckError(RuntimeError):
    """The check could not run; the message says why and what to do."""


def run(*cmd: str, cwd: Path = PROJECT_ROOT) -> str:
    """Run ``cmd`` and return its output; raise UpdateCheckError when it fails."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        msg = f"`{' '.join(cmd[:4])} …` failed: {done.stderr.strip()[-400:]}"
        raise UpdateCheckError(msg)
    return done.stdout


def release(text: str) -> Version | None:
    """Parse ``v1.2.3`` (or copier's ``v1.2.3-4-gabc`` for later commits) as a version."""
    try:
        return Version(text.split("-", 1)[0])
    except InvalidVersion:
        return None


def latest_release(src: str) -> str | None:
    """Return the template's newest release tag, or None when it has none."""
    for prefix, url in SHORTHANDS.items():
        if src.startswith(prefix):
            src = url + src.removeprefix(prefix)
    listed = run(*GIT, "ls-remote", "--tags", "--refs", src)
    tags = [line.rsplit("refs/tags/", 1)[1] for line in listed.splitlines()]
    versions = {tag: v for tag in tags if (v := release(tag)) is not None and not v.is_prerelease}
    return max(versions, key=versions.__getitem__) if versions else None


def trial_update(tag: str) -> list[str]:
    """Update a throw-away clone of HEAD to ``tag``; describe each changed file."""
    with tempfile.TemporaryDirectory(prefix="update-check-") as tmp:
        clone = Path(tmp) / "project"
        run(*GIT, "clone", "-q", str(PROJECT_ROOT), str(clone))
        run(
            sys.executable,
            "-m",
            "copier",
            "update",
            "--defaults",
            "--trust",
            "--vcs-ref",
            tag,
            cwd=clone,
        )
        status = run("git", "status", "--porcelain", "--untracked-files=all", cwd=clone)
        changes = [
            f"{STATUS.get(line[:2].strip()[:1], 'change'):>8}  {line[3:]}"
            for line in status.splitlines()
        ]
        return changes + [f"conflict  {where}" for where in leftovers(clone)]


def report(answers: dict[str, object]) -> int:
    """Print how the project stands against its template; return the exit code."""
    src, current = str(answers["_src_path"]), str(answers.get("_commit", ""))
    latest = latest_release(src)
    if latest is None:
        print(f"{src} has no release tags: nothing to compare")
        return 0
    have, newest = release(current), release(latest)
    if have is not None and newest is not None and have >= newest:
        print(f"up to date: generated from {current}, the newest release of {src} is {latest}")
        return 0
    changes = trial_update(latest)
    print(f"behind: generated from {current or 'an unknown version'}, {src} is at {latest}.")
    print(f"`copier update` would change {len(changes)} file(s):")
    print("\n".join(changes) or "  (none: only the recorded version moves)")
    print("To update: commit your work, run `copier update --trust`, then `tox -e lint,unit`.")
    return 1


def main() -> int:
    """Entry point of ``python -m harness.update_check``."""
    answers = yaml.safe_load((PROJECT_ROOT / ".copier-answers.yml").read_text(encoding="utf-8"))
    try:
        return report(answers)
    except UpdateCheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
