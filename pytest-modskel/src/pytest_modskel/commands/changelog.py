"""The changelog from fragments (towncrier): ``modskel fragments`` and ``modskel release``.

``fragments`` (in ``tox -e lint``) fails when role content changed since the
merge base with the default branch and ``changelog.d/`` gained no fragment.
``release X.Y.Z`` (``tox -e release -- X.Y.Z``) assembles CHANGELOG.md from the
fragments, sets ``[project] version`` in pyproject.toml, commits and tags
``X.Y.Z``; ``release --check X.Y.Z`` (the release workflow) checks the section.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path

from pytest_modskel.commands.base import Command
from pytest_modskel.commands.update_check import run_tool
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK, ConfigError, SetupError
from pytest_modskel.project import Project

FRAGMENTS = "changelog.d"
MARKER = "<!-- towncrier release notes start -->"
ROLE_CONTENT = ("tasks", "handlers", "defaults", "vars", "templates", "files", "meta",
                "filter_plugins", "library", "module_utils", "lookup_plugins")  # fmt: skip
# Where to compare with, in turn: explicit settings (must exist), then guesses.
BASE_VARIABLES = ("MODSKEL_CHANGELOG_BASE", "CI_MERGE_REQUEST_DIFF_BASE_SHA")
GUESSES = ("origin/HEAD", "origin/main", "origin/master")
SEMVER = re.compile(r"\d+\.\d+\.\d+")
CREATE = "`towncrier create --content 'What changed' +.changed.md` (added, changed, fixed, ...)"


def git(root: Path, *args: str) -> str | None:
    """Return git's output, or None when git fails (no repository, no such ref)."""
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def base_ref(root: Path, given: str | None) -> str | None:
    """Return the ref to compare with, or None when none can be found."""
    named = [given, *(os.environ.get(name) for name in BASE_VARIABLES)]
    if github := os.environ.get("GITHUB_BASE_REF"):
        named.append(f"origin/{github}")
    for ref in filter(None, named):
        if git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is None:
            msg = f"cannot compare with {ref!r}: no such commit here; fetch it (git fetch origin)"
            raise ConfigError(msg)
        return ref
    found = (r for r in GUESSES if git(root, "rev-parse", "--verify", "--quiet", r) is not None)
    return next(found, None)


def changed_files(root: Path, base: str) -> list[str]:
    """Return the files changed since the merge base with ``base``, committed or not."""
    merge_base = git(root, "merge-base", "HEAD", base) or base
    tracked = git(root, "diff", "--name-only", merge_base) or ""
    untracked = git(root, "ls-files", "--others", "--exclude-standard") or ""
    return sorted(set(tracked.split()) | set(untracked.split()))


def fragments(args: argparse.Namespace) -> int:
    """Fail when role content changed without a changelog fragment."""
    root = Project.find().root
    if git(root, "rev-parse", "--git-dir") is None:
        print("fragments: not a git repository: nothing to compare with, not checked")
        return EXIT_OK
    base = base_ref(root, args.base)
    if base is None:
        print(f"fragments: no default branch to compare with ({', '.join(GUESSES)}): not checked")
        return EXIT_OK
    changed = changed_files(root, base)
    role = [name for name in changed if name.split("/")[0] in ROLE_CONTENT]
    added = [name for name in changed if name.startswith(f"{FRAGMENTS}/")
             and not Path(name).name.startswith(".")]  # fmt: skip
    if role and not added:
        more = f" and {len(role) - 1} more" if len(role) > 1 else ""
        print(f"fragments: {role[0]}{more} changed since {base} but {FRAGMENTS}/ has no new "
              f"fragment: add one with {CREATE}")  # fmt: skip
        return EXIT_FAILED
    print(f"fragments: ok ({len(role)} role file(s), {len(added)} fragment(s) since {base})")
    return EXIT_OK


def semver(text: str) -> str:
    """Return ``text`` if it is ``X.Y.Z``, else say what a release version looks like."""
    if not SEMVER.fullmatch(text):
        msg = f"release version {text!r} is not X.Y.Z: give one like 1.4.0 (the tag is the same)"
        raise ConfigError(msg)
    return text


def has_section(changelog: Path, version: str) -> bool:
    """Return whether CHANGELOG.md has a ``## [version]`` section."""
    text = changelog.read_text(encoding="utf-8") if changelog.is_file() else ""
    return re.search(rf"^## \[?v?{re.escape(version)}\]?(\s|$)", text, re.MULTILINE) is not None


def bump(pyproject: Path, version: str) -> None:
    """Set ``version = "..."`` of pyproject.toml's ``[project]`` table."""
    text = pyproject.read_text(encoding="utf-8")
    new, count = re.subn(r'(?m)^(\[project\][^\[]*?^version = )"[^"]*"', rf'\g<1>"{version}"', text)
    if count != 1:
        msg = 'pyproject.toml: no `version = "..."` in [project]: add `version = "0.0.0"` there'
        raise ConfigError(msg)
    pyproject.write_text(new, encoding="utf-8")


def preflight(root: Path, version: str) -> str:
    """Check that a release can be made; return towncrier's path."""
    if dirty := (git(root, "status", "--porcelain") or "").splitlines():
        msg = f"the work tree has uncommitted changes ({dirty[0].strip()}): commit them first"
        raise ConfigError(msg)
    if git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{version}") is not None:
        msg = f"tag {version} exists already: choose the next version"
        raise ConfigError(msg)
    if MARKER not in (root / "CHANGELOG.md").read_text(encoding="utf-8"):
        msg = f"CHANGELOG.md has no {MARKER} line: add it above the newest release section"
        raise ConfigError(msg)
    folder = root / FRAGMENTS
    if not any(p.is_file() and not p.name.startswith(".") for p in folder.glob("*")):
        msg = f"{FRAGMENTS}/ holds no fragment, so nothing to release: add one with {CREATE}"
        raise ConfigError(msg)
    if (towncrier := shutil.which("towncrier")) is None:
        msg = "towncrier not found on PATH: run `tox -e release -- X.Y.Z`, which installs it"
        raise SetupError(msg)
    return towncrier


def release(args: argparse.Namespace) -> int:
    """Assemble the changelog, bump the version, commit and tag; or check a section."""
    root = Project.find().root
    version = semver(args.version)
    if args.check:
        if has_section(root / "CHANGELOG.md", version):
            print(f"release: CHANGELOG.md has the {version} section")
            return EXIT_OK
        print(f"release: CHANGELOG.md has no {version} section: tag releases made with "
              f"`tox -e release -- {version}`")  # fmt: skip
        return EXIT_FAILED
    towncrier = preflight(root, version)
    run_tool(towncrier, "build", "--yes", "--version", version, cwd=root)
    bump(root / "pyproject.toml", version)
    run_tool("git", "add", "-A", cwd=root)
    run_tool("git", "commit", "-q", "--no-verify", "-m", f"Release {version}", cwd=root)
    run_tool("git", "tag", "-a", version, "-m", f"Release {version}", cwd=root)
    print(f"release: CHANGELOG.md has the {version} section, pyproject.toml says {version}; "
          f"committed and tagged {version}: `git push --follow-tags` publishes it")  # fmt: skip
    return EXIT_OK


def _fragments_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", help="ref to compare with (default: the default branch)")


def _release_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", help="the release, X.Y.Z (also the tag)")
    parser.add_argument("--check", action="store_true",
                        help="only check that CHANGELOG.md has the version's section")  # fmt: skip


COMMANDS = (
    Command("fragments", "fail when role content changed without a changelog fragment",
            fragments, _fragments_arguments),
    Command("release", "assemble CHANGELOG.md from fragments, set the version, commit, tag",
            release, _release_arguments),
)  # fmt: skip
