"""A testinfra backend that runs each check by entering the container's namespaces.

testinfra's podman and docker backends run one ``ENGINE exec`` per command;
this one runs ``nsenter`` (see :mod:`pytest_modskel.drivers.nsenter`), which
makes a verify of many checks several times faster. Everything else is
testinfra's own: the host, its modules and its results.
"""

from __future__ import annotations

import subprocess
from typing import Any

from testinfra.backend.base import BaseBackend, CommandResult

from pytest_modskel.drivers import nsenter


class NsenterBackend(BaseBackend):  # type: ignore[misc]  # testinfra is partly untyped
    """Run testinfra's commands in the container whose PID 1 is ``pid``."""

    NAME = "modskel-nsenter"

    def __init__(self, name: str, pid: int, engine: str, **kwargs: Any) -> None:  # noqa: ANN401
        """Check ``name``, entered by its init's ``pid``, run by ``engine``."""
        self.pid, self.engine = pid, engine
        super().__init__(name, **kwargs)

    def run(self, command: str, *args: str, **kwargs: Any) -> CommandResult:  # noqa: ANN401, ARG002
        """Run ``command`` (testinfra's quoting of ``args``) in the container's shell."""
        cmd = self.get_command(command, *args)
        done = subprocess.run(
            nsenter.argv(self.pid, ["/bin/sh", "-c", cmd]),
            env=nsenter.environment(self.engine, self.pid),
            capture_output=True,
            check=False,
        )
        return self.result(done.returncode, self.encode(cmd), done.stdout, done.stderr)
