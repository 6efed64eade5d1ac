"""The changelog from fragments: ``modskel fragments`` and ``modskel release``.

A role keeps towncrier fragments in ``changelog.d/``; a collection keeps
antsibull-changelog fragments (YAML) in ``changelogs/fragments/``, the Ansible
convention. ``fragments`` (in ``tox -e lint``) fails when content changed since
the merge base with the default branch and no fragment was added (a
collection's fragments are also linted by ``antsibull-changelog lint``).
``release X.Y.Z`` (``tox -e release -- X.Y.Z``) assembles the changelog from
the fragments, sets the version (a role: ``[project] version`` in
pyproject.toml; a collection: ``version:`` in galaxy.yml), commits and tags
``X.Y.Z``; ``release --check X.Y.Z`` (the release workflow) checks the release
is in the changelog.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from pytest_modskel.commands.base import Command
from pytest_modskel.commands.update_check import run_tool
from pytest_modskel.errors import EXIT_FAILED, EXIT_OK, ConfigError, SetupError
from pytest_modskel.project import Project
from pytest_modskel.text import last_line

FRAGMENTS = "changelog.d"
MARKER = "<!-- towncrier release notes start -->"
ROLE_CONTENT = ("tasks", "handlers", "defaults", "vars", "templates", "files", "meta",
                "filter_plugins", "library", "module_utils", "lookup_plugins")  # fmt: skip
# Where to compare with, in turn: explicit settings (must exist), then guesses.
BASE_VARIABLES = ("MODSKEL_CHANGELOG_BASE", "CI_MERGE_REQUEST_DIFF_BASE_SHA")
GUESSES = ("origin/HEAD", "origin/main", "origin/master")
SEMVER = re.compile(r"\d+\.\d+\.\d+")
CREATE = "`towncrier create --content 'What changed' +.changed.md` (added, changed, fixed, ...)"
CHANGES = "changelogs/changelog.yaml"
YAML_CREATE = ('a file changelogs/fragments/<topic>.yml such as `bugfixes: ["What was fixed."]` '
               "(minor_changes, bugfixes, breaking_changes, ...)")  # fmt: skip


@dataclass(frozen=True)
class Layout:
    """Where a kind of project keeps its fragments, and what counts as content."""

    fragments: str
    content: tuple[str, ...]
    create: str
    noun: str
    suffixes: tuple[str, ...] = ()  # fragment file suffixes ('' any)

    def is_fragment(self, name: str) -> bool:
        """Return whether ``name`` (relative to the root) is a fragment."""
        path = Path(name)
        return (name.startswith(f"{self.fragments}/") and not path.name.startswith(".")
                and (not self.suffixes or path.suffix in self.suffixes))  # fmt: skip


LAYOUTS = {
    "role": Layout(FRAGMENTS, ROLE_CONTENT, CREATE, "role"),
    "collection": Layout("changelogs/fragments", ("plugins", "roles", "meta", "playbooks"),
                         YAML_CREATE, "content", (".yml", ".yaml")),
}  # fmt: skip


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


def antsibull_changelog() -> str:
    """Return antsibull-changelog's path, or say how to get it."""
    if (tool := shutil.which("antsibull-changelog")) is None:
        msg = (
            "antsibull-changelog not found on PATH: run `tox -e lint` or `tox -e release -- X.Y.Z`"
        )
        msg += ", whose envs install it"
        raise SetupError(msg)
    return tool


def lint_fragments(root: Path, layout: Layout) -> list[str]:
    """Return one line per problem ``antsibull-changelog lint`` finds in the fragments."""
    folder = root / layout.fragments
    if not any(layout.is_fragment(f"{layout.fragments}/{p.name}") for p in folder.glob("*")):
        return []
    cmd = [antsibull_changelog(), "lint"]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    found = [re.sub(r":\d+:\d+: ", ": ", line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 and not found:
        found = [f"antsibull-changelog lint failed: {last_line(done.stderr)}"]
    return [f"fragments: {line}" for line in found]


def fragments(args: argparse.Namespace) -> int:
    """Fail when content changed without a changelog fragment (or a fragment is wrong)."""
    project = Project.find()
    root, layout = project.root, LAYOUTS[project.kind.id]
    if layout.suffixes and (problems := lint_fragments(root, layout)):
        print("\n".join(problems))
        return EXIT_FAILED
    if git(root, "rev-parse", "--git-dir") is None:
        print("fragments: not a git repository: nothing to compare with, not checked")
        return EXIT_OK
    base = base_ref(root, args.base)
    if base is None:
        print(f"fragments: no default branch to compare with ({', '.join(GUESSES)}): not checked")
        return EXIT_OK
    changed = changed_files(root, base)
    content = [name for name in changed if name.split("/")[0] in layout.content]
    added = [name for name in changed if layout.is_fragment(name)]
    if content and not added:
        more = f" and {len(content) - 1} more" if len(content) > 1 else ""
        print(f"fragments: {content[0]}{more} changed since {base} but {layout.fragments}/ has "
              f"no new fragment: add one with {layout.create}")  # fmt: skip
        return EXIT_FAILED
    print(f"fragments: ok ({len(content)} {layout.noun} file(s), {len(added)} fragment(s) "
          f"since {base})")  # fmt: skip
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


def set_galaxy_version(galaxy: Path, version: str) -> None:
    """Set galaxy.yml's top-level ``version:``, leaving every other byte as it was."""
    text = galaxy.read_text(encoding="utf-8")
    line = re.compile(r"""(?m)^(version:[ \t]*)(["']?)[^"'\s#]*\2""")
    new, count = line.subn(lambda m: f"{m[1]}{m[2]}{version}{m[2]}", text)
    if count != 1:
        msg = "galaxy.yml: no top-level `version: X.Y.Z` line: add `version: 0.0.0` there"
        raise ConfigError(msg)
    galaxy.write_text(new, encoding="utf-8")


def clean_and_new(root: Path, version: str) -> None:
    """Check the work tree is committed and tag ``version`` is free."""
    if dirty := (git(root, "status", "--porcelain") or "").splitlines():
        msg = f"the work tree has uncommitted changes ({dirty[0].strip()}): commit them first"
        raise ConfigError(msg)
    if git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/{version}") is not None:
        msg = f"tag {version} exists already: choose the next version"
        raise ConfigError(msg)


def commit_and_tag(root: Path, version: str) -> None:
    """Commit everything as ``Release X.Y.Z`` and tag it ``X.Y.Z``."""
    run_tool("git", "add", "-A", cwd=root)
    run_tool("git", "commit", "-q", "--no-verify", "-m", f"Release {version}", cwd=root)
    run_tool("git", "tag", "-a", version, "-m", f"Release {version}", cwd=root)


def preflight(root: Path, version: str) -> str:
    """Check that a release can be made; return towncrier's path."""
    clean_and_new(root, version)
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


def released(root: Path, version: str) -> bool:
    """Return whether the collection's changelogs/changelog.yaml has the release."""
    path = root / CHANGES
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    releases = (data or {}).get("releases") or {}
    return version in {str(key) for key in releases}


def check_collection(root: Path, version: str) -> int:
    """Say whether the tag ``version`` is a release: in the changelog, and galaxy.yml's version."""
    tool = f"`tox -e release -- {version}`"
    if not released(root, version):
        print(f"release: {CHANGES} has no {version} release: tag releases made with {tool}")
        return EXIT_FAILED
    stated = (yaml.safe_load((root / "galaxy.yml").read_text(encoding="utf-8")) or {}).get(
        "version"
    )
    if str(stated) != version:
        print(f"release: galaxy.yml says version {stated}, the tag {version}: the artifact would "
              f"not be {version}; tag releases made with {tool}")  # fmt: skip
        return EXIT_FAILED
    print(f"release: {CHANGES} has the {version} release")
    return EXIT_OK


def release_collection(root: Path, version: str, *, check: bool) -> int:
    """The collection's release: antsibull-changelog, galaxy.yml's version, commit, tag."""
    if check:
        return check_collection(root, version)
    clean_and_new(root, version)
    layout = LAYOUTS["collection"]
    folder = root / layout.fragments
    if not any(layout.is_fragment(f"{layout.fragments}/{p.name}") for p in folder.glob("*")):
        msg = f"{layout.fragments}/ holds no fragment, so nothing to release: add {YAML_CREATE}"
        raise ConfigError(msg)
    run_tool(antsibull_changelog(), "release", "--version", version, cwd=root)
    set_galaxy_version(root / "galaxy.yml", version)
    commit_and_tag(root, version)
    print(f"release: {CHANGES} has the {version} release, galaxy.yml says {version}; "
          f"committed and tagged {version}: `git push --follow-tags` publishes it")  # fmt: skip
    return EXIT_OK


def release(args: argparse.Namespace) -> int:
    """Assemble the changelog, bump the version, commit and tag; or check a section."""
    project = Project.find()
    root, version = project.root, semver(args.version)
    if project.kind.id == "collection":
        return release_collection(root, version, check=args.check)
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
    commit_and_tag(root, version)
    print(f"release: CHANGELOG.md has the {version} section, pyproject.toml says {version}; "
          f"committed and tagged {version}: `git push --follow-tags` publishes it")  # fmt: skip
    return EXIT_OK


def _fragments_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", help="ref to compare with (default: the default branch)")


def _release_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", help="the release, X.Y.Z (also the tag)")
    parser.add_argument("--check", action="store_true",
                        help="only check that the changelog has the version's release")  # fmt: skip


COMMANDS = (
    Command("fragments", "fail when content changed without a changelog fragment",
            fragments, _fragments_arguments),
    Command("release", "assemble the changelog from fragments, set the version, commit, tag",
            release, _release_arguments),
)  # fmt: skip
