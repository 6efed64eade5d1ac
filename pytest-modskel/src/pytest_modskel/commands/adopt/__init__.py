"""``modskel adopt``: bring an existing role under the modskel template, keeping every byte of it.

Run in the role's clone (a clean git work tree)::

    uvx --from 'pytest-modskel[adopt]' modskel adopt --template gh:ORG/modskel .

It reads the answers from ``meta/main.yml``, runs ``copier copy`` with them and
the hidden answer ``adopting: true`` (no sample content; files the role has are
skipped), then merges ``meta/main.yml`` (additions only), writes
``meta/argument_specs.yml`` if absent, imports a molecule scenario, accepts the
existing lint debt as a baseline, and writes ``ADOPTION.md``. Every file the
role had, except ``meta/main.yml``, is checked to be byte-identical afterwards.
A second run finds ``adopting: true`` in the answers file and changes nothing.
docs/adopting.md is the guide.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from pytest_modskel import meta
from pytest_modskel.commands.adopt import (
    _answers,
    _baseline,
    _copier,
    _meta,
    _molecule,
    _role,
    _specs,
)
from pytest_modskel.commands.adopt._report import REPORT, Report
from pytest_modskel.commands.base import Command
from pytest_modskel.errors import EXIT_OK, ConfigError, ModskelError

TEMPLATE = "gh:modskel/modskel"
# Files modskel's gates need as its own: a role that has one must move it first.
GATES = ("tox.ini", "pyproject.toml")
MERGED = {_meta.META}  # the one author file adoption may change (additions)
STARTER_TEST = '''\
"""Verify the converged role with testinfra: replace this with checks of what it does."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testinfra.host import Host


def test_role_converged_a_linux_host(host: Host) -> None:
    assert host.system_info.type == "linux"
'''


class AdoptionBrokeError(ModskelError):
    """A file of the author's changed: a bug of modskel adopt, never expected."""


def preflight(root: Path) -> tuple[_role.Role, dict[str, str]]:
    """Check ``root`` is a clean role modskel can adopt; return it and its files' hashes."""
    role = _role.load(root)
    _role.require_clean(root)
    existing = _role.tracked(root)
    if clash := [name for name in GATES if name in existing]:
        msg = (
            f"{clash[0]} exists: modskel's gates need their own; move yours (git mv "
            f"{clash[0]} {clash[0]}.orig), commit, then run `modskel adopt` again"
        )
        raise ConfigError(msg)
    if _copier.ANSWERS in existing:
        msg = (
            f"{_copier.ANSWERS} exists: the project comes from a copier template already; "
            "update it with `copier update` instead"
        )
        raise ConfigError(msg)
    return role, _role.fingerprints(root, existing)


def untested_names(root: Path, tested: dict[str, list[str]]) -> list[str]:
    """Galaxy platform names meta/main.yml claims beyond the versions modskel tests."""
    entries = meta.galaxy_info(root / "meta" / "main.yml").get("platforms")
    listed = meta.listed_versions(entries if isinstance(entries, list) else [])
    return sorted(name for name, found in listed.items() if found != set(tested.get(name, [])))


def settings(root: Path, untested: list[str], report: Report) -> None:
    """Append the adopted role's [tool.modskel] table to pyproject.toml."""
    claims = ""
    if untested:
        claims = (
            "# Platforms meta/main.yml claims that no modskel platform tests; shrink the list\n"
            "# as you add platforms (docs/adopting.md).\n"
            f"untested_platforms = {json.dumps(untested)}\n"
        )
        report.add(
            f"pyproject.toml: untested_platforms = {json.dumps(untested)}, the platforms "
            "meta/main.yml claims beyond what modskel tests: add platforms, then shrink it"
        )
    pyproject = root / "pyproject.toml"
    table = (
        "\n[tool.modskel]\n# Your README has no variables table yet (docs/adopting.md): "
        f"true once it has.\nreadme_table = false\n{claims}"
    )
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + table, encoding="utf-8")


def finish(
    root: Path,
    recorded: dict[str, Any],
    existing: set[str],
    report: Report,
    *,
    matrix: _answers.Matrix,
) -> None:
    """After copier: merge meta, write specs and tests, import molecule, settings."""
    fqcn = f"{recorded['namespace']}.{recorded['role_name']}"
    _meta.merge_meta(root, recorded, matrix.galaxy(recorded["platforms"]), report)
    _specs.write_specs(root, str(recorded["description"]), report)
    tests = set((root / "tests" / "integration").glob("test_*.py"))  # the template's
    if (folder := _molecule.find(root)) is not None:
        _molecule.import_scenario(root, fqcn, _molecule.read(folder, matrix, Report()), report)
    if set((root / "tests" / "integration").glob("test_*.py")) == tests:  # none imported
        (root / "tests" / "integration" / "test_role.py").write_text(STARTER_TEST, encoding="utf-8")
        report.add(
            "tests/integration/test_role.py: a starter test taking `host`: write your checks"
        )
    settings(root, untested_names(root, matrix.galaxy(recorded["platforms"])), report)
    for name in sorted(
        existing & {".ansible-lint", ".gitignore", ".editorconfig", ".pre-commit-config.yaml"}
    ):
        report.keep(
            f"{name}: yours; modskel's is not applied (docs/adopting.md says what it holds)"
        )
    for name in sorted(n for n in existing if n.startswith(".github/workflows/")):
        report.keep(
            f"{name}: your CI runs as before; modskel's runs as .github/workflows/modskel.yml"
        )


def verify(root: Path, before: dict[str, str], removed: set[str]) -> None:
    """Raise AdoptionBrokeError if any file of the author's changed (``removed``: on request)."""
    after = _role.fingerprints(root, list(before))
    changed = sorted(
        n for n, h in before.items() if n not in MERGED | removed and after.get(n) != h
    )
    if changed:
        msg = (
            f"adopting changed {len(changed)} file(s) of yours ({', '.join(changed[:3])}): "
            "restore them with `git checkout -- .` and report this bug"
        )
        raise AdoptionBrokeError(msg)


def adopt(
    root: Path,
    *,
    template: str,
    vcs_ref: str | None,
    data: dict[str, Any],
    remove_molecule: bool = False,
) -> Report | None:
    """Adopt the role at ``root``; return the report, or None when it was adopted already."""
    if _role.adopted(root):
        return None
    role, before = preflight(root)
    report = Report()
    matrix = _copier.read_matrix(template, vcs_ref)
    folder = _molecule.find(root)
    extra = _molecule.read(folder, matrix, report).platform_ids if folder else []
    answers = _answers.answers(role, matrix, report, extra) | data
    recorded = _copier.copy(template, root, answers, vcs_ref=vcs_ref, skip=list(before))
    finish(root, recorded, set(before), report, matrix=matrix)
    removed: set[str] = set()
    if remove_molecule and folder is not None:
        removed = {n for n in before if n.startswith("molecule/")}
        shutil.rmtree(root / "molecule")
        report.note("molecule/: removed, as asked (--remove-molecule)")
    _baseline.baseline(root, set(before), report, _baseline.in_lint_env)
    verify(root, before, removed)
    report.write(root, f"{recorded['namespace']}.{recorded['role_name']}")
    return report


def run(args: argparse.Namespace) -> int:
    """Adopt the role at ``args.dest``; print what was done."""
    root = Path(args.dest).resolve()
    report = adopt(
        root,
        template=args.template,
        vcs_ref=args.vcs_ref,
        data=_copier.parse_data(args.data),
        remove_molecule=args.remove_molecule,
    )
    if report is None:
        print(
            f"{root.name}: adopted already (adopting: true in {_copier.ANSWERS}): "
            "nothing to do; `copier update --trust` moves it to a newer template"
        )
        return EXIT_OK
    print(
        f"adopted {root.name}: {len(report.added)} added, {len(report.merged_lines)} "
        f"merged, {len(report.kept)} kept, {len(report.notes)} to look at"
    )
    print(f"read {REPORT}, review `git status`, then run `tox -e lint,unit`")
    return EXIT_OK


def arguments(parser: argparse.ArgumentParser) -> None:
    """Add adopt's options."""
    parser.add_argument(
        "dest", nargs="?", default=".", metavar="DEST", help="the role's folder (default: .)"
    )
    parser.add_argument(
        "--template",
        default=TEMPLATE,
        metavar="SRC",
        help=f"the modskel template, as copier takes it (default: {TEMPLATE})",
    )
    parser.add_argument(
        "--vcs-ref",
        default=None,
        metavar="REF",
        help="template release (git tag or commit; default: the newest release)",
    )
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an answer to give copier, overriding meta/main.yml's (repeatable)",
    )
    parser.add_argument(
        "--remove-molecule",
        action="store_true",
        help="delete molecule/ once its scenario is imported",
    )


COMMAND = Command(
    "adopt",
    "bring an existing role under the modskel template, keeping every file of it as it is",
    run,
    arguments,
)
