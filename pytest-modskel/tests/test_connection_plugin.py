"""The ``modskel_container`` Ansible connection, loaded by Ansible's plugin loader.

Fake ``podman`` and ``nsenter`` programs stand in for the container: each logs
its call, then runs the command it was given on this machine, as the container
would (podman feeds it standard input only with ``-i``; nsenter passes the
environment it was given, nothing else).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleError
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from conftest import FakeBin, exactly
from pytest_modskel.drivers import nsenter
from pytest_modskel.runner.ansible import CONNECTIONS
from pytest_modskel.runner.connection_plugins import modskel_container

# `podman exec [-i] [--user U] NAME COMMAND...`: the command runs with the
# container's PATH, and reads standard input only when -i asks for it.
PODMAN = """\
[ "$1" = exec ] || exit 125
shift; attach=no
while :; do
  case "$1" in -i) attach=yes; shift ;; --user) shift 2 ;; *) break ;; esac
done
shift  # the container
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
if [ "$attach" = yes ]; then exec "$@"; else exec "$@" < /dev/null; fi
"""
NSENTER = '[ "$1 $3" = "--target --all" ] || exit 1\nshift 3\nexec "$@"'
# What a command sees of its environment: a variable of the test's, and the container's.
SHOW_ENV = "/bin/sh -c 'echo ${LEAK-unset} $HOME $container $PATH'"

Connect = Any  # the Connection class Ansible's loader imports (Ansible is untyped)


@pytest.fixture
def box(fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch) -> FakeBin:
    """A fake podman and nsenter on PATH; a variable of the test's own in the environment."""
    fake_bin.add("podman", PODMAN)
    fake_bin.add("nsenter", NSENTER)
    monkeypatch.setenv("LEAK", "leaked")
    return fake_bin


def connect(**variables: str) -> Connect:
    """Return the connection to container ``box``, configured as Ansible does.

    Ansible's loader reads the plugin's options; the connection is then made
    from the package's own module (the one coverage measures), which Ansible
    configures by the same name.
    """
    connection_loader.add_directory(str(CONNECTIONS))
    assert connection_loader.find_plugin("modskel_container") == str(
        Path(modskel_container.__file__)
    )
    connection_loader.get("modskel_container", PlayContext())  # reads its options
    connection = modskel_container.Connection(PlayContext())
    connection._load_name = "modskel_container"  # what the loader sets
    connection.set_options(var_options={"inventory_hostname": "box", **variables})
    return connection


def test_the_loader_finds_it() -> None:
    connection_loader.add_directory(str(CONNECTIONS))
    connection = connection_loader.get("modskel_container", PlayContext())
    connection.set_options(var_options={"inventory_hostname": "box", "ansible_host": "b2"})
    assert (connection.transport, connection.has_pipelining) == ("modskel_container", True)
    assert (connection.get_option("engine"), connection.get_option("remote_addr")) == (
        "podman",
        "b2",
    )
    assert connection.get_option("pid") is None
    assert connection.get_option("remote_user") is None


def test_close() -> None:
    connection = connect()
    connection._connect()
    assert connection.connected
    connection.close()
    assert not connection.connected


def test_exec(box: FakeBin) -> None:
    rc, out, err = connect().exec_command(SHOW_ENV)
    assert (rc, err) == (0, b"")
    assert out.split()[0] == b"leaked"  # the engine gets the harness's environment (CONTAINER_HOST)
    assert box.calls() == ["podman exec box /bin/sh -c echo ${LEAK-unset} $HOME $container $PATH"]


def test_exec_without_input_attaches_none(box: FakeBin) -> None:
    rc, out, _ = connect().exec_command("/bin/sh -c 'read -r line; echo got=$line'")
    assert (rc, out) == (0, b"got=\n")
    assert box.calls("podman") == ["podman exec box /bin/sh -c read -r line; echo got=$line"]


def test_exec_pipelines_with_input(box: FakeBin) -> None:
    rc, out, _ = connect().exec_command("/bin/sh -c '/bin/cat; exit 3'", in_data=b"module\n")
    assert (rc, out) == (3, b"module\n")
    assert box.calls("podman") == ["podman exec -i box /bin/sh -c /bin/cat; exit 3"]


def test_exec_as_a_user_never_enters(box: FakeBin) -> None:
    connection = connect(ansible_user="app", modskel_container_pid="4242")
    assert connection.exec_command("/bin/true", in_data=b"")[0] == 0
    assert box.calls() == ["podman exec -i --user app box /bin/true"]


def test_exec_on_docker(box: FakeBin) -> None:
    box.add("docker", PODMAN)
    assert connect(modskel_engine="docker").exec_command("/bin/true")[0] == 0
    assert box.calls() == ["docker exec box /bin/true"]


def test_exec_enters_with_a_clean_environment(box: FakeBin) -> None:
    rc, out, err = connect(modskel_container_pid="4242").exec_command(SHOW_ENV)
    assert (rc, err) == (0, b"")
    assert out.decode() == f"unset /root podman {nsenter.CONTAINER_PATH}\n"
    command = "/bin/sh -c echo ${LEAK-unset} $HOME $container $PATH"
    assert box.calls() == [f"nsenter --target 4242 --all {command}"]


def test_exec_enters_with_input(box: FakeBin) -> None:
    connection = connect(modskel_container_pid="4242", modskel_engine="docker")
    rc, out, _ = connection.exec_command("/bin/sh -c 'cat; echo $container'", in_data=b"module\n")
    assert (rc, out) == (0, b"module\ndocker\n")
    assert box.calls() == ["nsenter --target 4242 --all /bin/sh -c cat; echo $container"]


def test_exec_engine_not_found(fake_bin: FakeBin) -> None:
    message = (
        "'podman' not found: install it or set modskel_engine: "
        "[Errno 2] No such file or directory: 'podman'"
    )
    with pytest.raises(AnsibleError, match=exactly(message)):
        connect().exec_command("/bin/true")
    assert fake_bin.calls() == []


def test_exec_nsenter_not_found(fake_bin: FakeBin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nsenter, "CONTAINER_PATH", str(fake_bin.folder))  # no nsenter there either
    message = (
        "'nsenter' not found: install util-linux, or set MODSKEL_CONNECTION=exec: "
        "[Errno 2] No such file or directory: 'nsenter'"
    )
    with pytest.raises(AnsibleError, match=exactly(message)):
        connect(modskel_container_pid="4242").exec_command("/bin/true")


@pytest.mark.parametrize("pid", ["", "4242"], ids=["exec", "nsenter"])
def test_put_and_fetch_file(box: FakeBin, tmp_path: Path, pid: str) -> None:
    connection = connect(modskel_container_pid=pid)
    local, remote, back = tmp_path / "module.py", tmp_path / "in box's tmp.py", tmp_path / "back"
    local.write_bytes(b"print('hi')\n\x00\xff")
    connection.put_file(str(local), str(remote))
    assert remote.read_bytes() == local.read_bytes()
    connection.fetch_file(str(remote), str(back))
    assert back.read_bytes() == local.read_bytes()
    via = ["nsenter --target 4242 --all"] if pid else ["podman exec -i box", "podman exec box"]
    assert box.calls() == [
        f"{via[0]} /bin/sh -c cat > {shlex.quote(str(remote))}",
        f"{via[-1]} cat {remote}",
    ]


@pytest.mark.parametrize("pid", ["", "4242"], ids=["exec", "nsenter"])
def test_put_file_fails(box: FakeBin, tmp_path: Path, pid: str) -> None:
    local, remote = tmp_path / "module.py", tmp_path / "missing" / "module.py"
    local.write_text("print('hi')\n", encoding="utf-8")
    with pytest.raises(
        AnsibleError, match=rf"^failed to write {remote} in the container: \S*sh: .*{remote}.*$"
    ):
        connect(modskel_container_pid=pid).put_file(str(local), str(remote))
    assert not remote.parent.exists()
    assert len(box.calls()) == 1


@pytest.mark.parametrize("pid", ["", "4242"], ids=["exec", "nsenter"])
def test_fetch_file_fails(box: FakeBin, tmp_path: Path, pid: str) -> None:
    remote, back = tmp_path / "absent", tmp_path / "back"
    message = f"failed to read {remote} in the container: cat: {remote}: No such file or directory"
    with pytest.raises(AnsibleError, match=exactly(message)):
        connect(modskel_container_pid=pid).fetch_file(str(remote), str(back))
    assert not back.exists()
    assert len(box.calls()) == 1
