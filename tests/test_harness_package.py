"""The harness package's own unit tests cover it in-process (coverage.py, fail_under 90)."""

from __future__ import annotations

import subprocess

from tests.helpers import BIN, REPO


def test_package_unit_tests_cover_at_least_90_percent() -> None:
    run = [str(BIN / "coverage"), "run", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    tests = subprocess.run(
        [*run, "pytest-modskel/tests"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    report = [str(BIN / "coverage"), "report"]
    total = subprocess.run(
        [*report, "--format=total"], cwd=REPO, capture_output=True, text=True, check=False
    )
    missing = subprocess.run(report, cwd=REPO, capture_output=True, text=True, check=False).stdout
    assert total.returncode == 0, missing  # fail_under = 90 in pyproject.toml
    assert float(total.stdout) >= 90, missing
