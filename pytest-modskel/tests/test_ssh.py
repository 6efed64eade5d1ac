"""The ssh driver: addresses, ssh_config blocks, inventories, logging in (fake ssh)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import FakeBin, exactly
from pytest_modskel.drivers import ssh
from pytest_modskel.drivers.base import Session
from pytest_modskel.drivers.ssh import Address, SshTarget, hosts_as_platforms, parse_url
from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.platforms import Platform

OPTIONS = [f"  {option}" for option in ssh.OPTIONS]
REFUSED = "ssh: connect to host h port 22: Connection refused"


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("ssh://admin@web.example:2222", Address("web.example", "admin", 2222)),
        ("ssh://web.example", Address("web.example")),
        ("ssh://web.example/", Address("web.example")),
        ("admin@10.0.0.5", Address("10.0.0.5", "admin")),
        ("web:22", Address("web", "", 22)),
        ("web:0", Address("web")),
        ("ssh://[::1]:2200", Address("::1", "", 2200)),
    ],
    ids=["full", "host-only", "trailing-slash", "no-scheme", "port-no-scheme", "port-zero",
         "ipv6"],
)  # fmt: skip
def test_parse_url(entry: str, address: Address) -> None:
    assert parse_url(entry) == address


def test_parse_url_carries_the_key() -> None:
    assert parse_url("ssh://h", key="/keys/id").key == "/keys/id"


@pytest.mark.parametrize(
    "entry",
    ["http://web", "ssh://web/home", "web:abc", "ssh://web:99999", "ssh://:22", "ssh://"],
    ids=["wrong-scheme", "path", "port-not-a-number", "port-out-of-range", "no-host", "empty"],
)
def test_parse_url_rejects(entry: str) -> None:
    message = f"host '{entry}' is not an ssh address: write ssh://[user@]host[:port]"
    with pytest.raises(ConfigError, match=exactly(message)):
        parse_url(entry)


@pytest.mark.parametrize(
    ("address", "url"),
    [
        (Address("h"), "ssh://h"),
        (Address("h", "root"), "ssh://root@h"),
        (Address("h", port=2222), "ssh://h:2222"),
        (Address("h", "root", 2222, "/k"), "ssh://root@h:2222"),
    ],
    ids=["host", "user", "port", "all"],
)
def test_address_url(address: Address, url: str) -> None:
    assert address.url == url
    assert parse_url(url, address.key) == address


def test_ipv6_host_survives_the_round_trip() -> None:
    (platform,) = hosts_as_platforms("ssh://root@[::1]:2222")
    assert parse_url(platform.image) == Address("::1", "root", 2222)


def test_config_minimal() -> None:
    assert Address("web").config("box").splitlines() == ["Host box", "  HostName web", *OPTIONS]


def test_config_full(tmp_path: Path) -> None:
    include = tmp_path / "vagrant.conf"
    text = Address("10.0.0.5", "admin", 2222, "/keys/id").config("box", include)
    assert text.endswith("\n")
    assert text.splitlines() == [
        f"Include {include.resolve()}",
        "Host box",
        "  HostName 10.0.0.5",
        "  User admin",
        "  Port 2222",
        "  IdentityFile /keys/id",
        "  IdentitiesOnly yes",
        *OPTIONS,
    ]


def test_configured_writes_the_file(tmp_path: Path) -> None:
    address = Address("10.0.0.5", "root", 22)
    target = SshTarget.configured("box", address, tmp_path)
    assert target == SshTarget("box", tmp_path / "ssh_config", address)
    assert target.ssh_config.read_text(encoding="utf-8") == address.config("box")


@pytest.mark.parametrize(
    ("become", "python", "line"),
    [
        (False, "auto_silent",
         ("box ansible_connection=ssh ansible_ssh_pipelining=true "
          "ansible_ssh_common_args='-F /w/ssh_config' ansible_python_interpreter=auto_silent")),
        (True, "/usr/bin/python3",
         ("box ansible_connection=ssh ansible_ssh_pipelining=true "
          "ansible_ssh_common_args='-F /w/ssh_config' "
          "ansible_python_interpreter=/usr/bin/python3 ansible_become=true")),
    ],
    ids=["root", "become"],
)  # fmt: skip
def test_inventory_line(become: bool, python: str, line: str) -> None:  # noqa: FBT001
    target = SshTarget("box", Path("/w/ssh_config"), Address("h"), become=become)
    assert target.with_python(python).inventory_line() == line


def test_with_python_keeps_the_rest() -> None:
    target = SshTarget("box", Path("/w/c"), Address("h"), become=True)
    assert target.with_python("/py") == SshTarget(
        "box", Path("/w/c"), Address("h"), "/py", become=True
    )


@pytest.mark.parametrize("become", [False, True], ids=["root", "become"])
def test_testinfra_host(become: bool) -> None:  # noqa: FBT001
    host = SshTarget("box", Path("/w/ssh_config"), Address("h"), become=become).testinfra_host()
    assert host.backend.NAME == "ssh"
    assert host.backend.host.name == "box"
    assert host.backend.ssh_config == "/w/ssh_config"
    assert host.backend.sudo is become


@pytest.mark.parametrize(
    ("become", "logged"),
    [(False, "ssh -F {config} box echo hi"),
     (True, "ssh -F {config} box sudo -n sh -c 'echo hi'")],
    ids=["root", "become"],
)  # fmt: skip
def test_sh(fake_bin: FakeBin, tmp_path: Path, become: bool, logged: str) -> None:  # noqa: FBT001
    fake_bin.add("ssh", "echo out; echo err >&2; exit 3")
    config = tmp_path / "ssh_config"
    done = SshTarget("box", config, Address("h"), become=become).sh("echo hi")
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")
    assert fake_bin.calls() == [logged.format(config=config)]


def test_wait_for_ssh(fake_bin: FakeBin, tmp_path: Path) -> None:
    target = SshTarget("box", tmp_path / "c", Address("h"))
    fake_bin.add("ssh", "exit 0")
    assert ssh.wait_for_ssh(target) is None
    fake_bin.add("ssh", f"echo 'warning: x' >&2; echo '{REFUSED}' >&2; exit 255")
    assert ssh.wait_for_ssh(target) == REFUSED
    fake_bin.add("ssh", "exit 5")
    assert ssh.wait_for_ssh(target) == "exit 5"


class _Silent(SshTarget):
    def sh(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(["ssh", command], timeout)


def test_wait_for_ssh_timeout(tmp_path: Path) -> None:
    assert ssh.wait_for_ssh(_Silent("box", tmp_path / "c", Address("h"))) == "no answer in 15 s"


def test_preflight(fake_bin: FakeBin) -> None:
    ssh.preflight([])  # nothing to reach: no ssh needed
    platform = Platform("box", "ssh://h", kind="ssh")
    with pytest.raises(
        SetupError,
        match=r"^ssh is not installed, needed to reach test machines: "
        r"apt-get install openssh-client$",
    ):
        ssh.preflight([platform])
    fake_bin.add("ssh")
    ssh.preflight([platform])


def test_hosts_as_platforms_from_urls() -> None:
    platforms = hosts_as_platforms("ssh://admin@web:2222, db ,", key="/keys/id")
    assert platforms == [
        Platform(
            "web-2222", "ssh://admin@web:2222", "web-2222", kind="ssh", systemd=True, key="/keys/id"
        ),
        Platform("db", "ssh://db", "db", kind="ssh", systemd=True, key="/keys/id"),
    ]


def test_hosts_as_platforms_bad_entry() -> None:
    with pytest.raises(ConfigError, match=r"^host 'ftp://x' is not an ssh address"):
        hosts_as_platforms("ssh://web,ftp://x")


INVENTORY = {
    "_meta": {
        "hostvars": {
            "web1": {"ansible_host": "10.0.0.5", "ansible_user": "admin", "ansible_port": 2222,
                     "ansible_ssh_private_key_file": "/keys/web"},
            "db": {},
        }
    },
    "all": {"children": ["ungrouped"]},
}  # fmt: skip


@pytest.fixture
def inventory(fake_bin: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An inventory file and a fake ansible-inventory that lists ``INVENTORY``."""
    monkeypatch.setattr(ssh, "ansible_bin", lambda name: str(fake_bin.folder / name))
    fake_bin.add("ansible-inventory", f"printf '%s\\n' '{json.dumps(INVENTORY)}'")
    path = tmp_path / "hosts.ini"
    path.write_text("web1\ndb\n", encoding="utf-8")
    return path


def test_from_inventory(inventory: Path, fake_bin: FakeBin) -> None:
    assert ssh.from_inventory(inventory, key="/keys/default") == [
        ("web1", Address("10.0.0.5", "admin", 2222, "/keys/web")),
        ("db", Address("db", "", 0, "/keys/default")),
    ]
    assert fake_bin.calls() == [f"ansible-inventory -i {inventory} --list"]


def test_hosts_as_platforms_from_an_inventory(inventory: Path) -> None:
    platforms = hosts_as_platforms(str(inventory))
    assert [(p.id, p.image, p.key, p.kind) for p in platforms] == [
        ("web1", "ssh://admin@10.0.0.5:2222", "/keys/web", "ssh"),
        ("db", "ssh://db", "", "ssh"),
    ]


@pytest.mark.parametrize(
    "body",
    ["echo 'ERROR! bad inventory' >&2; exit 1", "printf '%s\\n' '{\"_meta\": {\"hostvars\": {}}}'"],
    ids=["fails", "no-hosts"],
)
def test_from_inventory_without_hosts(inventory: Path, fake_bin: FakeBin, body: str) -> None:
    fake_bin.add("ansible-inventory", body)
    with pytest.raises(
        ConfigError,
        match=rf"^inventory {inventory} lists no host: give hosts as ssh://user@host "
        r"or fix the inventory$",
    ):
        ssh.from_inventory(inventory)


SESSION = Session("web", "run1", "abc123")
SSH_BODY = """\
case "$4" in
  true) exit 0 ;;
  "id -u") echo "$UID_OF_TARGET" ;;
esac
"""


@pytest.mark.parametrize(
    ("uid", "become"), [("0", False), ("1000", True)], ids=["root", "sudo-user"]
)
def test_reached(
    fake_bin: FakeBin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    uid: str,
    become: bool,  # noqa: FBT001
) -> None:
    monkeypatch.setenv("UID_OF_TARGET", uid)
    fake_bin.add("ssh", SSH_BODY)
    platform = Platform("box", "ssh://admin@10.0.0.5:2222", kind="ssh", key="/keys/id")
    with ssh.DRIVER.start(platform, tmp_path, SESSION) as target:
        assert isinstance(target, SshTarget)
        assert target.become is become
        assert target.address == Address("10.0.0.5", "admin", 2222, "/keys/id")
        config = target.ssh_config.read_text(encoding="utf-8")
    assert "Host box\n  HostName 10.0.0.5\n  User admin\n  Port 2222\n" in config
    assert "Include" not in config
    assert [call.split(" ", 4)[-1] for call in fake_bin.calls()] == ["true", "id -u"]


def test_reached_includes_the_ssh_config_variable(
    fake_bin: FakeBin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    include = tmp_path / "vagrant-ssh-config"
    monkeypatch.setenv(ssh.CONFIG_VAR, str(include))
    monkeypatch.setenv("UID_OF_TARGET", "0")
    fake_bin.add("ssh", SSH_BODY)
    with ssh.reached(Platform("box", "default", kind="ssh"), tmp_path, SESSION) as target:
        first = target.ssh_config.read_text(encoding="utf-8").splitlines()[0]
    assert first == f"Include {include.resolve()}"


def test_reached_cannot_log_in(fake_bin: FakeBin, tmp_path: Path) -> None:
    fake_bin.add("ssh", f"echo '{REFUSED}' >&2; exit 255")
    platform = Platform("box", "ssh://h", kind="ssh")
    with (
        pytest.raises(
            SetupError,
            match=rf"^cannot log in to box over ssh \({REFUSED}\): "
            r"check --hosts and --ssh-identity-file$",
        ),
        ssh.reached(platform, tmp_path, SESSION),
    ):
        pytest.fail("a machine that refuses logins must not be yielded")


def test_driver() -> None:
    assert ssh.DRIVER.summary == "a machine you already have, reached over ssh; left as it is"
    ssh.DRIVER.remove_live()  # starts nothing, so removes nothing
