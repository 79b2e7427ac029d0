"""Revocation index files: atomic write, mmap open, delta apply by atomic swap.

The index format and all computation live in ``codes._revindex`` (sans-IO); this module only
moves bytes between it and the disk. The rule that keeps a kiosk safe through power cuts: a
file at ``path`` is never modified in place. New content goes to a temporary file in the same
directory, is fsynced, renamed over ``path`` (atomic on POSIX) and the directory is fsynced, so
after a crash ``path`` holds either the old version or the new one, whole. An index opened
before a swap keeps reading the old inode until it is closed.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from codes import DeviceError
from codes._revindex import (
    HEADER_SIZE,
    DeltaOp,
    EncodedIndex,
    IndexHeader,
    RevocationEntry,
    RevocationIndex,
    RevocationIndexError,
    encode_entries,
)

_READ_CHUNK = 1 << 20
_TMP_MARK = ".tmp-"


class RevocationFileError(DeviceError):
    """Reading or writing an index file failed at the OS level (disk full, permissions...)."""


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}{_TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files left by a writer that died (its pid no longer runs)."""
    prefix = f".{path.name}{_TMP_MARK}"
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        pid_text = name[len(prefix):].split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid():
            continue  # ours: never touch a temp this process may still be writing
        try:
            os.kill(pid, 0)
            continue  # its writer is still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # alive, someone else's
        with contextlib.suppress(OSError):
            os.unlink(path.parent / name)


def write_index_file(path: str | os.PathLike[str], content: EncodedIndex) -> None:
    """Write ``content`` to ``path`` atomically (temp file, fsync, rename, fsync directory)."""
    target = Path(path)
    _remove_stale_temps(target)
    tmp = _tmp_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            for chunk in content.chunks:
                view = chunk
                while view.nbytes:
                    written = os.write(fd, view)
                    view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise RevocationFileError(f"writing revocation index {target} failed: {exc}") from exc


def build_index_file(path: str | os.PathLike[str], entries: Iterable[RevocationEntry], *,
                     version: int = 0) -> None:
    """Build an index from entries and write it atomically to ``path``."""
    write_index_file(path, encode_entries(entries, version=version))


def _check_crc_by_reading(fd: int, header: IndexHeader) -> None:
    """Stream the body through the CRC with read(), so the check does not inflate RSS."""

    def chunks() -> Iterable[bytes]:
        os.lseek(fd, HEADER_SIZE, os.SEEK_SET)
        left = header.length - HEADER_SIZE
        while left > 0:
            data = os.read(fd, min(_READ_CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data

    header.check_body(chunks())


def open_index_file(path: str | os.PathLike[str], *, verify: bool = True) -> RevocationIndex:
    """Open an index file read-only with mmap; close it with ``close()`` (or ``with``).

    ``verify`` checks the CRC of the whole file first (one sequential read: ~0.1 s per 200 MB
    from the page cache); structure and length are always checked. A damaged file raises
    :class:`codes.RevocationIndexError`, an OS failure :class:`RevocationFileError`.
    """
    target = Path(path)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise RevocationFileError(f"opening revocation index {target} failed: {exc}") from exc
    try:
        size = os.fstat(fd).st_size
        head = os.pread(fd, HEADER_SIZE, 0)
        header = IndexHeader.parse(head)
        if size != header.length:
            raise RevocationIndexError(f"index {target} truncated or padded: header says "
                                       f"{header.length} bytes, file has {size}")
        if verify:
            _check_crc_by_reading(fd, header)
        mm = mmap.mmap(fd, size, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise RevocationFileError(f"reading revocation index {target} failed: {exc}") from exc
    finally:
        os.close(fd)  # the mapping keeps the file alive
    # Lookups are random: tell the kernel not to read ahead around each touched page.
    mm.madvise(mmap.MADV_RANDOM)

    def unmap() -> None:
        # A view (e.g. an EncodedIndex) may still use it; then it is unmapped when that goes.
        with contextlib.suppress(BufferError):
            mm.close()

    try:
        return RevocationIndex(mm, on_close=unmap)
    except BaseException:
        mm.close()
        raise


def apply_delta_file(path: str | os.PathLike[str], ops: Iterable[DeltaOp], *,
                     version: int | None = None) -> RevocationIndex:
    """Apply ``ops`` to the index at ``path`` as a new file swapped in atomically.

    Returns the new index, opened. If the process dies at any point, ``path`` still holds the
    previous version, whole (a leftover temp file is removed by the next write). Indexes that
    were open on the old file keep working until closed. One writer at a time: concurrent
    appliers would each swap in their own result (the caller serialises, e.g. the sync loop).
    """
    old = open_index_file(path, verify=False)
    content: EncodedIndex | None = None
    try:
        # The merge reads every page anyway; check the CRC there: a damaged index must not be
        # carried forward into the new version.
        old.check_body()
        content = old.apply_delta(ops, version=version)
        write_index_file(path, content)
    finally:
        content = None  # drops the views into the old mapping so it can be unmapped
        old.close()
    return open_index_file(path, verify=False)


__all__ = [
    "RevocationFileError",
    "apply_delta_file",
    "build_index_file",
    "open_index_file",
    "write_index_file",
]
