"""Import a molecule scenario: its platforms, its converge's vars and pre_tasks, its tests.

The scenario is ``molecule/default`` (else the first one, by name). Its
platforms map to the template's by image; each one that does not is a report
line. Its testinfra tests are copied into ``tests/integration/`` unchanged:
they ask for ``host``, which the harness's plugin gives them. The
``molecule/`` folder stays, unless ``--remove-molecule`` is given.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.commands.adopt import _yaml
from pytest_modskel.commands.adopt._answers import Matrix
from pytest_modskel.commands.adopt._report import Report

CONVERGE = "tests/integration/converge.yml"
PLAY_KEYS = ("vars", "pre_tasks")


@dataclass
class Scenario:
    """What a molecule scenario holds that modskel can use."""

    folder: Path
    platform_ids: list[str] = field(default_factory=list)
    plays: list[dict[str, Any]] = field(default_factory=list)


def find(root: Path) -> Path | None:
    """The scenario folder to import: molecule/default, else the first with a molecule.yml."""
    found = sorted(p.parent for p in (root / "molecule").glob("*/molecule.yml"))
    default = root / "molecule" / "default"
    return default if default in found else next(iter(found), None)


def short_image(image: str) -> str:
    """``docker.io/library/debian:bookworm`` -> ``debian:bookworm`` (registry, library dropped)."""
    parts = image.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0]):
        parts = parts[1:]
    return "/".join(parts).removeprefix("library/")


def platform_id(entry: dict[str, Any], matrix: Matrix) -> str | None:
    """The template platform a molecule platform runs (by image, then by id in its names)."""
    image = short_image(str(entry.get("image", "")))
    for row in matrix.containers():
        if short_image(row["image"]) == image:
            return str(row["id"])
    words = f"{image} {entry.get('name', '')}".lower().replace("-", "").replace(".", "")
    return next((str(r["id"]) for r in matrix.containers() if r["id"] in words), None)


def read(folder: Path, matrix: Matrix, report: Report) -> Scenario:
    """Read the scenario's molecule.yml and converge playbook."""
    scenario = Scenario(folder)
    config = yaml.safe_load((folder / "molecule.yml").read_text(encoding="utf-8")) or {}
    for entry in config.get("platforms") or []:
        if (found := platform_id(entry, matrix)) is None:
            image = entry.get("image", "no image")
            report.note(
                f"molecule platform {entry.get('name')} ({image}): no modskel platform matches; "
                "add one in pyproject.toml [tool.modskel.platforms] (docs/adopting.md)"
            )
        elif found not in scenario.platform_ids:
            scenario.platform_ids.append(found)
    converge = folder / "converge.yml"
    plays = yaml.safe_load(converge.read_text(encoding="utf-8")) if converge.is_file() else []
    scenario.plays = [p for p in plays or [] if isinstance(p, dict)]
    return scenario


def converge_text(fqcn: str, plays: list[dict[str, Any]]) -> str:
    """The harness converge, with the molecule plays' vars and pre_tasks."""
    play: dict[str, Any] = {"name": "Converge", "hosts": "all", "gather_facts": True}
    for key in PLAY_KEYS:
        merged = [item for p in plays for item in p.get(key) or []] if key == "pre_tasks" else {
            k: v for p in plays for k, v in (p.get(key) or {}).items()}  # fmt: skip
        if merged:
            play[key] = merged
    play["roles"] = [{"role": fqcn}]
    body = _yaml.dump([play])
    head = "---\n# Imported by `modskel adopt` from the molecule scenario's converge.yml.\n"
    return head + body


def import_scenario(root: Path, fqcn: str, scenario: Scenario, report: Report) -> None:
    """Write the converge and copy the testinfra tests of ``scenario``."""
    where = scenario.folder.relative_to(root)
    if any(p.get(k) for p in scenario.plays for k in PLAY_KEYS):
        (root / CONVERGE).write_text(converge_text(fqcn, scenario.plays), encoding="utf-8")
        report.add(
            f"{CONVERGE}: the role with facts, and {where}/converge.yml's vars and pre_tasks"
        )
    for play in scenario.plays:
        if play.get("tasks") or play.get("post_tasks"):
            report.note(
                f"{where}/converge.yml: tasks and post_tasks are not imported: "
                "move them into the role or pre_tasks"
            )
    for test in sorted((scenario.folder / "tests").glob("test_*.py")):
        target = root / "tests" / "integration" / test.name
        if target.exists():
            report.note(
                f"{where}/tests/{test.name}: not copied, tests/integration/{test.name} exists"
            )
            continue
        shutil.copyfile(test, target)
        report.add(f"tests/integration/{test.name}: copied unchanged from {where}/tests/")
        if "MOLECULE_" in test.read_text(encoding="utf-8"):
            report.note(
                f"tests/integration/{test.name} reads MOLECULE_* variables: drop "
                "those lines (the harness gives `host`)"
            )
