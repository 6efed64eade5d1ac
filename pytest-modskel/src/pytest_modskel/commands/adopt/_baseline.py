"""Accept the role's existing lint debt, per file and rule, so new findings still fail.

Each tool runs in the project's own ``lint`` tox environment (``tox exec``),
with the versions the project pins:

- ansible-lint writes its own baseline, ``.ansible-lint-ignore``
  (``--generate-ignore``): one ``file rule`` line per finding's file and rule;
- yamllint's findings become an ``ignore:`` list under each rule in
  ``.yamllint``;
- ruff's become ``[tool.ruff.lint.per-file-ignores]`` entries in
  ``pyproject.toml``, and files ruff would reformat go to
  ``[tool.ruff.format] exclude``.

A file the author had already (their own ``.yamllint``, say) is not changed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from pytest_modskel.commands.adopt import _yaml
from pytest_modskel.commands.adopt._report import Report
from pytest_modskel.errors import SetupError
from pytest_modskel.text import last_line

Runner = Callable[[Path, Sequence[str]], subprocess.CompletedProcess[str]]
PARSABLE = re.compile(r"^(?P<file>[^:]+):\d+:\d+: \[\w+\] .* \((?P<rule>[\w-]+)\)$")
PER_FILE = "[tool.ruff.lint.per-file-ignores]\n"
# Exit codes that mean "ran, and found something" (else the env or the tool broke).
FINDINGS = {"yamllint": {0, 1}, "ruff": {0, 1}, "ansible-lint": {0, 2}}
MARK = "# Existing debt accepted by `modskel adopt`: fix, then delete (ADOPTION.md).\n"


def tox() -> list[str]:
    """Tox on PATH, else through uvx (with tox-uv, as the project's tox.ini requires)."""
    if found := shutil.which("tox"):
        return [found]
    return ["uvx", "--from", "tox", "--with", "tox-uv", "tox"]


def in_lint_env(root: Path, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in the project's ``lint`` tox environment; SetupError if tox fails."""
    cmd = [*tox(), "exec", "-q", "-e", "lint", "--", *command]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode not in FINDINGS.get(command[0], {0}):
        said = last_line(done.stderr or done.stdout)
        msg = (
            f"`tox exec -e lint -- {' '.join(command[:2])}` failed (exit {done.returncode}): "
            f"{said}: run it to see why"
        )
        raise SetupError(msg)
    return done


def per_rule(output: str) -> dict[str, list[str]]:
    """Yamllint ``-f parsable`` output -> rule -> files (sorted, each once)."""
    found: dict[str, set[str]] = {}
    for line in output.splitlines():
        if match := PARSABLE.match(line.strip()):
            found.setdefault(match["rule"], set()).add(match["file"].removeprefix("./"))
    return {rule: sorted(files) for rule, files in sorted(found.items())}


def yamllint_config(text: str, debt: dict[str, list[str]]) -> str:
    """Return the ``.yamllint`` text with an ``ignore:`` list per rule in ``debt``."""
    config = yaml.safe_load(text) or {}
    rules = config.setdefault("rules", {})
    for rule, files in debt.items():
        settings = rules.get(rule)
        settings = settings if isinstance(settings, dict) else {}
        settings["ignore"] = "".join(f"{f}\n" for f in files)
        rules[rule] = settings
    body = _yaml.dump(config)
    return "---\n" + MARK + body


def ruff_findings(root: Path, run: Runner, command: Sequence[str]) -> list[tuple[str, str]]:
    """(file relative to ``root``, code) of each finding of a ruff command's JSON output."""
    done = run(root, [*command, "--output-format", "json", "."])
    found, _ = json.JSONDecoder().raw_decode(done.stdout.lstrip() or "[]")  # tox adds a line
    top = root.resolve()
    return [
        (Path(f["filename"]).resolve().relative_to(top).as_posix(), str(f["code"])) for f in found
    ]


def ruff_debt(root: Path, run: Runner) -> tuple[dict[str, list[str]], list[str]]:
    """Return file -> ruff codes found, and the files ruff format would change."""
    codes: dict[str, set[str]] = {}
    for name, code in ruff_findings(root, run, ["ruff", "check", "--exit-zero"]):
        codes.setdefault(name, set()).add(code)
    unformatted = sorted(
        {name for name, _ in ruff_findings(root, run, ["ruff", "format", "--check"])}
    )
    return {name: sorted(c) for name, c in sorted(codes.items())}, unformatted


def ruff_settings(text: str, codes: dict[str, list[str]], unformatted: list[str]) -> str:
    """Return pyproject.toml's text with the per-file ignores and format excludes added."""
    if codes:
        lines = "".join(f"{json.dumps(f)} = {json.dumps(c)}\n" for f, c in codes.items())
        text = text.replace(PER_FILE, PER_FILE + MARK + lines, 1)
    if unformatted:
        text += f"\n[tool.ruff.format]\n{MARK}exclude = {json.dumps(unformatted)}\n"
    return text


def baseline(root: Path, existing: set[str], report: Report, run: Runner = in_lint_env) -> None:
    """Record the lint debt of ``root``; ``existing``: the author's files (not changed)."""
    run(root, ["modskel", "collections"])  # links the role, so ansible-lint can find it
    if ".ansible-lint-ignore" in existing:
        report.keep(".ansible-lint-ignore: yours (ansible-lint's baseline)")
    else:
        run(root, ["ansible-lint", "--offline", "--generate-ignore"])
        ignore = root / ".ansible-lint-ignore"
        count = len(ignore.read_text(encoding="utf-8").splitlines()) if ignore.is_file() else 0
        report.add(f".ansible-lint-ignore: ansible-lint's baseline, {count} file/rule line(s)")
    yamllint_baseline(root, existing, report, run)
    codes, unformatted = ruff_debt(root, run)
    if codes or unformatted:
        path = root / "pyproject.toml"
        path.write_text(
            ruff_settings(path.read_text(encoding="utf-8"), codes, unformatted), encoding="utf-8"
        )
        report.merged(
            f"pyproject.toml: ruff ignores for {len(codes)} file(s), formatting "
            f"for {len(unformatted)}"
        )


def yamllint_baseline(root: Path, existing: set[str], report: Report, run: Runner) -> None:
    """Add yamllint's current findings to ``.yamllint`` (unless it is the author's)."""
    if ".yamllint" in existing:
        report.keep(
            ".yamllint: yours; findings under it are not baselined (fix them or add ignores)"
        )
        return
    debt = per_rule(run(root, ["yamllint", "-f", "parsable", "."]).stdout)
    if debt:
        path = root / ".yamllint"
        path.write_text(yamllint_config(path.read_text(encoding="utf-8"), debt), encoding="utf-8")
        shown = ", ".join(f"{rule} ({len(files)})" for rule, files in debt.items())
        report.merged(f".yamllint: per-rule ignore lists for existing findings: {shown}")
