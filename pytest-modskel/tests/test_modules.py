"""``run_module``: a tiny module written here, run in-process with ansible-core's AnsibleModule."""

from __future__ import annotations

import sys
import textwrap
from types import ModuleType

import pytest
from conftest import exactly
from pytest_modskel.modules import ModuleRunError, run_module

# A module as a collection writes one: check mode, diff, failures.
SOURCE = """\
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "fail": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    if module.params["fail"]:
        module.fail_json(msg=f"cannot set {module.params['name']}")
    diff = {"before": "", "after": module.params["name"]} if module._diff else None
    if module.check_mode:
        module.exit_json(changed=True, msg="would set", diff=diff)
    module.exit_json(changed=True, msg="set", diff=diff, name=module.params["name"])
"""


def fake_module(source: str, name: str = "thing_config") -> ModuleType:
    """Return a module made from ``source``, as ``import`` would give it."""
    module = ModuleType(f"ansible_collections.acme.web.plugins.modules.{name}")
    exec(compile(textwrap.dedent(source), name, "exec"), module.__dict__)  # noqa: S102 - test code
    return module


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, (True, False, "set", None)),
        (
            {"check_mode": True, "diff": True},
            (True, False, "would set", {"before": "", "after": "x"}),
        ),
        ({"diff": True}, (True, False, "set", {"before": "", "after": "x"})),
    ],
    ids=["plain", "check-and-diff", "diff"],
)
def test_run_module(options: dict[str, bool], expected: tuple[object, ...]) -> None:
    result = run_module(fake_module(SOURCE), {"name": "x"}, **options)
    assert (result.changed, result.failed, result.msg, result.diff) == expected


def test_run_module_result_holds_everything() -> None:
    result = run_module(fake_module(SOURCE), {"name": "x"})
    assert result.result["name"] == "x"
    assert result.result["changed"] is True


def test_run_module_failure() -> None:
    result = run_module(fake_module(SOURCE), {"name": "x", "fail": True})
    assert (result.failed, result.changed, result.msg) == (True, False, "cannot set x")


def test_run_module_bad_arguments() -> None:
    result = run_module(fake_module(SOURCE), {})
    assert result.failed
    assert result.msg == "missing required arguments: name"


def test_run_module_runs_again_with_new_arguments() -> None:
    module = fake_module(SOURCE)
    assert run_module(module, {"name": "a"}).result["name"] == "a"
    assert run_module(module, {"name": "b"}).result["name"] == "b"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def main():\n    return None\n",
            (
                "module thing_config: main() returned without calling exit_json or fail_json: "
                "end it with module.exit_json(...)"
            ),
        ),
        (
            "import sys\ndef main():\n    print('hello')\n    sys.exit(0)\n",
            (
                "module thing_config exited without a result (output: 'hello'): "
                "end main() with module.exit_json(...) or module.fail_json(...)"
            ),
        ),
        (
            "import sys\ndef main():\n    sys.exit(0)\n",
            (
                "module thing_config exited without a result (output: 'none'): "
                "end main() with module.exit_json(...) or module.fail_json(...)"
            ),
        ),
        (
            "x = 1\n",
            "module thing_config has no main(): give run_module the module that defines it",
        ),
    ],
    ids=["returns", "prints-no-json", "prints-nothing", "no-main"],
)
def test_run_module_needs_a_result(source: str, message: str) -> None:
    with pytest.raises(ModuleRunError, match=exactly(message)):
        run_module(fake_module(source), {})


def test_run_module_is_exported() -> None:
    import pytest_modskel  # noqa: PLC0415 - the lazy export is under test

    assert pytest_modskel.run_module is run_module
    assert pytest_modskel.ModuleResult.__name__ == "ModuleResult"


def test_run_module_without_patch_module_args(monkeypatch: pytest.MonkeyPatch) -> None:
    """ansible-core 2.18 has no ansible.module_utils.testing: the arguments go in basic's global."""
    monkeypatch.setitem(sys.modules, "ansible.module_utils.testing", None)  # import fails
    result = run_module(fake_module(SOURCE), {"name": "old"}, check_mode=True)
    assert (result.changed, result.msg) == (True, "would set")


def test_run_module_warnings_do_not_pile_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ansible.module_utils.testing", None)  # as on 2.18
    module = fake_module(
        "from ansible.module_utils.basic import AnsibleModule\n"
        "def main():\n"
        "    module = AnsibleModule(argument_spec={})\n"
        "    module.warn('careful')\n"
        "    module.exit_json(changed=False)\n"
    )
    first, second = run_module(module, {}), run_module(module, {})
    assert first.result.get("warnings") == second.result.get("warnings")  # not twice
