"""One-line messages: ``text.last_line``, ``schema.check_table`` and the error tree."""

from __future__ import annotations

import pytest
from conftest import exactly
from pytest_modskel import errors
from pytest_modskel.errors import ConfigError, ModskelError, SetupError
from pytest_modskel.schema import check_table
from pytest_modskel.text import last_line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("warning\nerror: disk full\n\n", "error: disk full"),
        ("  only line  ", "only line"),
        ("first\n   \n\t\n", "first"),
        ("", "no output"),
        ("\n \n", "no output"),
    ],
    ids=["last-of-several", "stripped", "blank-lines-skipped", "empty", "only-blank"],
)
def test_last_line(text: str, expected: str) -> None:
    assert last_line(text) == expected


def test_last_line_default_and_limit() -> None:
    assert last_line("", default="nothing") == "nothing"
    assert last_line("x" * 500) == "x" * 300
    assert last_line("abcdef", limit=3) == "abc"


SCHEMA: dict[str, type] = {"memory": int, "timeout": float, "accel": str, "on": bool,
                           "table": dict, "items": list}  # fmt: skip


@pytest.mark.parametrize(
    "table",
    [
        {},
        {"memory": 512, "timeout": 1.5, "accel": "tcg", "on": True, "table": {}, "items": []},
        {"timeout": 600},
    ],
    ids=["empty", "every-type", "int-is-a-number"],
)
def test_check_table_accepts(table: dict[str, object]) -> None:
    check_table(table, SCHEMA, "[tool.x]")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"memroy": 512}, ("[tool.x]: unknown key 'memroy': use one of accel, items, memory, on, "
                          "table, timeout")),
        ({"memory": "512"}, "[tool.x]: memory must be an integer, not '512': fix the value"),
        ({"memory": True}, "[tool.x]: memory must be an integer, not True: fix the value"),
        ({"memory": 1.5}, "[tool.x]: memory must be an integer, not 1.5: fix the value"),
        ({"timeout": False}, "[tool.x]: timeout must be a number, not False: fix the value"),
        ({"timeout": "9"}, "[tool.x]: timeout must be a number, not '9': fix the value"),
        ({"accel": 1}, "[tool.x]: accel must be a string, not 1: fix the value"),
        ({"on": "yes"}, "[tool.x]: on must be true or false, not 'yes': fix the value"),
        ({"table": []}, "[tool.x]: table must be a table, not []: fix the value"),
        ({"items": {}}, "[tool.x]: items must be a list, not {}: fix the value"),
    ],
    ids=["unknown-key", "int-as-string", "bool-is-not-int", "float-is-not-int",
         "bool-is-not-number", "number-as-string", "str", "bool", "dict", "list"],
)  # fmt: skip
def test_check_table_rejects(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=exactly(message)):
        check_table(table, SCHEMA, "[tool.x]")


@pytest.mark.parametrize("table", [[1, 2], "text", None], ids=["list", "str", "none"])
def test_check_table_needs_a_mapping(table: object) -> None:
    with pytest.raises(ConfigError, match=r"^where: expected a mapping, found .*: fix the file$"):
        check_table(table, SCHEMA, "where")


@pytest.mark.parametrize(
    ("error", "standard", "code"),
    [
        (ConfigError, ValueError, errors.EXIT_USAGE),
        (SetupError, RuntimeError, errors.EXIT_ENVIRONMENT),
        (ModskelError, Exception, errors.EXIT_USAGE),
    ],
    ids=["config", "setup", "base"],
)
def test_error_tree(error: type[ModskelError], standard: type[Exception], code: int) -> None:
    message = "what to do"
    with pytest.raises(standard, match=message):
        raise error(message)
    assert issubclass(error, ModskelError)
    assert error.exit_code == code


def test_exit_codes_are_distinct() -> None:
    codes = [errors.EXIT_OK, errors.EXIT_FAILED, errors.EXIT_USAGE, errors.EXIT_ENVIRONMENT,
             errors.EXIT_INTERRUPTED]  # fmt: skip
    assert codes == [0, 1, 2, 3, 130]
