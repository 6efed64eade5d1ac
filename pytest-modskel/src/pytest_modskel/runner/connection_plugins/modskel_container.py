"""Ansible connection: run tasks in a podman or docker container, one exec per task.

``containers.podman.podman`` has no pipelining and runs ``podman exec`` without
``-i``, so every task costs four or five engine round trips (make a temporary
directory, copy the module, chmod, run, remove). This connection passes the
module on the exec's standard input (Ansible's pipelining), so a task is one
``exec``. Files that must be copied (``copy``, ``template``) go through the
same channel. The same code serves docker, whose CLI takes the same flags.
"""

# ruff: noqa: INP001 - Ansible loads this file by path, from ANSIBLE_CONNECTION_PLUGINS
from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from ansible.errors import AnsibleError
from ansible.plugins.connection import ConnectionBase
from pytest_modskel.drivers import nsenter

DOCUMENTATION = """
name: modskel_container
short_description: Run tasks in a podman or docker container with pipelining
description:
  - Runs each task with one C(exec -i) of the container engine, the module on
    its standard input.
options:
  remote_addr:
    description: The container's name or id.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
  remote_user:
    description: The user to run tasks as inside the container (the image's default if unset).
    vars:
      - name: ansible_user
  engine:
    description: The container engine's command line program.
    default: podman
    vars:
      - name: modskel_engine
  pid:
    description: The host PID of the container's init; when set, commands enter its namespaces.
    vars:
      - name: modskel_container_pid
"""

TIMEOUT = 3600  # seconds: a task that runs longer than an hour is stuck


class Connection(ConnectionBase):  # type: ignore[misc]  # Ansible is untyped
    """Run commands and copy files by entering the container (nsenter) or by ``ENGINE exec -i``."""

    transport = "modskel_container"
    has_pipelining = True
    has_tty = False

    def _connect(self) -> Connection:
        self._connected = True
        return self

    def _exec(self, argv: list[str], data: bytes | None) -> tuple[int, bytes, bytes]:
        """Run ``argv`` in the container, ``data`` on its standard input."""
        user, pid = self.get_option("remote_user"), self.get_option("pid")
        if pid and not user:  # the fast path: enter the container's namespaces
            command = nsenter.argv(int(pid), argv)
            env: dict[str, str] | None = nsenter.environment(self.get_option("engine"), int(pid))
        else:
            command, env = self._engine_exec(argv, user, data), None
        self._display.vvv(f"EXEC {shlex.join(command)}", host=self.get_option("remote_addr"))
        try:
            done = subprocess.run(  # a fixed argument list, no shell
                command, input=data, env=env, capture_output=True, timeout=TIMEOUT, check=False
            )
        except FileNotFoundError as missing:
            fix = (
                "install util-linux, or set MODSKEL_CONNECTION=exec"
                if env
                else "install it or set modskel_engine"
            )
            msg = f"{command[0]!r} not found: {fix}"
            raise AnsibleError(msg) from missing
        return done.returncode, done.stdout, done.stderr

    def _engine_exec(self, argv: list[str], user: str | None, data: bytes | None) -> list[str]:
        """Return the engine's exec command line for ``argv``."""
        return [
            self.get_option("engine"),
            "exec",
            *(["-i"] if data is not None else []),
            *(["--user", str(user)] if user else []),
            str(self.get_option("remote_addr")),
            *argv,
        ]

    def exec_command(
        self,
        cmd: str,
        in_data: bytes | None = None,
        sudoable: bool = True,  # noqa: FBT001, FBT002
    ) -> tuple[int, bytes, bytes]:
        """Run ``cmd`` (a shell command line Ansible built) in the container."""
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        return self._exec(shlex.split(cmd), in_data)

    def put_file(self, in_path: str, out_path: str) -> None:
        """Copy the local file ``in_path`` to ``out_path`` in the container."""
        super().put_file(in_path, out_path)
        write = f"cat > {shlex.quote(out_path)}"
        rc, _, err = self._exec(["/bin/sh", "-c", write], Path(in_path).read_bytes())
        if rc != 0:
            error = err.decode(errors="replace").strip()
            msg = f"failed to write {out_path} in the container: {error}"
            raise AnsibleError(msg)

    def fetch_file(self, in_path: str, out_path: str) -> None:
        """Copy ``in_path`` from the container to the local file ``out_path``."""
        super().fetch_file(in_path, out_path)
        rc, out, err = self._exec(["cat", in_path], None)
        if rc != 0:
            error = err.decode(errors="replace").strip()
            msg = f"failed to read {in_path} in the container: {error}"
            raise AnsibleError(msg)
        Path(out_path).write_bytes(out)

    def close(self) -> None:
        """Nothing stays open between tasks."""
        self._connected = False
