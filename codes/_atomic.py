"""The one crash-safe way either side replaces a file.

A file at ``path`` is never modified in place: new content goes to a temporary file in the same
directory, is fsynced, renamed over ``path`` (atomic on POSIX) and the directory is fsynced, so
after a power cut ``path`` holds either the old content or the new one, whole, and the rename
itself is durable. Temporary names carry the writer's pid so a later writer can delete what a
killed one left behind.

This is the only module of ``codes`` that touches the file system; verification never imports it.
It lives here because the kiosk side and the service share it and share nothing but ``codes``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_TMP_MARK = ".tmp-"


def temp_name(path: Path) -> Path:
    """A fresh temporary name beside ``path``, marked with this process's pid."""
    import secrets  # only writers get here; a read-only command imports this module only

    return path.with_name(f".{path.name}{_TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def fsync_dir(directory: Path) -> None:
    """Make renames and new names in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(path: Path) -> None:
    """Delete temporary files beside ``path`` whose writer process no longer runs."""
    prefix = f".{path.name}{_TMP_MARK}"
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        pid_text = name[len(prefix):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue  # its writer is still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # alive, another user's
        with contextlib.suppress(OSError):
            os.unlink(path.parent / name)


def _commit(tmp: Path, path: Path, *, exclusive: bool) -> None:
    if exclusive:
        # link() fails if path exists: two writers racing on a first-use file agree on one.
        try:
            os.link(tmp, path)
        finally:
            tmp.unlink()
    else:
        os.replace(tmp, path)
    fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_file(path: Path, *, mode: int = 0o644, exclusive: bool = False) -> Iterator[BinaryIO]:
    """Open a temporary file to write; on a clean exit it replaces ``path`` durably.

    ``mode`` is set at creation (0o600 for keys: never readable by others, not even briefly).
    With ``exclusive`` an existing ``path`` is kept and ``FileExistsError`` raised. On any
    exception the temporary file is removed and ``path`` is untouched. The folder must exist.
    """
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _commit(tmp, path, exclusive=exclusive)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, exclusive: bool = False) -> None:
    """Replace ``path`` with ``data`` durably (see :func:`atomic_file`), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, mode=mode, exclusive=exclusive) as f:
        f.write(data)


def install_atomic(source: Path, path: Path) -> None:
    """Put a copy of ``source`` at ``path`` durably; a hard link when both share a file system
    (no copy of a large list snapshot), else a byte copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        try:
            os.link(source, tmp)
        except OSError:
            import shutil  # only when the two are on different file systems

            shutil.copyfile(source, tmp)
        fd = os.open(tmp, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _commit(tmp, path, exclusive=False)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
