"""PKRL wire records (``codes.wire``) read into index content with numpy, checked field by field.

Only the sync imports this (through ``sync._revstate``, when a list arrives); opening and
reading an index never does, so ``passkiosk verify --data`` loads no numpy.

A full snapshot is read in slices with ``pread`` and encoded straight into the index file
(``codes.indexing.StreamEncoder``): its records are sorted and unique by (type, key), which is
index order already, so nothing is sorted and neither the snapshot nor the index is ever held
whole in memory (a 10 M-entry first sync used to peak at ~870 MB; see
docs/performance/lowpower.md). Reading with ``pread`` rather than through a map keeps the
snapshot's pages in the page cache, out of the kiosk's resident set.

A delta is merged the same way (:func:`encode_delta`): the current index is read in slices,
each slice's rows of the delta's keys are replaced by the delta's records, and the result is
streamed into the new file. Nothing is built per record in Python, so the merge leaves no heap
of small objects behind in a kiosk that runs for weeks (a 100,000-record delta on 10 M entries
through ``codes.indexing.apply_delta`` peaked at ~500 MB and left up to ~50 MB in the heap that
``malloc_trim`` could not return; streamed, it peaks at ~100 MB and leaves ~4 MB).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from codes import HEADER_SIZE, EntryKind, RevocationIndex, Severity, TokenError
from codes.indexing import StreamEncoder
from codes.wire import HEADER, ListHeader

RECORD_DTYPE = np.dtype([("type", "u1"), ("status", "u1"), ("key", "V16"), ("since", ">i8")])
_CMP_DTYPE = np.dtype([("type", "u1"), ("status", "u1"), ("k0", ">u8"), ("k1", ">u8"),
                       ("since", ">i8")])
_U32_MAX = (1 << 32) - 1
# Records per slice of a snapshot: 26 bytes each, so ~6.8 MB a slice.
SLICE_RECORDS = 1 << 18
_BUCKETS = 1 << 16
_SUFFIX = 14  # the index stores a key's last 14 bytes; the first two are its bucket


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



# -- a delta merged into the current index, streamed ----------------------------------------


class _SectionMerge:
    """Where one section's delta records go among the old rows, found with one pass over the
    old keys; then each column of the merged section is produced slice by slice.

    A delta record replaces every row of its key (PK1 spec §6: the service keeps one status per
    (type, key)): those rows are dropped and the record, unless it is a removal, becomes the
    key's one row, at the place of the first row with a larger key.
    """

    def __init__(self, index: RevocationIndex, section: int, rec: npt.NDArray[np.void]) -> None:
        self.index = index
        self.lay = lay = index.layouts[section]
        buf = index.buffer
        self.old_dir = np.frombuffer(buf[lay.dir_off:lay.dir_off + 4 * (_BUCKETS + 1)],
                                     dtype="<u4").astype(np.int64)
        n = lay.count
        dkeys = np.ascontiguousarray(rec["key"]).view("S16")
        # Insertion row of each delta key: the number of old rows with a smaller key.
        pos = np.full(dkeys.shape[0], -1, dtype=np.int64)
        dropped: list[npt.NDArray[np.int64]] = []
        prev_last: bytes | None = None
        for a, b in _slices(0, n):
            keys = self._full_keys(a, b)
            first, last = keys[0], keys[-1]
            gap = 0 if prev_last is None else int(np.searchsorted(dkeys, prev_last, "right"))
            i0 = int(np.searchsorted(dkeys, first, "left"))
            i1 = int(np.searchsorted(dkeys, last, "right"))
            pos[gap:i0] = a  # between the previous slice's keys and this one's
            lo = np.searchsorted(keys, dkeys[i0:i1], "left")
            hi = np.searchsorted(keys, dkeys[i0:i1], "right")
            # A key whose rows straddle two slices is placed by the second: every row between
            # the two places is one of its own, dropped, so the result is the same.
            pos[i0:i1] = a + lo
            for x, y in zip((a + lo[hi > lo]).tolist(), (a + hi[hi > lo]).tolist(),
                            strict=True):
                dropped.append(np.arange(x, y, dtype=np.int64))
            prev_last = last
        pos[pos == -1] = n  # after every old key
        self.dropped = np.concatenate(dropped) if dropped else np.empty(0, np.int64)
        put = rec["status"] != Severity.GREEN
        self.new = rec[put]
        self.new_pos = pos[put]
        counts = np.diff(self.old_dir)
        counts -= np.bincount(self._bucket_of(self.dropped), minlength=_BUCKETS)
        new_keys = np.ascontiguousarray(self.new["key"]).view(np.uint8).reshape(-1, 16)
        counts += np.bincount((new_keys[:, 0].astype(np.intp) << 8) | new_keys[:, 1],
                              minlength=_BUCKETS)
        self.dir = np.zeros(_BUCKETS + 1, dtype="<u4")
        np.cumsum(counts, out=self.dir[1:])
        self.new_suffix = np.ascontiguousarray(new_keys[:, 2:]).reshape(-1)
        # As codes.indexing.apply_delta does: since stays u32 unless a new value needs i64.
        self.width = lay.since_width
        if self.width == 4 and self.new.shape[0] and int(self.new["since"].max()) > _U32_MAX:
            self.width = 8

    def _bucket_of(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
        return np.searchsorted(self.old_dir, rows, "right").astype(np.intp) - 1

    def _old(self, off: int, width: int, a: int, b: int) -> bytes:
        return self.index.buffer[off + a * width:off + b * width]

    def _full_keys(self, a: int, b: int) -> npt.NDArray[np.bytes_]:
        """Old rows [a, b) as whole 16-byte keys (bucket bytes + stored suffix), comparable
        with the delta's keys."""
        full = np.empty((b - a, 16), dtype=np.uint8)
        bucket = self._bucket_of(np.arange(a, b, dtype=np.int64))
        full[:, 0] = bucket >> 8
        full[:, 1] = bucket & 0xFF
        full[:, 2:] = np.frombuffer(self._old(self.lay.keys_off, _SUFFIX, a, b),
                                    np.uint8).reshape(-1, _SUFFIX)
        return full.view("S16")[:, 0]

    def column(self, name: str) -> Iterator[memoryview]:
        """The merged section's column ``name`` ("keys", "since" or "status"), slice by slice."""
        lay, n = self.lay, self.lay.count
        if name == "keys":
            new = self.new_suffix.view(f"V{_SUFFIX}")
        elif name == "since":
            new = self.new["since"].astype("<u4" if self.width == 4 else "<i8")
        else:
            new = self.new["status"].astype(np.uint8)
        for a, b in _slices(0, n) if n else [(0, 0)]:
            if name == "keys":
                old = np.frombuffer(self._old(lay.keys_off, _SUFFIX, a, b), f"V{_SUFFIX}")
            elif name == "since":
                old = np.frombuffer(self._old(lay.since_off, lay.since_width, a, b),
                                    "<u4" if lay.since_width == 4 else "<i8")
                old = old.astype(new.dtype, copy=False)
            else:
                old = np.frombuffer(self._old(lay.status_off, 1, a, b), np.uint8)
            d0, d1 = np.searchsorted(self.dropped, [a, b], "left")
            drop = self.dropped[d0:d1]
            keep = np.ones(b - a, dtype=bool)
            keep[drop - a] = False
            j0 = int(np.searchsorted(self.new_pos, a, "left"))
            j1 = self.new_pos.shape[0] if b == n else int(np.searchsorted(self.new_pos, b,
                                                                          "left"))
            at = self.new_pos[j0:j1]
            # Kept old rows before each new row, plus the new rows before it.
            dest = (at - a) - np.searchsorted(drop, at, "left") + np.arange(j1 - j0)
            out = np.empty(int(keep.sum()) + (j1 - j0), dtype=new.dtype)
            is_old = np.ones(out.shape[0], dtype=bool)
            is_old[dest] = False
            out[dest] = new[j0:j1]
            out[is_old] = old[keep]
            yield memoryview(out.view(np.uint8).data)


def encode_delta(index: RevocationIndex, rec: npt.NDArray[np.void], *, version: int,
                 out: BinaryIO) -> None:
    """Write ``index`` with the checked delta records ``rec`` (:func:`decode_records`) applied
    to ``out`` (a new, seekable file), as ``version``.

    The old index is read in slices through ``index.buffer`` (the kiosk reads it with
    ``pread``). The result is what ``codes.indexing.apply_delta`` makes of the same change (each
    record a ``RemoveKey`` of its key, then a ``Put`` unless it is a removal), byte for byte but
    for one case: a section the delta does not touch keeps an i64 since column that
    ``apply_delta`` would narrow to u32.
    """
    merges = [_SectionMerge(index, t, rec[rec["type"] == t]) for t in range(3)]
    encoder = StreamEncoder((merges[0].dir, merges[1].dir, merges[2].dir),
                            (merges[1].width, merges[2].width), version=version)
    out.write(bytes(HEADER_SIZE))
    for piece in encoder.body(lambda section, name: merges[section].column(name)):
        out.write(piece)
    out.seek(0)
    out.write(encoder.header())
    out.seek(0, os.SEEK_END)
