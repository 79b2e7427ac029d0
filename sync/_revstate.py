"""The kiosk's revocation state: the PKRL files TUF verified, turned into the revocation index.

``codes.RevocationIndex`` is the province-scale lookup structure; this module only converts the
service's wire files (``codes.wire``, PKRL) into index content and keeps exactly one current index
file, replaced atomically: a crash while a delta is applied leaves the previous version whole.

The service keeps one status per (type, key), so a wire record replaces everything the index
holds for its key: ``RemoveKey`` then ``Put``.

Each installed file's CRC is checked once, right after the sync wrote it, and the identity of
the checked file is kept beside it (``CHECKED_FILE``): opening that same file later skips the
whole-file read, so the first card tap after a start or a list update does not pay for it.
Any other file at the path (a crash between the two writes, a file copied in by hand) is
checked on open as before.
"""

from __future__ import annotations

import contextlib
import mmap
from pathlib import Path

import numpy as np
import numpy.typing as npt

from codes import (
    HEADER_SIZE,
    DeviceError,
    EntryKind,
    IndexHeader,
    RevocationEntry,
    RevocationIndex,
    Severity,
    TokenError,
    write_atomic,
)
from codes.indexing import DeltaOp, EntryColumns, Put, RemoveKey, encode_columns
from codes.wire import HEADER, ListHeader, decode_header
from sync._revfile import (
    FileIdentity,
    apply_delta_file,
    open_index_file,
    verify_index_file,
    write_index_file,
)

INDEX_FILE = "revocations.pkridx"
CHECKED_FILE = INDEX_FILE + ".checked"
# The identity line is ~60 bytes; anything longer is not ours and is ignored.
_MAX_CHECKED_BYTES = 256
# A delta is applied record by record in Python; the service caps what it publishes as a delta
# (KEEP_DELTAS) and a bigger jump takes the full snapshot, so 5 M records is a safe ceiling.
MAX_DELTA_RECORDS = 5_000_000


RECORD_DTYPE = np.dtype([("type", "u1"), ("status", "u1"), ("key", "V16"), ("since", ">i8")])
_CMP_DTYPE = np.dtype([("type", "u1"), ("status", "u1"), ("k0", ">u8"), ("k1", ">u8"),
                       ("since", ">i8")])


def decode_records(data: bytes | memoryview, header: ListHeader,
                   *, delta: bool) -> npt.NDArray[np.void]:
    """The record array after the header, with every field checked (sorted, unique, in range)."""
    body = np.frombuffer(data, dtype=RECORD_DTYPE, count=header.count, offset=HEADER.size)
    if header.count == 0:
        return body
    if int(body["type"].max()) > 2:
        raise TokenError("malformed", f"expected record type 0..2, got {int(body['type'].max())}")
    status = body["status"]
    tokens = body["type"] == EntryKind.TOKEN
    if np.any(tokens & (status != Severity.REVOKED) & (status != Severity.GREEN)) or \
            np.any(~tokens & (status == Severity.REVOKED)) or int(status.max()) > 3:
        raise TokenError("malformed", "expected token records with status revoked/removed and "
                                      "subject/card records with yellow/red/removed")
    if not delta and np.any(status == Severity.GREEN):
        raise TokenError("malformed", "expected no 'removed' records in a full snapshot")
    if np.any(body["since"] < 0):
        raise TokenError("malformed", "expected since >= 0 in every record")
    # Sorted and unique by (type, key): view the key as two big-endian u64 so the check is a
    # vectorised lexicographic comparison of each record with the next (no copies of the keys).
    if header.count >= 2:
        cmp = np.frombuffer(data, dtype=_CMP_DTYPE, count=header.count, offset=HEADER.size)
        t, k0, k1 = cmp["type"], cmp["k0"], cmp["k1"]
        ok = (t[:-1] < t[1:]) | ((t[:-1] == t[1:]) & (
            (k0[:-1] < k0[1:]) | ((k0[:-1] == k0[1:]) & (k1[:-1] < k1[1:]))))
        if not bool(ok.all()):
            bad = int(np.argmin(ok))
            raise TokenError("malformed", "expected records sorted by (type, key) and unique; "
                                          f"record {bad + 1} is not after record {bad}")
    return body


def _read_wire(path: Path, *, kind: str, expect_version: int) -> tuple[mmap.mmap, ListHeader]:
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
        """Replace the index with a full snapshot (vectorised: 10 M records in seconds)."""
        buf, header = _read_wire(wire, kind="full", expect_version=expect_version)
        cols: dict[EntryKind, EntryColumns] = {}
        try:
            rec = decode_records(memoryview(buf), header, delta=False)
            # Records are sorted by type: each type is one slice (a view, no copy); only the
            # columns the index needs are copied out, and the map is released before the build.
            bounds = np.searchsorted(rec["type"], [0, 1, 2, 3]).tolist()
            for t in EntryKind:
                sel = rec[bounds[t]:bounds[t + 1]]
                keys = np.ascontiguousarray(sel["key"]).view(np.uint8).reshape(-1, 16)
                if t is EntryKind.TOKEN:
                    cols[t] = EntryColumns(keys)
                else:
                    cols[t] = EntryColumns(keys, sel["status"].astype(np.uint8),
                                           sel["since"].astype(np.int64))
                del sel
            del rec
        finally:
            _close(buf)
        encoded = encode_columns(cols[EntryKind.TOKEN], cols[EntryKind.SUBJECT],
                                 cols[EntryKind.CARD], version=header.version)
        del cols
        self.directory.mkdir(parents=True, exist_ok=True)
        write_index_file(self.path, encoded)
        del encoded
        self._check_installed()

    def apply_delta(self, wire: Path, *, expect_version: int) -> None:
        """Apply one delta to the current index; the result replaces it atomically."""
        buf, header = _read_wire(wire, kind="delta", expect_version=expect_version)
        try:
            if header.count > MAX_DELTA_RECORDS:
                raise TokenError("too_large", f"expected a delta of at most {MAX_DELTA_RECORDS} "
                                              f"records, got {header.count}")
            current = self.version()
            if header.base != current:
                raise TokenError("malformed", f"expected a delta based on version {current}, "
                                              f"got base {header.base}")
            ops = _delta_ops(decode_records(memoryview(buf), header, delta=True))
        finally:
            _close(buf)
        if not self.path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            write_index_file(self.path, encode_columns(version=0))
        apply_delta_file(self.path, ops, version=header.version).close()
        self._check_installed()


def _delta_ops(rec: npt.NDArray[np.void]) -> list[DeltaOp]:
    ops: list[DeltaOp] = []
    for t, status, key, since in zip(rec["type"].tolist(), rec["status"].tolist(),
                                     rec["key"].tolist(), rec["since"].tolist(), strict=True):
        kind = EntryKind(t)
        ops.append(RemoveKey(kind, key))
        if status == Severity.REVOKED:
            ops.append(Put(RevocationEntry(kind, key)))
        elif status != Severity.GREEN:
            ops.append(Put(RevocationEntry(kind, key, Severity(status), since)))
    return ops


__all__ = ["CHECKED_FILE", "INDEX_FILE", "RevocationState"]
