"""Questions: defaults render without prompts; bad answers get the validator's message."""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.helpers import BIN

if TYPE_CHECKING:
    from pathlib import Path


def copier_cli(
    src: Path, dst: Path, *data: str, quiet: bool = True
) -> subprocess.CompletedProcess[str]:
    args = [a for d in data for a in ("--data", d)]
    cmd = [str(BIN / "copier"), "copy", "--defaults", "--trust", "--vcs-ref=HEAD", *args]
    cmd += ["-q"] if quiet else []
    return subprocess.run([*cmd, str(src), str(dst)], capture_output=True, text=True, check=False)


RULE = "2-63 lowercase letters, digits or underscores, starting with a letter"
GATE = "'dict object' has no attribute "  # Jinja's words, see docs/questions.md


def test_defaults_need_no_prompt(template_src: Path, tmp_path: Path) -> None:
    done = copier_cli(template_src, tmp_path / "web-proxy")
    assert done.returncode == 0, done.stderr
    answers = yaml.safe_load((tmp_path / "web-proxy" / ".copier-answers.yml").read_text())
    assert answers["role_name"] == "web_proxy"
    assert answers["platforms"] == ["debian12"]


BAD_ANSWERS = [
    ("role_name=Bad-Name", r"role_name 'Bad-Name' is invalid: use bad_name \(2-63 lowercase"),
    ("role_name=web-proxy", r"role_name 'web-proxy' is invalid: use web_proxy \(2-63 lowercase"),
    ("role_name=1st", r"role_name '1st' is invalid: use 2-63 lowercase .* \(e\.g\. nginx_proxy\)"),
    ("role_name=class", r"role_name 'class' is a Python or Ansible reserved word: pick another"),
    ("role_name=environment", r"role_name 'environment' is a Python or Ansible reserved word"),
    ("namespace=My-Org", r"namespace 'My-Org' is invalid: use my_org \(2-63 lowercase"),
    ("namespace=yes", r"namespace 'yes' reads as a boolean or null in YAML: pick another name"),
    ("role_name=null", r"role_name 'null' reads as a boolean or null in YAML"),
    ("description= ", r"description is empty: write one line"),
    ("description=" + "d" * 256, r"description is 256 characters long: keep it to 255"),
    ("author=", r"author is empty: give a person's or team's name"),
    ("author=a\nb", r"author has a line break: keep it on one line"),
    ("license=WTFPL", r"license 'WTFPL' is not offered: choose one of MIT, Apache-2.0"),
    ("license=mit", r"license 'mit' is not offered: use MIT"),
    ("min_ansible_core=2.9", r"min_ansible_core '2.9' is not offered: choose one of 2.18"),
    ("max_ansible_core=3.0", r"max_ansible_core '3.0' is not offered: choose one of 2.18"),
    (
        "max_ansible_core=2.18",
        r"max_ansible_core '2.18' is older than min_ansible_core '2.20': choose 2.20",
    ),
    ("ci_providers=[jenkins]", r"ci_providers jenkins unknown: choose from github, gitlab"),
    ("ci_providers=github", r"ci_providers 'github' is not a list: give \[github\]"),
    ("platforms=[]", r"platforms is empty: choose at least one of debian12"),
    ("platforms=[debian12, centos5]", r"platforms centos5 unknown: choose from debian12"),
    ("platforms=debian12", r"platforms 'debian12' is not a list: give ids like \[debian12"),
    ("platforms=[debian12", r"platforms '\[debian12' is not a list: give ids like \[debian12"),
    ("platforms=[Debian-12]", r"platforms Debian-12 unknown: use debian12"),
    ("copyright_year=1800", r"copyright_year 1800 is not a plausible year"),
    ("copyright_year=next", r"copyright_year next is not a plausible year"),
]


BAD_IDS = [f"{answer.split('=')[0]}-{n}" for n, (answer, _) in enumerate(BAD_ANSWERS)]


@pytest.mark.parametrize(("answer", "message"), BAD_ANSWERS, ids=BAD_IDS)
def test_bad_answer_is_refused_with_the_validator_message(
    template_src: Path, tmp_path: Path, answer: str, message: str
) -> None:
    done = copier_cli(template_src, tmp_path / "dst", answer)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one line, no traceback
    assert re.search(message, lines[0]), done.stderr
    assert not (tmp_path / "dst").exists(), "nothing may be written for a bad answer"


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("role_name", "web_proxy"),
        ("namespace", "acme"),
        ("license", "GPL-2.0-or-later"),
        ("platforms", "[debian13, rockylinux9]"),
        ("copyright_year", "2031"),
    ],
    ids=["role_name", "namespace", "license", "platforms", "copyright_year"],
)
def test_good_answer_passes_the_gate(
    template_src: Path, tmp_path: Path, question: str, value: str
) -> None:
    done = copier_cli(template_src, tmp_path / "dst", f"{question}={value}")
    assert done.returncode == 0, done.stderr
    answers = yaml.safe_load((tmp_path / "dst" / ".copier-answers.yml").read_text())
    assert answers[question] == yaml.safe_load(value)


FOLDER_LINE = (
    f"role_name can't come from the destination folder '2fa-helper' (a role name is {RULE}): "
    "pass --data role_name=helper_2fa or rename the folder"
)


def test_folder_that_cannot_name_the_role_is_refused(template_src: Path, tmp_path: Path) -> None:
    done = copier_cli(template_src, tmp_path / "2fa-helper")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [GATE + repr(FOLDER_LINE)]
    assert not (tmp_path / "2fa-helper").exists()


def test_every_bad_answer_is_listed_one_line_each(template_src: Path, tmp_path: Path) -> None:
    bad = ("namespace=My-Org", "license=mit")
    done = copier_cli(template_src, tmp_path / "2fa-helper", *bad, quiet=False)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        FOLDER_LINE,
        f"namespace 'My-Org' is invalid: use my_org ({RULE})",
        "license 'mit' is not offered: use MIT",
        GATE + "'3 bad answers (listed above): correct them and run copier again'",
    ]
    assert not (tmp_path / "2fa-helper").exists()
    quiet = copier_cli(template_src, tmp_path / "2fa-helper", *bad)
    assert quiet.stderr.splitlines() == [GATE + repr(" | ".join(done.stderr.splitlines()[:3]))]
