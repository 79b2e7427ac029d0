"""PKRL wire records (``codes.wire``) read into index content with numpy, checked field by field.

Only the sync imports this (through ``sync._revstate``, when a list arrives); opening and
reading an index never does, so ``passkiosk verify --data`` loads no numpy.

A full snapshot is read in slices with ``pread`` and encoded straight into the index file
(``codes.indexing.StreamEncoder``): its records are sorted and unique by (type, key), which is
index order already, so nothing is sorted and neither the snapshot nor the index is ever held
whole in memory (a 10 M-entry first sync used to peak at ~870 MB; see
docs/performance/lowpower.md). Reading with ``pread`` rather than through a map keeps the
snapshot's pages in the page cache, out of the kiosk's resident set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from codes import HEADER_SIZE, EntryKind, RevocationEntry, Severity, TokenError
from codes.indexing import DeltaOp, Put, RemoveKey, StreamEncoder
from codes.wire import HEADER, ListHeader

RECORD_DTYPE = np.dtype([("type", "u1"), ("status", "u1"), ("key", "V16"), ("since", ">i8")])
_CMP_DTYPE = np.dtype([("type", "u1"), ("status", "u1"), ("k0", ">u8"), ("k1", ">u8"),
                       ("since", ">i8")])
_U32_MAX = (1 << 32) - 1
# Records per slice of a snapshot: 26 bytes each, so ~6.8 MB a slice.
SLICE_RECORDS = 1 << 18
_BUCKETS = 1 << 16


def _check(body: npt.NDArray[np.void], *, delta: bool, first: int = 0) -> None:
    """Every field of ``body`` in range, records sorted and unique by (type, key); ``first``
    is the record number of ``body[0]`` (for the message)."""
    if body.shape[0] == 0:
        return
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
    if body.shape[0] >= 2:
        cmp = body.view(_CMP_DTYPE)
        t, k0, k1 = cmp["type"], cmp["k0"], cmp["k1"]
        ok = (t[:-1] < t[1:]) | ((t[:-1] == t[1:]) & (
            (k0[:-1] < k0[1:]) | ((k0[:-1] == k0[1:]) & (k1[:-1] < k1[1:]))))
        if not bool(ok.all()):
            bad = first + int(np.argmin(ok))
            raise TokenError("malformed", "expected records sorted by (type, key) and unique; "
                                          f"record {bad + 1} is not after record {bad}")


def decode_records(data: bytes | memoryview, header: ListHeader,
                   *, delta: bool) -> npt.NDArray[np.void]:
    """The record array after the header, with every field checked (sorted, unique, in range)."""
    body = np.frombuffer(data, dtype=RECORD_DTYPE, count=header.count, offset=HEADER.size)
    _check(body, delta=delta)
    return body


def delta_ops(rec: npt.NDArray[np.void]) -> list[DeltaOp]:
    """The index operations of delta records: each replaces everything listed for its key."""
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


def _read(fd: int, start: int, stop: int) -> npt.NDArray[np.void]:
    """Records [start, stop) of the snapshot open at ``fd``."""
    want = (stop - start) * RECORD_DTYPE.itemsize
    data = os.pread(fd, want, HEADER.size + start * RECORD_DTYPE.itemsize)
    if len(data) != want:
        raise TokenError("malformed", f"expected {want} bytes of records at record {start}, "
                                      f"got {len(data)} (file changed while read?)")
    return np.frombuffer(data, dtype=RECORD_DTYPE)


def _slices(start: int, stop: int) -> Iterator[tuple[int, int]]:
    for a in range(start, stop, SLICE_RECORDS):
        yield a, min(stop, a + SLICE_RECORDS)


def encode_snapshot(fd: int, header: ListHeader, out: BinaryIO) -> None:
    """Check the full snapshot open at ``fd`` and write its index to ``out`` (a new file).

    Two reads of the snapshot: the first checks every record (order across slices too) and
    counts rows per bucket; the second writes each column. ``out`` must be seekable: the
    header, whose CRC covers the body, is written last, over a placeholder.
    """
    n = header.count
    counts = np.zeros((3, _BUCKETS), dtype=np.int64)
    wide = [False, False, False]
    for a, b in _slices(0, n):
        # One record of overlap, so the order check also spans the slice boundary.
        rec = _read(fd, max(0, a - 1), b)
        _check(rec, delta=False, first=max(0, a - 1))
        rec = rec[1:] if a else rec
        keys = np.ascontiguousarray(rec["key"]).view(np.uint8).reshape(-1, 16)
        bucket = (keys[:, 0].astype(np.intp) << 8) | keys[:, 1]
        types = rec["type"]
        for t in range(3):
            sel = types == t
            if sel.any():
                counts[t] += np.bincount(bucket[sel], minlength=_BUCKETS)
                if t and int(rec["since"][sel].max()) > _U32_MAX:
                    wide[t] = True
    dirs = []
    for t in range(3):
        d = np.zeros(_BUCKETS + 1, dtype="<u4")
        np.cumsum(counts[t], out=d[1:])
        dirs.append(d)
    bounds = [0, int(dirs[0][-1]), int(dirs[0][-1]) + int(dirs[1][-1]), n]
    widths = (8 if wide[1] else 4, 8 if wide[2] else 4)
    encoder = StreamEncoder((dirs[0], dirs[1], dirs[2]), widths, version=header.version)

    def column(section: int, name: str) -> Iterator[memoryview]:
        for a, b in _slices(bounds[section], bounds[section + 1]):
            rec = _read(fd, a, b)
            if name == "keys":
                keys = np.ascontiguousarray(rec["key"]).view(np.uint8).reshape(-1, 16)
                yield memoryview(np.ascontiguousarray(keys[:, 2:]).reshape(-1).data)
            elif name == "since":
                dtype = "<u4" if widths[section - 1] == 4 else "<i8"
                yield memoryview(rec["since"].astype(dtype).data)
            else:
                yield memoryview(rec["status"].astype(np.uint8).data)

    out.write(bytes(HEADER_SIZE))
    for piece in encoder.body(column):
        out.write(piece)
    out.seek(0)
    out.write(encoder.header())
    out.seek(0, os.SEEK_END)

