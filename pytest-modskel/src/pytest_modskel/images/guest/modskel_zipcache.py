# ruff: noqa: INP001 - copied into the guest as a top-level module
"""Keep the code Python compiles from zip archives: Ansible's module payloads.

Installed by modskel in the VM images it builds, and nowhere else. Ansible
runs every module from a zip payload, and Python caches no bytecode for code
imported from a zip, so each task compiles ``ansible.module_utils`` again:
about a second per task under TCG emulation. This keeps each compiled module
under ``/var/cache/modskel-pyc``, keyed by a hash of its source, and hands it
back with the current payload's file name, exactly as if it were compiled
again. A ``.pth`` file imports it when Python starts.
"""

from __future__ import annotations

import _imp
import marshal
import os
import zipimport

try:  # hashlib would load OpenSSL in every Python process the guest starts (60 ms under TCG)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

TYPE_CHECKING = False  # not typing's: importing typing costs each process 50 ms under TCG
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType

    Compile = Callable[[str, bytes], CodeType]

CACHE = "/var/cache/modskel-pyc"


def cached_compile(cache: str, compile_source: Compile) -> Compile:
    """Wrap zipimport's ``_compile_source`` with a cache of compiled code in ``cache``."""

    def compiled(pathname: str, source: bytes) -> CodeType:
        path = os.path.join(cache, blake2b(source, digest_size=20).hexdigest())  # noqa: PTH118
        try:
            with open(path, "rb") as stream:  # noqa: PTH123
                code = marshal.loads(stream.read())  # noqa: S302 - our own cache, root's
        except (OSError, ValueError, EOFError, TypeError):
            code = compile_source(pathname, source)
            store(path, code)
            return code
        _imp._fix_co_filename(code, pathname)  # type: ignore[attr-defined]  # noqa: SLF001 - as importlib does
        return code  # type: ignore[no-any-return]

    return compiled


def store(path: str, code: CodeType) -> None:
    """Write ``code`` to ``path`` atomically; a read-only or full cache is no error."""
    partial = f"{path}.{os.getpid()}"
    try:
        with open(partial, "wb") as stream:  # noqa: PTH123
            stream.write(marshal.dumps(code))
        os.replace(partial, path)  # noqa: PTH105
    except OSError:
        pass


def install(cache: str = CACHE) -> None:
    """Make zipimport use the cache (once per interpreter)."""
    current = getattr(zipimport, "_compile_source", None)  # a private name: may go away
    if current is not None and not getattr(current, "modskel_cache", None):
        wrapped = cached_compile(cache, current)
        wrapped.modskel_cache = cache  # type: ignore[attr-defined]
        zipimport._compile_source = wrapped  # type: ignore[attr-defined]  # noqa: SLF001


if os.path.isdir(CACHE):  # pragma: no cover  # noqa: PTH112 - only guest images have it
    install()
