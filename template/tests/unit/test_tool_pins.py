"""pre-commit runs the same tool versions as ``tox -e lint``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def pins_in(requirements: list[object]) -> dict[str, str]:
    """Map ``name==version`` strings to {name: version}; skip anything else."""
    pairs = (r.split("==", 1) for r in requirements if isinstance(r, str) and "==" in r)
    return {name.strip(): version.strip() for name, version in pairs}


def test_pre_commit_hooks_use_the_versions_tox_installs() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tox_pins = pins_in([r for group in pyproject["dependency-groups"].values() for r in group])
    config = yaml.safe_load((PROJECT_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    hook_pins = pins_in([dep for hook in hooks for dep in hook.get("additional_dependencies", [])])
    shared = set(tox_pins) & set(hook_pins)
    assert shared >= {"ruff", "yamllint", "ansible-lint"}
    assert {name: hook_pins[name] for name in shared} == {name: tox_pins[name] for name in shared}
