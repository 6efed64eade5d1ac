"""Run an Ansible module's ``main()`` in-process: arguments in, result out.

Unit tests of a collection's modules call :func:`run_module` with the task's
arguments and assert on what the module returned, without a playbook::

    >>> from ansible_collections.ns.coll.plugins.modules import thing_config  # doctest: +SKIP
    >>> result = run_module(thing_config, {"path": "/tmp/x.ini"}, check_mode=True)  # doctest: +SKIP
    >>> result.changed, result.failed  # doctest: +SKIP
    (True, False)

The module reads its arguments the way ``AnsibleModule`` always does (from
``ansible.module_utils.basic``), and its ``exit_json``/``fail_json`` print the
result and exit, so the result is exactly what a playbook would receive. Works
on ansible-core 2.18 and later (2.19 added ``patch_module_args``).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from unittest import mock

from pytest_modskel.errors import ModskelError


class ModuleRunError(ModskelError, RuntimeError):
    """The module did not end the way an Ansible module must (exit_json or fail_json)."""


@dataclass(frozen=True)
class ModuleResult:
    """What a module returned.

    Attributes:
        changed: whether the module reported a change.
        failed: whether it called ``fail_json`` (or reported ``failed``).
        msg: its ``msg`` ('' when it gave none).
        diff: its ``diff`` (``{"before": ..., "after": ...}``), or None.
        result: the whole result, as a playbook's ``register`` would hold it.
    """

    changed: bool
    failed: bool
    msg: str
    diff: dict[str, Any] | None
    result: dict[str, Any] = field(repr=False)


@contextlib.contextmanager
def _module_args(args: dict[str, Any]) -> Iterator[None]:
    """Hand ``args`` to the next ``AnsibleModule`` made, on every supported ansible-core."""
    try:
        from ansible.module_utils.testing import patch_module_args  # noqa: PLC0415
    except ImportError:  # ansible-core < 2.19: AnsibleModule reads basic._ANSIBLE_ARGS
        with _legacy_module_args(args):
            yield
        return
    with patch_module_args(args):
        yield


@contextlib.contextmanager
def _legacy_module_args(args: dict[str, Any]) -> Iterator[None]:
    """Set ``basic._ANSIBLE_ARGS`` (and start without 2.18's module-global warnings)."""
    from ansible.module_utils import basic  # noqa: PLC0415
    from ansible.module_utils.common import warnings  # noqa: PLC0415

    payload = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(basic, "_ANSIBLE_ARGS", payload))
        if hasattr(basic, "_ANSIBLE_PROFILE"):  # 2.19+ reached without its testing helper
            stack.enter_context(mock.patch.object(basic, "_ANSIBLE_PROFILE", "legacy"))
        lists = [n for n in ("_global_warnings", "_global_deprecations")
                 if isinstance(getattr(warnings, n, None), list)]  # fmt: skip
        _ = [stack.enter_context(mock.patch.object(warnings, name, [])) for name in lists]
        yield


def _name(module: ModuleType) -> str:
    return module.__name__.rpartition(".")[2]


def _parse(module: ModuleType, output: str) -> dict[str, Any]:
    """Return the result ``exit_json``/``fail_json`` printed (its last line of output)."""
    lines = [line for line in output.splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        result = None
    if not isinstance(result, dict):
        last = lines[-1][:200] if lines else "none"
        msg = (
            f"module {_name(module)} exited without a result (output: {last!r}): "
            "end main() with module.exit_json(...) or module.fail_json(...)"
        )
        raise ModuleRunError(msg)
    return result


def run_module(
    module: ModuleType,
    args: Mapping[str, Any],
    *,
    check_mode: bool = False,
    diff: bool = False,
) -> ModuleResult:
    """Run ``module.main()`` with ``args`` as the task's arguments; return its result.

    Args:
        module: the imported module (it must define ``main()``).
        args: the task's arguments.
        check_mode: run as ``ansible-playbook --check`` would.
        diff: run as ``ansible-playbook --diff`` would.

    Raises:
        ModuleRunError: the module has no ``main()``, or returned without
            calling ``exit_json``/``fail_json``.
    """
    main = getattr(module, "main", None)
    if not callable(main):
        msg = f"module {_name(module)} has no main(): give run_module the module that defines it"
        raise ModuleRunError(msg)
    full = {**args, "_ansible_check_mode": check_mode, "_ansible_diff": diff}
    out = io.StringIO()
    with _module_args(full), contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit:
            pass
        else:
            msg = (
                f"module {_name(module)}: main() returned without calling exit_json or "
                "fail_json: end it with module.exit_json(...)"
            )
            raise ModuleRunError(msg)
    result = _parse(module, out.getvalue())
    return ModuleResult(
        changed=bool(result.get("changed", False)),
        failed=bool(result.get("failed", False)),
        msg=str(result.get("msg", "")),
        diff=result.get("diff"),
        result=result,
    )


__all__ = ["ModuleResult", "ModuleRunError", "run_module"]
