"""The converge playbook and the role parse."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.ansible import PROJECT_ROOT, Role, ansible_bin, ansible_env


def test_converge_playbook_passes_syntax_check(tmp_path: Path) -> None:
    playbook = PROJECT_ROOT / "tests" / "integration" / "converge.yml"
    proc = subprocess.run(  # noqa: S603 - fixed command
        [ansible_bin("ansible-playbook"), "--syntax-check", "-i", "localhost,", str(playbook)],
        env=ansible_env(tmp_path, Role.from_meta()),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
