"""Drive copier: read the template's support matrix, then copy with the role's answers.

Copier writes only what the role lacks: every file the role has is passed to
``skip_if_exists`` (copier's ``--skip``), and the hidden answer
``adopting: true`` makes the template leave out its sample role (copier.yml's
``_exclude``) and name its GitHub workflow ``modskel.yml``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.commands.adopt._answers import Matrix, matrix_of
from pytest_modskel.errors import ConfigError, SetupError

ANSWERS = ".copier-answers.yml"


def _copier() -> Any:  # noqa: ANN401 - copier's module, untyped here
    """Import copier, or say how to get it."""
    try:
        import copier  # noqa: PLC0415 - an optional dependency: pytest-modskel[adopt]
    except ImportError:
        msg = "copier is not installed: run `uvx --from 'pytest-modskel[adopt]' modskel adopt ...`"
        raise SetupError(msg) from None
    return copier


def read_matrix(src: str, vcs_ref: str | None) -> Matrix:
    """The template's ansible-core series and platforms (its matrix/ files, via copier.yml).

    Copier's public API has no "read the template": a pretend copy (nothing is
    written) returns the worker, whose template holds the parsed questions.
    """
    copier = _copier()
    try:
        with tempfile.TemporaryDirectory(prefix="modskel-adopt-") as tmp:
            worker = copier.run_copy(
                src,
                Path(tmp) / "probe",
                data={"adopting": True, "role_name": "probe"},
                defaults=True,
                pretend=True,
                quiet=True,
                unsafe=True,
                vcs_ref=vcs_ref,
            )
            return matrix_of(dict(worker.template.questions_data))
    except (copier.errors.CopierError, OSError, ValueError) as error:
        msg = f"template {src!r} cannot be read ({error}): check --template and --vcs-ref"
        raise ConfigError(msg) from None


def copy(
    src: str, root: Path, data: dict[str, Any], *, vcs_ref: str | None, skip: Sequence[str]
) -> dict[str, Any]:
    """Run ``copier copy`` into ``root``; return the answers it recorded."""
    copier = _copier()
    copier.run_copy(
        src,
        root,
        data={**data, "adopting": True},
        defaults=True,
        unsafe=True,
        quiet=True,
        overwrite=True,
        skip_if_exists=list(skip),
        vcs_ref=vcs_ref,
    )
    recorded = yaml.safe_load((root / ANSWERS).read_text(encoding="utf-8"))
    return dict(recorded)


def parse_data(pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs (``--data``) -> answers, each VALUE read as YAML."""
    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            msg = f"--data {pair!r}: expected KEY=VALUE, e.g. --data license=MIT"
            raise ConfigError(msg)
        found[key] = yaml.safe_load(value)
    return found
