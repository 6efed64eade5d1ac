"""The converge playbook and the role parse."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pytest_modskel import Project, ansible_bin, ansible_env


def test_converge_playbook_passes_syntax_check(modskel_project: Project, tmp_path: Path) -> None:
    playbook = str(modskel_project.converge_playbook)
    proc = subprocess.run(
        [ansible_bin("ansible-playbook"), "--syntax-check", "-i", "localhost,", playbook],
        env=ansible_env(modskel_project, tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
