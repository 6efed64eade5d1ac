"""Fuzz the answers: accepted ones render faithfully, refused ones get a user message.

Accepted answer sets render files that all parse and keep every answer exactly;
refused ones end in copier's one-line user message, never a traceback.

Profiles: ``full`` (500 examples, the default) and ``quick`` (50):
``HYPOTHESIS_PROFILE=quick scripts/test tests/test_fuzz_answers.py``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier import run_copy
from copier.errors import UserMessageError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import tox
from tests.test_render import parse_all
from tests.test_validators import validate
from tools.matrix import load

settings.register_profile(
    "full",
    max_examples=500,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),  # CI reruns the same examples
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("quick", parent=settings.get_profile("full"), max_examples=50)
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
]
TEXT = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(st.characters(codec="utf-8"), max_size=300),
    st.builds(lambda a, b: a + b, st.sampled_from(SPECIAL), st.text(max_size=40)),
)
NAME = st.one_of(st.from_regex(r"[a-z][a-z0-9_]{1,30}", fullmatch=True), st.sampled_from(SPECIAL))
PLATFORM_IDS = [row["id"] for row in load("platforms")]
LICENSE_IDS = [row["id"] for row in yaml.safe_load(Path("questions/licenses.yml").read_text())]
ANSWERS = st.fixed_dictionaries(
    {
        "role_name": NAME,
        "namespace": NAME,
        "description": TEXT,
        "author": TEXT,
        "license": st.sampled_from([*LICENSE_IDS, "WTFPL"]),
        "platforms": st.lists(st.sampled_from([*PLATFORM_IDS, "centos5"]), max_size=4, unique=True),
    }
)
GATE_ORDER = ["role_name", "namespace", "description", "author", "license", "platforms"]


@pytest.fixture(scope="session")
def plain_template(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a plain folder: copier renders it without cloning."""
    dst = tmp_path_factory.mktemp("plain") / "template"
    shutil.copytree(template_src, dst, ignore=shutil.ignore_patterns(".git"))
    return dst


def first_refusal(answers: dict[str, Any]) -> str:
    """Return what the first refusing validator says, in the gate's order, or ''."""
    for question in GATE_ORDER:
        if message := validate(question, answers[question]):
            return message
    return ""


@given(answers=ANSWERS)
def test_answers_render_parseable_files_or_a_user_message(
    plain_template: Path, answers: dict[str, Any]
) -> None:
    refusal = first_refusal(answers)
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "role"
        if refusal:
            with pytest.raises(UserMessageError) as raised:
                run_copy(str(plain_template), dst, data=answers, defaults=True, quiet=True)
            assert repr(refusal) in raised.value.message
            assert not dst.exists()
            return
        run_copy(str(plain_template), dst, data=answers, defaults=True, quiet=True)
        parse_all(dst)
        info = yaml.safe_load((dst / "meta" / "main.yml").read_text())["galaxy_info"]
        kept = {k: info[k] for k in ("role_name", "namespace", "description", "author", "license")}
        assert kept == {k: answers[k] for k in kept}
        project = tomllib.loads((dst / "pyproject.toml").read_text())["project"]
        assert project["description"] == answers["description"]
        recorded = yaml.safe_load((dst / ".copier-answers.yml").read_text())
        assert {k: recorded[k] for k in GATE_ORDER if k != "platforms"} == {
            k: answers[k] for k in GATE_ORDER if k != "platforms"
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
