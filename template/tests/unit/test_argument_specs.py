"""``defaults/main.yml`` agrees with ``meta/argument_specs.yml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from pytest_modskel.commands.docs import readme_table, variables_table

ROOT = Path(__file__).resolve().parents[2]


def load(relative: str) -> Any:  # noqa: ANN401 - any YAML document
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def options() -> dict[str, Any]:
    return load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]


def test_defaults_validate_against_argument_specs(options: dict[str, Any]) -> None:
    result = ArgumentSpecValidator(options).validate(load("defaults/main.yml"))
    assert not result.error_messages


def test_every_default_is_documented_and_equal(options: dict[str, Any]) -> None:
    defaults = load("defaults/main.yml")
    assert set(defaults) == set(options)
    assert {name: spec.get("default") for name, spec in options.items()} == defaults


@pytest.mark.parametrize(
    ("suffix", "value"),
    [("_port", "not-a-port"), ("_log_level", "verbose"), ("_options", "a string")],
    ids=["port-not-int", "log-level-not-a-choice", "options-not-a-dict"],
)
def test_argument_specs_reject_bad_values(options: dict[str, Any], suffix: str, value: str) -> None:
    name = next(n for n in options if n.endswith(suffix))
    result = ArgumentSpecValidator(options).validate({**load("defaults/main.yml"), name: value})
    assert any(name in message for message in result.error_messages)


def test_readme_lists_every_variable() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = "README variables table is stale: run `tox -e docs`"
    assert readme_table(readme) == variables_table(ROOT), stale
