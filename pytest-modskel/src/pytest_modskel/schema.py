"""Check a mapping read from YAML or TOML against a table of keys and types."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_modskel.errors import ConfigError

NAMES = {str: "a string", bool: "true or false", int: "an integer", float: "a number",
         dict: "a table", list: "a list"}  # fmt: skip


def _fits(value: object, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def check_table(table: object, schema: Mapping[str, type], where: str) -> None:
    """Raise ConfigError naming ``where`` and the key if ``table`` breaks ``schema``.

    >>> check_table({"memory": 512}, {"memory": int}, "[tool.modskel.vm]")
    >>> check_table({"memroy": 512}, {"memory": int}, "[tool.modskel.vm]")
    Traceback (most recent call last):
    ...
    pytest_modskel.errors.ConfigError: [tool.modskel.vm]: unknown key 'memroy': use one of memory
    """
    if not isinstance(table, Mapping):
        msg = f"{where}: expected a mapping, found {table!r}: fix the file"
        raise ConfigError(msg)
    for key, value in table.items():
        if key not in schema:
            msg = f"{where}: unknown key {key!r}: use one of {', '.join(sorted(schema))}"
            raise ConfigError(msg)
        kind = schema[key]
        if not _fits(value, kind):
            msg = f"{where}: {key} must be {NAMES[kind]}, not {value!r}: fix the value"
            raise ConfigError(msg)
