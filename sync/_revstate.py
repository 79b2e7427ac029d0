"""The kiosk's revocation state: the PKRL files TUF verified, turned into the revocation index.

``codes.RevocationIndex`` is the province-scale lookup structure; this module only converts the
service's wire files (``codes.wire``, PKRL) into index content and keeps exactly one current index
file, replaced atomically: a crash while a delta is applied leaves the previous version whole.

The service keeps one status per (type, key), so a wire record replaces everything the index
holds for its key (``sync._revwire.encode_delta`` merges a delta that way, streamed).

Each installed file's CRC is checked once, right after the sync wrote it, and the identity of
the checked file is kept beside it (``CHECKED_FILE``): opening that same file later skips the
whole-file read, so the first card tap after a start or a list update does not pay for it.
Any other file at the path (a crash between the two writes, a file copied in by hand) is
checked on open as before.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from pathlib import Path
from typing import TYPE_CHECKING

from codes import (
    HEADER_SIZE,
    DeviceError,
    IndexHeader,
    RevocationIndex,
    TokenError,
    write_atomic,
)
from sync._revfile import (
    FileIdentity,
    open_index_file,
    verify_index_file,
    write_index_file,
    write_index_with,
)

# numpy is loaded only when lists arrive (sync._revwire), never to read the index; so is the
# list file format (codes.wire._lists).
if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from codes.wire import ListHeader

INDEX_FILE = "revocations.pkridx"
CHECKED_FILE = INDEX_FILE + ".checked"
# The identity line is ~60 bytes; anything longer is not ours and is ignored.
_MAX_CHECKED_BYTES = 256
# A delta is applied record by record in Python; the service caps what it publishes as a delta
# (KEEP_DELTAS) and a bigger jump takes the full snapshot, so 5 M records is a safe ceiling.
MAX_DELTA_RECORDS = 5_000_000


def _read_wire(path: Path, *, kind: str, expect_version: int) -> tuple[mmap.mmap, ListHeader]:
    from codes.wire import HEADER, decode_header

    with open(path, "rb") as f:
        size = f.seek(0, 2)
        if size < HEADER.size:
            raise TokenError("malformed", f"expected a PKRL file of at least {HEADER.size} "
                                          f"bytes, got {size}")
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    header = decode_header(buf[:HEADER.size], total_size=size)
    if header.kind != kind or header.version != expect_version:
        buf.close()
        raise TokenError("malformed", f"expected a {kind} list of version {expect_version}, got "
                                      f"a {header.kind} list of version {header.version}")
    return buf, header


def _close(buf: mmap.mmap) -> None:
    # On an error the traceback may still hold arrays viewing the map; it is then unmapped
    # when those are collected.
    with contextlib.suppress(BufferError):
        buf.close()


class RevocationState:
    """One index file in ``directory``, replaced whole on every change."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / INDEX_FILE
        self.checked_path = directory / CHECKED_FILE

    def version(self) -> int:
        """The list version of the current index (0 when there is none)."""
        try:
            with open(self.path, "rb") as f:
                head = f.read(HEADER_SIZE)
        except FileNotFoundError:
            return 0
        return IndexHeader.parse(head).version

    def counts(self) -> dict[str, int]:
        try:
            with open(self.path, "rb") as f:
                h = IndexHeader.parse(f.read(HEADER_SIZE))
        except FileNotFoundError:
            return {"token": 0, "subject": 0, "card": 0}
        return {"token": h.tokens, "subject": h.subjects, "card": h.cards}

    def open(self) -> RevocationIndex:
        """The current index, memory-mapped (a RevocationView); empty if never synced."""
        if not self.path.exists():
            # Never synced (rare): building even an empty index loads numpy.
            from codes.indexing import encode_columns

            return RevocationIndex(encode_columns(version=0).to_bytes())
        return open_index_file(self.path, checked=self._checked())

    def _checked(self) -> FileIdentity | None:
        try:
            with open(self.checked_path, "rb") as f:
                raw = f.read(_MAX_CHECKED_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DeviceError(f"reading {self.checked_path} failed: {exc}") from exc
        if len(raw) > _MAX_CHECKED_BYTES:
            return None
        return FileIdentity.from_text(raw.decode("ascii", "replace"))

    def _check_installed(self) -> None:
        """Check the CRC of the file just installed, once, and record which file that was."""
        identity = verify_index_file(self.path)
        write_atomic(self.checked_path, identity.to_text().encode("ascii"))

    def install_full(self, wire: Path, *, expect_version: int) -> None:
        """Replace the index with a full snapshot, streamed (``sync._revwire``)."""
        from codes.wire import HEADER, decode_header
        from sync._revwire import encode_snapshot

        try:
            fd = os.open(wire, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise DeviceError(f"opening list snapshot {wire} failed: {exc}") from exc
        try:
            size = os.fstat(fd).st_size
            if size < HEADER.size:
                raise TokenError("malformed", f"expected a PKRL file of at least {HEADER.size} "
                                              f"bytes, got {size}")
            header = decode_header(os.pread(fd, HEADER.size, 0), total_size=size)
            if header.kind != "full" or header.version != expect_version:
                raise TokenError("malformed", f"expected a full list of version "
                                              f"{expect_version}, got a {header.kind} list of "
                                              f"version {header.version}")
            self.directory.mkdir(parents=True, exist_ok=True)
            write_index_with(self.path, lambda out: encode_snapshot(fd, header, out))
        finally:
            os.close(fd)
        self._check_installed()

    def apply_delta(self, wire: Path, *, expect_version: int) -> None:
        """Apply one delta to the current index; the result replaces it atomically.

        The merge is streamed (``sync._revwire.encode_delta``): the current index is read in
        slices with ``pread``, after its CRC was checked by reading it (a damaged index must
        not be carried forward into the new version).
        """
        from sync._revwire import decode_records

        buf, header = _read_wire(wire, kind="delta", expect_version=expect_version)
        try:
            if header.count > MAX_DELTA_RECORDS:
                raise TokenError("too_large", f"expected a delta of at most {MAX_DELTA_RECORDS} "
                                              f"records, got {header.count}")
            current = self.version()
            if header.base != current:
                raise TokenError("malformed", f"expected a delta based on version {current}, "
                                              f"got base {header.base}")
            self._merge(decode_records(memoryview(buf), header, delta=True), header.version)
        finally:
            _close(buf)
        self._check_installed()

    def _merge(self, rec: npt.NDArray[np.void], version: int) -> None:
        from codes.indexing import encode_columns
        from sync._revwire import encode_delta

        if not self.path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            write_index_file(self.path, encode_columns(version=0))
        with open_index_file(self.path) as old:
            write_index_with(self.path, lambda out: encode_delta(old, rec, version=version,
                                                                 out=out))


__all__ = ["CHECKED_FILE", "INDEX_FILE", "RevocationState"]
