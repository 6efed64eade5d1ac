"""Python coverage of the role's plugins: coverage.py's data from the unit envs, if any.

``modskel coverage`` combines the data files the unit envs wrote, writes the
HTML and XML reports and prints the table, with ``[tool.coverage.report]
fail_under`` as the gate. After an integration run alone there is no data:
that is said plainly, and only task coverage is judged.
"""

from __future__ import annotations

from pathlib import Path

HTML_DIRECTORY = "coverage-report/python"
XML_OUTPUT = "coverage-report/python.xml"


def data_files(root: Path) -> list[Path]:
    """Return the coverage data files the unit envs left (``.coverage.*``)."""
    return sorted(p for p in root.glob(".coverage.*") if p.is_file())


def report(root: Path) -> tuple[bool, list[str]]:
    """Combine, report and judge Python coverage; return (passed, lines to print)."""
    found = data_files(root)
    if not found and not (root / ".coverage").is_file():
        return True, ["Python coverage: no data: the unit envs write it (run tox -e unit first)"]
    try:
        import coverage  # noqa: PLC0415 - only the coverage env has it
    except ImportError:
        return True, ["Python coverage: coverage.py is not installed in this env: skipped"]
    from coverage.exceptions import CoverageException  # noqa: PLC0415
    from coverage.results import format_fail_under_msg, should_fail_under  # noqa: PLC0415

    try:
        cov = coverage.Coverage(
            config_file=str(root / "pyproject.toml"), data_file=str(root / ".coverage")
        )
        if found:
            cov.combine([str(p) for p in found], keep=True)
            cov.save()
        cov.load()
        cov.html_report(directory=str(root / HTML_DIRECTORY))
        cov.xml_report(outfile=str(root / XML_OUTPUT))
        total = cov.report()
    except CoverageException as error:  # e.g. an empty data file from an interrupted run
        return False, [f"Python coverage: {error}: rerun tox -e unit"]
    fail_under = float(str(cov.get_option("report:fail_under") or 0))
    precision = int(str(cov.get_option("report:precision") or 0))
    if should_fail_under(total, fail_under, precision):  # judged as coverage.py judges
        return False, [f"Coverage failure: {format_fail_under_msg(total, fail_under, precision)}"]
    return True, []
