"""What modskel puts into the VM images it builds: the ssh key unit and the zip code cache."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import zipfile
import zipimport
from collections.abc import Iterator
from pathlib import Path
from types import CodeType

import pytest
from pytest_modskel.drivers import qemu
from pytest_modskel.images import vm
from pytest_modskel.images.guest import modskel_zipcache

SCRIPT = vm.GUEST / "modskel-ssh-key"
ORIGINAL = zipimport._compile_source  # type: ignore[attr-defined]  # what the cache wraps


def install_key(tmp_path: Path, cmdline: str) -> Path:
    """Run the guest's key script against a fake command line; return the home it wrote to."""
    (tmp_path / "cmdline").write_text(cmdline, encoding="utf-8")
    home = tmp_path / "root"
    env = {**os.environ, "CMDLINE": str(tmp_path / "cmdline"), "HOME_DIR": str(home)}
    subprocess.run(["/bin/sh", str(SCRIPT)], env=env, check=True)
    return home


def test_ssh_key_from_the_kernel_command_line(tmp_path: Path) -> None:
    public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+/x= modskel-web-vm12"
    home = install_key(tmp_path, f"root=/dev/vda rw {qemu.kernel_args(public, 'vm12')}\n")
    keys = home / ".ssh" / "authorized_keys"
    assert (
        keys.read_text(encoding="utf-8") == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+/x= modskel\n"
    )
    assert (keys.stat().st_mode & 0o777, keys.parent.stat().st_mode & 0o777) == (0o600, 0o700)


def test_no_key_on_the_command_line_writes_nothing(tmp_path: Path) -> None:
    assert not install_key(tmp_path, "root=/dev/vda rw console=ttyS0\n").exists()


def test_the_image_carries_the_guest_files() -> None:
    assert vm.FILES["usr/local/sbin/modskel-ssh-key"] == SCRIPT.read_text(encoding="utf-8")
    assert "Before=ssh.service" in vm.FILES["etc/systemd/system/modskel-ssh-key.service"]
    assert "modskel-ssh-key.service" in vm.ENABLE
    pth = vm.FILES["usr/lib/python3/dist-packages/modskel_zipcache.pth"]
    assert pth == "import modskel_zipcache\n"


# --- the zip code cache ------------------------------------------------------------------


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make zipimport use a cache in ``tmp_path / "cache"`` (undone afterwards)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(zipimport, "_compile_source", ORIGINAL)
    modskel_zipcache.install(str(cache))
    yield cache
    sys.modules.pop("payload_mod", None)


def import_from_zip(tmp_path: Path, name: str, source: str) -> object:
    """Import ``payload_mod`` from a new zip ``name`` holding ``source``."""
    archive = tmp_path / name
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("payload_mod.py", source)
    sys.modules.pop("payload_mod", None)
    sys.path.insert(0, str(archive))
    try:
        return importlib.import_module("payload_mod")
    finally:
        sys.path.remove(str(archive))


def test_code_from_a_zip_is_compiled_once(cached: Path, tmp_path: Path) -> None:
    source = "def where():\n    raise RuntimeError('here')\nVALUE = 41 + 1\n"
    first = import_from_zip(tmp_path, "a.zip", source)
    assert first.VALUE == 42  # type: ignore[attr-defined]
    (entry,) = cached.iterdir()
    compiles: list[str] = []

    def compile_source(pathname: str, _: bytes) -> CodeType:
        compiles.append(pathname)
        return compile("", pathname, "exec")

    zipped = modskel_zipcache.cached_compile(str(cached), compile_source)
    code = zipped(str(tmp_path / "b.zip" / "payload_mod.py"), source.encode())
    assert compiles == []  # served from the cache...
    assert code.co_filename == str(tmp_path / "b.zip" / "payload_mod.py")  # ...named anew
    second = import_from_zip(tmp_path, "b.zip", source)
    with pytest.raises(RuntimeError, match="here") as raised:
        second.where()  # type: ignore[attr-defined]
    assert str(raised.traceback[-1].path) == str(tmp_path / "b.zip" / "payload_mod.py")
    assert list(cached.iterdir()) == [entry]


def test_changed_source_is_compiled_again(cached: Path, tmp_path: Path) -> None:
    assert import_from_zip(tmp_path, "a.zip", "VALUE = 1\n").VALUE == 1  # type: ignore[attr-defined]
    assert import_from_zip(tmp_path, "b.zip", "VALUE = 2\n").VALUE == 2  # type: ignore[attr-defined]
    assert len(list(cached.iterdir())) == 2


def test_a_broken_entry_is_compiled_again(cached: Path, tmp_path: Path) -> None:
    import_from_zip(tmp_path, "a.zip", "VALUE = 3\n")
    (entry,) = cached.iterdir()
    entry.write_bytes(b"not marshal data")
    assert import_from_zip(tmp_path, "b.zip", "VALUE = 3\n").VALUE == 3  # type: ignore[attr-defined]


def test_an_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipimport, "_compile_source", ORIGINAL)
    modskel_zipcache.install(str(tmp_path / "missing"))
    try:
        assert import_from_zip(tmp_path, "a.zip", "VALUE = 4\n").VALUE == 4  # type: ignore[attr-defined]
    finally:
        sys.modules.pop("payload_mod", None)


def test_install_wraps_once(cached: Path) -> None:
    wrapped = zipimport._compile_source  # type: ignore[attr-defined]
    modskel_zipcache.install(str(cached))
    assert zipimport._compile_source is wrapped  # type: ignore[attr-defined]
    assert wrapped.modskel_cache == str(cached)
