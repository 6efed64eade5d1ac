"""The validators copier runs on interactive answers say the same as the --data gate."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from copier._template import load_template_config
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from tests.helpers import REPO

CONFIG: dict[str, Any] = load_template_config(REPO / "copier.yml")
ENV = SandboxedEnvironment(
    loader=FileSystemLoader(REPO),
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    **CONFIG["_envops"],
)


def hidden_data() -> dict[str, Any]:
    """Render, in order, the hidden data questions that precede the questions, as copier does."""
    data: dict[str, Any] = {}
    for name, question in CONFIG.items():
        if name == "answers_gate":
            break
        if isinstance(question, dict) and question.get("when") is False:
            default = question["default"]
            is_template = isinstance(default, str)
            data[name] = (
                yaml.safe_load(ENV.from_string(default).render(data)) if is_template else default
            )
    return data


HIDDEN = hidden_data()


def validate(question: str, value: object, **answers: object) -> str:
    """Render ``question``'s validator for ``value`` (and other ``answers``) as copier does."""
    template = ENV.from_string(CONFIG[question]["validator"])
    return template.render({**HIDDEN, **answers, question: value}).strip()


@pytest.mark.parametrize(
    ("question", "value", "message"),
    [
        ("role_name", "Bad-Name", "role_name 'Bad-Name' is invalid: use 2-63 lowercase"),
        ("role_name", "tags", "role_name 'tags' is a Python or Ansible reserved word"),
        ("namespace", "a", "namespace 'a' is invalid"),
        ("description", "two\nlines", "description has a line break: keep it on one line"),
        ("author", "  ", "author is empty: give a person's or team's name"),
        ("license", "Unlicense", "license 'Unlicense' is not offered: choose one of MIT"),
        ("copyright_year", 99, "copyright_year 99 is not a plausible year"),
        ("min_ansible_core", "2.15", "min_ansible_core '2.15' is not offered"),
        ("ci_providers", ["travis"], "ci_providers travis unknown: choose from github, gitlab"),
        ("platforms", [], "platforms is empty"),
        ("platforms", ["debian12", "sles15"], "platforms sles15 unknown: choose from debian12"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 and " " not in v else None,
)
def test_validator_refuses_bad_value(question: str, value: object, message: str) -> None:
    assert message in validate(question, value)


def test_max_below_min_is_refused() -> None:
    message = "max_ansible_core '2.18' is older than min_ansible_core '2.20': choose 2.20 or newer"
    assert validate("max_ansible_core", "2.18", min_ansible_core="2.20") == message
    assert validate("max_ansible_core", "2.20", min_ansible_core="2.20") == ""


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("role_name", "web_proxy"),
        ("namespace", "acme"),
        ("description", "Proxy: 'quotes' # and more"),
        ("author", "Zoë <z@example.org>"),
        ("license", "MPL-2.0"),
        ("copyright_year", 2026),
        ("min_ansible_core", "2.21"),
        ("ci_providers", ["github", "gitlab"]),
        ("platforms", ["debian12", "fedora42"]),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_validator_accepts_good_value(question: str, value: object) -> None:
    assert validate(question, value) == ""
