"""The answer checks, rendered in-process from copier.yml as copier renders them.

Validators (answers typed at the prompt), the list ``_message_before_copy`` prints
and the line ``answers_gate`` ends copier with all come from questions/checks.jinja.
"""

from __future__ import annotations

from typing import Any

import pytest
from copier._template import load_template_config
from jinja2 import FileSystemLoader, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from tests.helpers import REPO
from tools.matrix import load

CONFIG: dict[str, Any] = load_template_config(REPO / "copier.yml")
ENV = SandboxedEnvironment(
    loader=FileSystemLoader(REPO),
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    **CONFIG["_envops"],
)
RULE = "2-63 lowercase letters, digits or underscores, starting with a letter"
GATE = "'dict object' has no attribute "  # Jinja's words, see docs/questions.md
PLATFORM_IDS = [row["id"] for row in load("platforms")]


def validate(question: str, value: object, **answers: object) -> str:
    """Render ``question``'s validator for ``value`` (and other ``answers``) as copier does."""
    template = ENV.from_string(CONFIG[question]["validator"])
    return template.render({**answers, question: value}).strip()


def conf(data: dict[str, Any], *, quiet: bool = False, defaults: bool = True) -> dict[str, Any]:
    """The part of copier's ``_copier_conf`` the checks read."""
    return {"data": data, "user_defaults": {}, "quiet": quiet, "defaults": defaults}


def listed(
    data: dict[str, Any], folder: str = "sample_role", *, defaults: bool = True
) -> list[str]:
    """The lines ``_message_before_copy`` prints before copier asks anything."""
    context = {"_copier_conf": conf(data, defaults=defaults), "_folder_name": folder}
    return ENV.from_string(CONFIG["_message_before_copy"]).render(context).splitlines()


def gate(data: dict[str, Any], folder: str = "sample_role", *, quiet: bool = False) -> str:
    """The error ``answers_gate`` raises for ``data``, or what its ``when`` renders."""
    context = {
        "_copier_conf": conf(data, quiet=quiet),
        "_copier_answers": {"_commit": "v0.1.0", **data},
        "_folder_name": folder,
    }
    try:
        return ENV.from_string(CONFIG["answers_gate"]["when"]).render(context)
    except UndefinedError as error:  # copier prints it as the one line
        return str(error)


def default_role_name(folder: str) -> str:
    """The role_name copier offers for a destination ``folder``."""
    return ENV.from_string(CONFIG["role_name"]["default"]).render(_folder_name=folder)


@pytest.mark.parametrize(
    ("question", "value", "message"),
    [
        ("role_name", "Bad-Name", f"role_name 'Bad-Name' is invalid: use bad_name ({RULE})"),
        ("role_name", "1st", f"role_name '1st' is invalid: use {RULE} (e.g. nginx_proxy)"),
        ("role_name", "café", f"role_name 'café' is invalid: use {RULE} (e.g. nginx_proxy)"),
        ("role_name", "a\nb", f"role_name 'a\\nb' is invalid: use {RULE} (e.g. nginx_proxy)"),
        ("role_name", "tags", "role_name 'tags' is a Python or Ansible reserved word: pick"),
        ("role_name", "null", "role_name 'null' reads as a boolean or null in YAML: pick"),
        ("namespace", "a", f"namespace 'a' is invalid: use {RULE} (e.g. acme)"),
        ("namespace", "tags", ""),  # reserved words bind role names only
        ("description", "two\nlines", "description has a line break: keep it on one line"),
        ("author", "  ", "author is empty: give a person's or team's name"),
        ("license", "Unlicense", "license 'Unlicense' is not offered: choose one of MIT, Apache"),
        ("copyright_year", 99, "copyright_year 99 is not a plausible year"),
        ("min_ansible_core", "2.15", "min_ansible_core '2.15' is not offered: choose one of 2.18"),
        ("ci_providers", ["travis"], "ci_providers travis unknown: choose from github, gitlab"),
        ("platforms", [], "platforms is empty"),
        ("platforms", ["debian12", "sles15"], "platforms sles15 unknown: choose from debian12"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 and " " not in v else None,
)
def test_validator_refuses_bad_value(question: str, value: object, message: str) -> None:
    said = validate(question, value)
    assert said.startswith(message)
    assert bool(said) == bool(message)


@pytest.mark.parametrize(
    ("question", "value", "message"),
    [
        ("role_name", "web-proxy", f"role_name 'web-proxy' is invalid: use web_proxy ({RULE})"),
        ("role_name", "Web_Proxy", f"role_name 'Web_Proxy' is invalid: use web_proxy ({RULE})"),
        ("role_name", "2fa-helper", f"role_name '2fa-helper' is invalid: use helper_2fa ({RULE})"),
        (
            "role_name",
            "ansible-role-ntp",
            f"role_name 'ansible-role-ntp' is invalid: use ntp ({RULE})",
        ),
        ("namespace", "My.Org", f"namespace 'My.Org' is invalid: use my_org ({RULE})"),
        ("license", "mit", "license 'mit' is not offered: use MIT"),
        ("license", "gpl-3.0", "license 'gpl-3.0' is not offered: use GPL-3.0-or-later"),
        ("license", "apache", "license 'apache' is not offered: use Apache-2.0"),
        ("min_ansible_core", "2.19.4", "min_ansible_core '2.19.4' is not offered: use 2.19"),
        (
            "platforms",
            ["Debian12", "ubuntu-24.04"],
            "platforms Debian12, ubuntu-24.04 unknown: use debian12, ubuntu2404",
        ),
        (
            "ci_providers",
            ["GitHub", "gitlab-ci"],
            "ci_providers GitHub, gitlab-ci unknown: use github, gitlab",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 and " " not in v else None,
)
def test_obvious_fix_is_suggested(question: str, value: object, message: str) -> None:
    assert validate(question, value) == message


def test_only_unambiguous_fixes_are_suggested() -> None:
    # "gpl" could be GPL-2.0 or GPL-3.0; "2.2" could be 2.20 or 2.21
    assert validate("license", "gpl").endswith(
        "choose one of MIT, Apache-2.0, BSD-3-Clause, GPL-3.0-or-later, GPL-2.0-or-later, MPL-2.0"
    )
    assert validate("min_ansible_core", "2.2").endswith("choose one of 2.18, 2.19, 2.20, 2.21")
    said = validate("platforms", ["Fedora-42", "centos5"])
    assert said.startswith("platforms Fedora-42, centos5 unknown: choose from debian12, ")
    assert said.endswith(" (Fedora-42: use fedora42)")


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
        ("ci_providers", []),
        ("platforms", ["debian12", "fedora42"]),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_validator_accepts_good_value(question: str, value: object) -> None:
    assert validate(question, value) == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[debian12, fedora42]", ""),
        ("[\"debian12\", 'fedora42']", ""),
        ("[debian12", "platforms '[debian12' is not a list: give ids like [debian12, ubuntu2404]"),
        ("[a: b: c]", "platforms '[a: b: c]' is not a list"),
        ("debian12", "platforms 'debian12' is not a list"),
        ("[]", "platforms is empty: choose at least one of debian12"),
    ],
    ids=["flow-list", "quoted", "unclosed", "not-yaml", "bare-id", "empty"],
)
def test_list_text_from_data_is_read_without_error(value: str, message: str) -> None:
    said = validate("platforms", value)
    assert said.startswith(message)
    assert bool(said) == bool(message)


BAD = {
    "role_name": "Web-Proxy",
    "namespace": "yes",
    "license": "mit",
    "min_ansible_core": "2.21",
    "max_ansible_core": "2.19",
    "platforms": "[debian12, centos5]",
}
BAD_LINES = [
    f"role_name 'Web-Proxy' is invalid: use web_proxy ({RULE})",
    "namespace 'yes' reads as a boolean or null in YAML: pick another name (e.g. yes_acme)",
    "license 'mit' is not offered: use MIT",
    "max_ansible_core '2.19' is older than min_ansible_core '2.21': choose 2.21 or newer",
    f"platforms centos5 unknown: choose from {', '.join(PLATFORM_IDS)}",
]


def test_every_bad_answer_is_listed_on_its_own_line() -> None:
    assert listed(BAD) == BAD_LINES


def test_gate_points_to_the_list_copier_printed() -> None:
    pointer = "5 bad answers (listed above): correct them and run copier again"
    assert gate(BAD) == GATE + repr(pointer)


def test_gate_says_every_problem_when_copier_is_quiet() -> None:
    said = gate(BAD, quiet=True)
    assert said == GATE + repr(" | ".join(BAD_LINES))


def test_gate_passes_good_answers() -> None:
    assert listed({"role_name": "web_proxy", "platforms": "[debian12]"}) == []
    assert gate({"role_name": "web_proxy", "platforms": "[debian12]"}) == "false"


@pytest.mark.parametrize(
    ("folder", "role_name"),
    [
        ("ansible-role-Web-Proxy", "web_proxy"),
        ("web-proxy", "web_proxy"),
        ("My.Proxy", "my_proxy"),
        ("ansible_role_ntp", "ntp"),
        ("2fa-helper", "helper_2fa"),  # offered at the prompt; --defaults refuses it
        ("class", "my_role"),  # the same
    ],
    ids=["prefix-and-case", "dash", "dot", "underscore-prefix", "leading-digit", "reserved"],
)
def test_role_name_default_comes_from_the_folder(folder: str, role_name: str) -> None:
    assert default_role_name(folder) == role_name


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("2fa-helper", f"(a role name is {RULE}): pass --data role_name=helper_2fa or rename"),
        ("x", f"(a role name is {RULE}): pass --data role_name=<name> or rename the folder"),
        (
            "Class",
            "('class' is a Python or Ansible reserved word): pass --data role_name=class_role",
        ),
        (
            "ansible-role-yes",
            "('yes' reads as a boolean or null in YAML): pass --data role_name=yes_role",
        ),
    ],
    ids=["leading-digit", "too-short", "reserved", "boolean"],
)
def test_folder_that_cannot_name_the_role_is_refused_with_defaults(
    folder: str, message: str
) -> None:
    [line] = listed({}, folder)
    assert line.startswith(f"role_name can't come from the destination folder '{folder}' {message}")


def test_folder_name_is_not_checked_when_it_is_not_used() -> None:
    assert listed({"role_name": "helper"}, "2fa-helper") == []
    assert listed({}, "2fa-helper", defaults=False) == []  # the prompt asks for it
