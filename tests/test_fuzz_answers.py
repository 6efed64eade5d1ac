"""Fuzz the answers: copier itself accepts or refuses them as the documented rules say.

Each generated answer set is given to copier (its public ``run_copy``, as a user's
``--data`` would be). The verdict expected of it comes from the rules of
docs/questions.md, restated plainly below, not from the template's own checks.
Accepted answer sets render files that all parse and keep every answer exactly;
refused ones end in copier's one-line user message naming every bad question, in
question order, and nothing is written.

Profiles: ``full`` (30 examples, the default) and ``quick`` (10):
``HYPOTHESIS_PROFILE=quick scripts/test tests/test_fuzz_answers.py``.
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from copier import run_copy
from copier.errors import CopierError, UserMessageError
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.helpers import REPO, tox
from tests.test_render import parse_all
from tools.matrix import load

settings.register_profile(
    "full",
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),  # CI reruns the same examples
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("quick", parent=settings.get_profile("full"), max_examples=10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "full"))

SPECIAL = [
    "yes",
    "no",
    "null",
    "on",
    "off",
    "~",
    "true",
    "0o17",
    "1e3",
    "-",
    "- dash",
    "--flag",
    "key: value",
    "# hash",
    "{{ x }}",
    "{% x %}",
    "[[ x ]]",
    "[% x %]",
    "${{ github.token }}",
    "'single'",
    '"double"',
    "back\\slash",
    "tab\there",
    "emoji 🚀",
    "Zoë Ünïcode",
    "a" * 255,
    "",
    "   ",
    "line\nbreak",
    "cr\rhere",
    "\u2028sep",
    "<script>",
    "&amp;",
    "`tick`",
    "|pipe|",
    "tags",  # a reserved name
]


T = TypeVar("T")


def mostly(usual: st.SearchStrategy[T], other: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Draw from ``usual`` about seven times in eight, else from ``other``."""
    return st.one_of(*[usual] * 7, other)


PLATFORM_IDS = [row["id"] for row in load("platforms")]
LICENSE_IDS = [row["id"] for row in yaml.safe_load((REPO / "questions/licenses.yml").read_text())]
RESERVED = set(yaml.safe_load((REPO / "questions/reserved_names.yml").read_text()))
# Line breaks as YAML reads them: a stored answer with one would come back changed.
LINE_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")
# Pieces that YAML, TOML, Jinja or a terminal could take for syntax.
HAZARDS = [
    *("'", '"', "\\", "\\u0041", "# ", ": ", "- ", "? ", "|", ">", "&", "*", "!", "%", "@", "`"),
    *("{{ x }}", "[[ x ]]", "[% x %]", "[# x #]", "${{ x }}", "\t", "\u2028", "\x1b", "\x85"),
    *("yes", "null", "~", "1e3", "0o17", "Zoë", "🚀", "\ufeff"),
]
TEXT = mostly(
    st.lists(
        st.one_of(st.sampled_from(HAZARDS), st.text(st.characters(codec="utf-8"), max_size=12)),
        min_size=1,
        max_size=8,
    ).map("".join),
    st.one_of(st.sampled_from(SPECIAL), st.text(st.characters(codec="utf-8"), max_size=300)),
)
NAME = mostly(st.from_regex(r"[a-z][a-z0-9_]{1,30}", fullmatch=True), st.sampled_from(SPECIAL))
ANSWERS = st.fixed_dictionaries(
    {
        "role_name": NAME,
        "namespace": NAME,
        "description": TEXT,
        "author": TEXT,
        "license": st.sampled_from([*LICENSE_IDS, "WTFPL"]),
        "platforms": mostly(
            st.lists(st.sampled_from(PLATFORM_IDS), min_size=1, max_size=4, unique=True),
            st.lists(st.sampled_from([*PLATFORM_IDS, "centos5"]), max_size=4, unique=True),
        ),
    }
)
GOOD = {  # valid, but every YAML, TOML and Jinja hazard in one answer set
    "role_name": "web_proxy",
    "namespace": "acme",
    "description": "yes: {{ no }} # [[ x ]] [% y %] \\ 'q' \"dq\" -lead ${{ github.token }} \u2028",
    "author": "- Zoë Ünïcode <z@example.org> # null",
    "license": "MIT",
    "platforms": ["debian12", "fedora42"],
}


@dataclass(frozen=True)
class Refusal:
    """The question copier must stop at, and words its message must contain."""

    question: str
    says: str


def name_refusal(question: str, value: str) -> Refusal | None:
    """2-63 of a-z 0-9 _, starting with a letter, and YAML must read it as text."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,62}", value):
        shown = value.replace("\n", "\\n").replace("\r", "\\r")  # messages keep to one line
        return Refusal(question, f"'{shown}' is invalid")
    if not isinstance(yaml.safe_load(value), str):
        return Refusal(question, f"'{value}' reads as a boolean or null in YAML")
    return None


def line_refusal(question: str, value: str) -> Refusal | None:
    """One line (no CR or LF) of 1 to 255 characters, not all blank."""
    if not value or value.isspace():
        return Refusal(question, "is empty")
    if any(brk in value for brk in LINE_BREAKS):
        return Refusal(question, "has a line break")
    if len(value) > 255:
        return Refusal(question, f"is {len(value)} characters long")
    return None


def expected_refusals(answers: dict[str, Any]) -> list[Refusal]:
    """Say which answers the rules refuse, in question order, one refusal each."""
    role_name = answers["role_name"]
    checks = [
        name_refusal("role_name", role_name)
        or (
            Refusal("role_name", f"'{role_name}' is a Python or Ansible reserved word")
            if role_name in RESERVED
            else None
        ),
        name_refusal("namespace", answers["namespace"]),
        line_refusal("description", answers["description"]),
        line_refusal("author", answers["author"]),
        None
        if answers["license"] in LICENSE_IDS
        else Refusal("license", f"'{answers['license']}' is not offered"),
        (Refusal("platforms", "is empty") if not answers["platforms"] else None)
        or (
            Refusal("platforms", "unknown")
            if set(answers["platforms"]) - set(PLATFORM_IDS)
            else None
        ),
    ]
    return [check for check in checks if check]


def run_copier(src: Path, dst: Path, answers: dict[str, Any]) -> Exception | None:
    """Render ``src`` into ``dst`` with ``answers``; return the error copier raised, if any."""
    try:
        run_copy(
            str(src), dst, data=answers, defaults=True, unsafe=True, vcs_ref="HEAD", quiet=True
        )
    except (CopierError, ValueError) as error:
        return error
    return None


def quoted_part(message: str) -> str:
    """The part of copier's message that the template wrote (docs/questions.md)."""
    found = re.fullmatch(r"'dict object' has no attribute ('.*'|\".*\")", message)
    assert found, f"not the gate's one-line message: {message!r}"
    return str(ast.literal_eval(found[1]))


@given(answers=ANSWERS)
@example(answers=GOOD)
@example(answers={**GOOD, "role_name": "tags"})
@example(answers={**GOOD, "namespace": "null"})
@example(answers={**GOOD, "description": "a" * 256})
@example(answers={**GOOD, "author": "two\nlines"})
@example(answers={**GOOD, "license": "WTFPL"})
@example(answers={**GOOD, "platforms": []})
@example(answers={**GOOD, "platforms": ["debian12", "centos5"]})
@example(answers={**GOOD, "role_name": "Web-Proxy", "license": "mit", "author": ""})
# `$` also matches before a final newline: such a name was once accepted.
@example(answers={**GOOD, "role_name": "web_proxy\n"})
@example(answers={**GOOD, "author": "'\x85"})
def test_copier_accepts_or_refuses_answers_as_the_rules_say(
    template_src: Path, answers: dict[str, Any]
) -> None:
    refusals = expected_refusals(answers)
    event(f"refused at {', '.join(r.question for r in refusals)}" if refusals else "accepted")
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "role"
        error = run_copier(template_src, dst, answers)
        if refusals:
            assert isinstance(error, UserMessageError), f"{refusals} expected, copier: {error!r}"
            said = quoted_part(error.message).split(" | ")  # quiet: all on one line
            assert len(said) == len(refusals), said
            for refusal, line in zip(refusals, said, strict=True):
                assert line.startswith(f"{refusal.question} "), line
                assert refusal.says in line
            assert not dst.exists()
            return
        assert error is None, f"copier refused valid answers: {error!r}"
        parse_all(dst)
        info = yaml.safe_load((dst / "meta" / "main.yml").read_text())["galaxy_info"]
        kept = {k: info[k] for k in ("role_name", "namespace", "description", "author", "license")}
        assert kept == {k: answers[k] for k in kept}
        project = tomllib.loads((dst / "pyproject.toml").read_text())["project"]
        assert project["description"] == answers["description"]
        recorded = yaml.safe_load((dst / ".copier-answers.yml").read_text())
        assert {k: recorded[k] for k in answers if k != "platforms"} == {
            k: v for k, v in answers.items() if k != "platforms"
        }
        assert sorted(recorded["platforms"]) == sorted(answers["platforms"])


@pytest.mark.slow
def test_hostile_but_valid_answers_pass_lint_and_unit(generate: Any) -> None:  # noqa: ANN401
    project = generate(
        {
            "description": "yes: {{ no }} # [[ x ]] \\ 'q' \"dq\" -lead ${{ github.token }}",
            "author": "- Zoë Ünïcode <z@example.org> # null",
        }
    )
    done = tox(project, "lint,unit")
    assert done.returncode == 0, done.stdout[-3000:]
