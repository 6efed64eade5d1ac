"""The one exception tree of pytest-modskel.

Every error a user can meet is a :class:`ModskelError`. Its message is printed
verbatim, on one line: what is wrong, the offending value, and what to do next.
The command line (``modskel``) turns each into that line on stderr and the
error's ``exit_code``; the pytest plugin turns it into a usage error or a
failed test. Each class also derives from the standard type it refines, so
callers may catch either.

Exit codes of ``modskel``:

====  =================================================================
0     success
1     a check ran and found a problem (coverage below its threshold,
      conflict markers, a project behind its template)
2     bad input: a setting, platform, option or file the user must fix
3     the machine lacks something: a tool, an engine, an image, a login
====  =================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERRUPTED = 130


class ModskelError(Exception):
    """A problem the user can fix; the message says what is wrong and what to do."""

    exit_code = EXIT_USAGE


class ConfigError(ModskelError, ValueError):
    """A setting, platform entry or file of the project is wrong."""

    exit_code = EXIT_USAGE


class SetupError(ModskelError, RuntimeError):
    """This machine lacks a tool, an engine, an image, or a way to log in."""

    exit_code = EXIT_ENVIRONMENT


__all__ = [
    "EXIT_ENVIRONMENT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ConfigError",
    "ModskelError",
    "SetupError",
]
