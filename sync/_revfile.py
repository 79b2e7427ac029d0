"""Revocation index files: atomic write, mmap open, delta apply by atomic swap.

The index format and all computation are sans-IO in ``codes`` (``RevocationIndex`` reads any
buffer it is handed) and ``codes.indexing`` (building, merging); this module only moves bytes
between them and the disk. The kiosk reads its index with ``pread`` (one read per lookup, see
``RevocationIndex``), so the file's pages stay in the kernel's page cache and never count in the
kiosk's resident memory; merging a delta maps the old file (numpy views it).

The rule that keeps a kiosk safe through power cuts: a file at ``path`` is never modified in
place. New content goes to a temporary file in the same directory, is fsynced, renamed over
``path`` (atomic on POSIX) and the directory is fsynced, so after a crash ``path`` holds either
the old version or the new one, whole. An index opened before a swap keeps reading the old
inode until it is closed.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from codes import (
    HEADER_SIZE,
    DeviceError,
    IndexHeader,
    RevocationEntry,
    RevocationIndex,
    RevocationIndexError,
    atomic_file,
    remove_stale_temps,
)

# Building and merging load numpy (codes.indexing); opening and reading an index must not, so
# ``passkiosk verify --data`` stays light: they are imported where a file is built.
if TYPE_CHECKING:
    from codes.indexing import DeltaOp, EncodedIndex

_READ_CHUNK = 1 << 20


class RevocationFileError(DeviceError):
    """Reading or writing an index file failed at the OS level (disk full, permissions...)."""


def write_index_file(path: str | os.PathLike[str], content: EncodedIndex) -> None:
    """Write ``content`` to ``path`` atomically (temp file, fsync, rename, fsync directory)."""
    target = Path(path)
    remove_stale_temps(target)
    try:
        with atomic_file(target) as f:
            for chunk in content.chunks:
                f.write(chunk)
    except OSError as exc:
        raise RevocationFileError(f"writing revocation index {target} failed: {exc}") from exc


def write_index_with(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Write an index to ``path`` atomically through ``write(file)`` (a streamed encoder)."""
    target = Path(path)
    remove_stale_temps(target)
    try:
        with atomic_file(target) as f:
            write(f)
    except OSError as exc:
        raise RevocationFileError(f"writing revocation index {target} failed: {exc}") from exc


def build_index_file(path: str | os.PathLike[str], entries: Iterable[RevocationEntry], *,
                     version: int = 0) -> None:
    """Build an index from entries and write it atomically to ``path``."""
    from codes.indexing import encode_entries

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


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """Which file an index was checked as: inode, size, change time and the header's CRC.

    An atomic swap always brings a new inode, so a file with the same identity is the very
    file whose CRC was checked (a rewrite in place would also change size or mtime).
    """

    device: int
    inode: int
    size: int
    mtime_ns: int
    body_crc32: int

    def to_text(self) -> str:
        return (f"{self.device} {self.inode} {self.size} {self.mtime_ns} "
                f"{self.body_crc32:08x}\n")

    @staticmethod
    def from_text(text: str) -> FileIdentity | None:
        """The identity written by :meth:`to_text`; None for anything else (then re-check)."""
        parts = text.split()
        if len(parts) != 5:
            return None
        try:
            return FileIdentity(int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]),
                                int(parts[4], 16))
        except ValueError:
            return None


def _identity(st: os.stat_result, header: IndexHeader) -> FileIdentity:
    return FileIdentity(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, header.body_crc32)


def verify_index_file(path: str | os.PathLike[str]) -> FileIdentity:
    """Check the structure and CRC of the index file at ``path`` by reading it (no mmap, so
    RSS does not grow); return the identity of the file checked.

    The sync calls this once after it installed a file, so the kiosk's first lookup on the new
    version does not pay for reading the whole file (``open_index_file(checked=...)``).
    """
    target = Path(path)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise RevocationFileError(f"opening revocation index {target} failed: {exc}") from exc
    try:
        st = os.fstat(fd)
        header = _checked_header(fd, st.st_size, target)
        _check_crc_by_reading(fd, header)
        return _identity(st, header)
    except OSError as exc:
        raise RevocationFileError(f"reading revocation index {target} failed: {exc}") from exc
    finally:
        os.close(fd)


def _checked_header(fd: int, size: int, target: Path) -> IndexHeader:
    header = IndexHeader.parse(os.pread(fd, HEADER_SIZE, 0))
    if size != header.length:
        raise RevocationIndexError(f"index {target} truncated or padded: header says "
                                   f"{header.length} bytes, file has {size}")
    return header


class _FileReads:
    """An open index file read by slices with ``os.pread`` (a ``codes`` ``IndexBuffer``).

    Nothing is mapped: a 10 M-entry index mapped into the kiosk used to add the pages lookups
    touched to its resident set (a fault maps the whole page-cache folio around a page, so a
    few thousand random lookups mapped most of the 172 MB file). A file that shrinks under a
    map kills the process with SIGBUS; here a short read is an error that says so.
    """

    __slots__ = ("_fd", "_path", "_size")

    def __init__(self, fd: int, size: int, path: Path) -> None:
        self._fd = fd
        self._size = size
        self._path = path

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: slice, /) -> bytes:
        start, stop, step = index.indices(self._size)
        if step != 1:
            raise ValueError(f"expected a contiguous slice, got step {step}")
        want = max(0, stop - start)
        try:
            data = os.pread(self._fd, want, start)
        except OSError as exc:
            raise RevocationFileError(f"reading revocation index {self._path} failed: "
                                      f"{exc}") from exc
        if len(data) != want:
            raise RevocationFileError(f"revocation index {self._path} changed while open: "
                                      f"expected {want} bytes at offset {start}, got "
                                      f"{len(data)}")
        return data

    def close(self) -> None:
        os.close(self._fd)


def open_index_file(path: str | os.PathLike[str], *, verify: bool = True,
                    checked: FileIdentity | None = None,
                    mapped: bool = False) -> RevocationIndex:
    """Open an index file read-only; close it with ``close()`` (or ``with``).

    ``verify`` checks the CRC of the whole file first (one sequential read: 0.1-0.3 s per
    172 MB from the page cache), unless the open file is ``checked``, the identity
    :func:`verify_index_file` returned for it; structure and length are always checked. A
    damaged file raises :class:`codes.RevocationIndexError`, an OS failure
    :class:`RevocationFileError`. Lookups read the file with ``pread``; ``mapped`` maps it
    instead, for merging a delta into it (``codes.indexing.apply_delta`` views it with numpy).
    """
    target = Path(path)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise RevocationFileError(f"opening revocation index {target} failed: {exc}") from exc
    try:
        st = os.fstat(fd)
        header = _checked_header(fd, st.st_size, target)
        if verify and (checked is None or _identity(st, header) != checked):
            _check_crc_by_reading(fd, header)
        if mapped:
            mm = mmap.mmap(fd, st.st_size, access=mmap.ACCESS_READ)
        else:
            # Lookups are random: no read-ahead around each read.
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    except OSError as exc:
        os.close(fd)
        raise RevocationFileError(f"reading revocation index {target} failed: {exc}") from exc
    except BaseException:
        os.close(fd)
        raise
    if not mapped:
        reads = _FileReads(fd, st.st_size, target)
        try:
            return RevocationIndex(reads, on_close=reads.close)
        except BaseException:
            reads.close()
            raise
    os.close(fd)  # the mapping keeps the file alive
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
    from codes.indexing import apply_delta

    old = open_index_file(path, verify=False, mapped=True)
    content: EncodedIndex | None = None
    try:
        # The merge reads every page anyway; check the CRC there: a damaged index must not be
        # carried forward into the new version.
        old.check_body()
        content = apply_delta(old, ops, version=version)
        write_index_file(path, content)
    finally:
        content = None  # drops the views into the old mapping so it can be unmapped
        old.close()
    return open_index_file(path, verify=False)


__all__ = [
    "FileIdentity",
    "RevocationFileError",
    "apply_delta_file",
    "build_index_file",
    "open_index_file",
    "verify_index_file",
    "write_index_file",
    "write_index_with",
]
