"""Building and merging revocation indexes (numpy): the sync's job when a list arrives, never
the verifier's. Results are new buffers (``EncodedIndex``) for the caller to write."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from codes._errors import DeviceError
from codes._rev._delta import DeltaOp, Put, Remove, RemoveKey
from codes._rev._format import (
    BUCKETS,
    DIR_LEN,
    FORMAT,
    HEADER_SIZE,
    HEADER_STRUCT,
    MAGIC,
    SUFFIX,
    U32_MAX,
    align8,
    layouts,
)
from codes._rev._lookup import RevocationIndex
from codes._rev._model import (
    KEY_SIZE,
    SINCE_MAX,
    EntryKind,
    RevocationEntry,
    RevocationIndexError,
)


@dataclass(frozen=True, slots=True)
class EncodedIndex:
    """An index file's content as chunks to write in order (no copy of the big arrays)."""

    chunks: tuple[memoryview, ...]

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.chunks)

    def to_bytes(self) -> bytes:
        return b"".join(self.chunks)


U8Array = npt.NDArray[np.uint8]
I64Array = npt.NDArray[np.int64]


@dataclass(slots=True)
class Sorted:
    """One section as arrays in index order: directory, 14-byte key suffixes, since, status."""

    dir: Any  # (65537,) u4
    suffix: Any  # (n,) S14
    since: Any  # (n,) u4/i8, None for tokens
    status: Any  # (n,) u1, None for tokens


@dataclass(slots=True)
class Pieces:
    """One section ready to write: each column as byte pieces, written one after the other.

    Pieces may be views into the old buffer (a section a delta did not touch is written
    straight from it), so the old buffer must stay open until the content is written.
    """

    dir: Any  # (65537,) u4
    count: int
    suffix: list[memoryview]
    since_width: int  # 0 for tokens
    since: list[memoryview]
    status: list[memoryview]


def _bytes_of(arr: Any) -> memoryview:
    """A flat byte view of a contiguous array (no copy)."""
    return memoryview(np.ascontiguousarray(arr).view(np.uint8).reshape(-1).data)


def pieces_of(sec: Sorted) -> Pieces:
    """A whole section as single pieces; since is stored as u32 when every value fits."""
    n = int(sec.suffix.shape[0])
    if sec.since is None:
        return Pieces(sec.dir, n, [_bytes_of(sec.suffix)], 0, [], [])
    since = sec.since
    if since.dtype != np.dtype("<u4") and (
            n == 0 or (int(since.min()) >= 0 and int(since.max()) <= U32_MAX)):
        since = since.astype("<u4")  # u32 holds every since from 1970 to 2106
    width = since.dtype.itemsize
    return Pieces(sec.dir, n, [_bytes_of(sec.suffix)], width,
                   [_bytes_of(since.astype("<u4" if width == 4 else "<i8", copy=False))],
                   [_bytes_of(sec.status.astype(np.uint8, copy=False))])


@dataclass(frozen=True, slots=True)
class EntryColumns:
    """Entries of one kind as numpy columns, any order, for building big indexes fast.

    ``keys`` is (n, 16) uint8; ``status`` (1 yellow, 2 red) and ``since`` (int64) are (n,)
    arrays, or None for the token kind.
    """

    keys: U8Array
    status: U8Array | None = None
    since: I64Array | None = None


def _empty_columns(with_values: bool) -> EntryColumns:
    if not with_values:
        return EntryColumns(np.empty((0, KEY_SIZE), np.uint8))
    return EntryColumns(np.empty((0, KEY_SIZE), np.uint8), np.empty(0, np.uint8),
                        np.empty(0, np.int64))


def _order(cols: list[Any]) -> Any:
    """Row order sorting ``cols`` lexicographically (first column first); None if in order.

    Input straight from a sorted snapshot costs one comparison pass. Otherwise the rows are
    sorted by the first column alone (numpy's SIMD quicksort, ~10x faster than a 4-key
    lexsort at 10 M rows) and only the runs that tie on it are sorted by all columns: keys
    are random, so those are the subjects with several entries.
    """
    n = cols[0].shape[0]
    if n < 2:
        return None
    decided = np.zeros(n - 1, dtype=bool)  # row i+1 already known greater than row i
    equal = np.ones(n - 1, dtype=bool)
    for c in cols:
        a, b = c[:-1], c[1:]
        decided |= equal & (b > a)
        equal &= b == a
    if bool((decided | equal).all()):
        return None
    order = np.argsort(cols[0])
    first = cols[0][order]
    tie = first[1:] == first[:-1]
    if tie.any():
        in_tie = np.zeros(n, dtype=bool)
        in_tie[:-1] |= tie
        in_tie[1:] |= tie
        pos = np.flatnonzero(in_tie)  # the tied runs, contiguous in `order`
        sub = order[pos]
        # lexsort's last key is the primary one; the first column keeps runs apart.
        order[pos] = sub[np.lexsort([c[sub] for c in reversed(cols)])]
    return order


def _sort_columns(cols: EntryColumns, what: str, with_values: bool) -> Sorted:
    keys = np.ascontiguousarray(cols.keys, dtype=np.uint8)
    if keys.ndim != 2 or keys.shape[1] != KEY_SIZE:
        raise RevocationIndexError(f"{what}: expected keys of shape (n, {KEY_SIZE}), "
                                   f"got {keys.shape}")
    n = keys.shape[0]
    # Big-endian u64 halves order exactly like the bytes do, and sort far faster than S16.
    halves = keys.view(">u8")
    hi = halves[:, 0].astype(np.uint64)
    lo = halves[:, 1].astype(np.uint64)
    since: Any = None
    status: Any = None
    if with_values:
        if cols.status is None or cols.since is None:
            raise RevocationIndexError(f"{what}: expected status and since columns")
        status = np.asarray(cols.status)
        since = np.asarray(cols.since)
        if status.shape != (n,) or since.shape != (n,):
            raise RevocationIndexError(f"{what}: expected status and since of shape ({n},), "
                                       f"got {status.shape} and {since.shape}")
        if status.dtype.kind not in "iu" or since.dtype.kind not in "iu":
            raise RevocationIndexError(f"{what}: expected integer status and since columns, "
                                       f"got {status.dtype} and {since.dtype}")
        if n and (int(status.min()) < 1 or int(status.max()) > 2):
            raise RevocationIndexError(f"{what}: expected status 1 (yellow) or 2 (red), "
                                       f"got values in {int(status.min())}..{int(status.max())}")
        if since.dtype == np.uint64 and n and int(since.max()) > SINCE_MAX:
            raise RevocationIndexError(f"{what}: expected since within signed 64 bits")
        status = status.astype(np.uint8)
        since = since.astype(np.int64)
        order = _order([hi, lo, since, status])
        if order is not None:
            hi, lo, since, status = hi[order], lo[order], since[order], status[order]
        # One entry per (key, since): the last of each run, i.e. the most severe status.
        last = np.ones(n, dtype=bool)
        last[:-1] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1]) | (since[1:] != since[:-1])
    else:
        order = _order([hi, lo])
        if order is not None:
            hi, lo = hi[order], lo[order]
        last = np.ones(n, dtype=bool)
        last[:-1] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
    if not last.all():
        hi, lo = hi[last], lo[last]
        if since is not None and status is not None:
            since, status = since[last], status[last]
    sorted_keys = np.empty((hi.shape[0], 2), dtype=">u8")
    sorted_keys[:, 0] = hi
    sorted_keys[:, 1] = lo
    suffix = np.ascontiguousarray(sorted_keys.view(np.uint8)[:, 2:]).view(f"S{SUFFIX}")[:, 0]
    counts = np.bincount((hi >> np.uint64(48)).astype(np.intp), minlength=BUCKETS)
    d = np.zeros(DIR_LEN, dtype="<u4")
    np.cumsum(counts, out=d[1:])
    return Sorted(d, suffix, since, status)


def encode_sections(sections: list[Pieces], version: int) -> EncodedIndex:
    if not isinstance(version, int) or not 0 <= version < 1 << 64:
        raise RevocationIndexError(f"expected a version in 0..2^64-1, got {version!r:.40}")
    flags = 0
    body: list[memoryview] = []
    pos = HEADER_SIZE

    def put(pieces: list[memoryview]) -> None:
        nonlocal pos
        for piece in pieces:
            if piece.nbytes:
                body.append(piece)
                pos += piece.nbytes
        pad = align8(pos) - pos
        if pad:
            body.append(memoryview(b"\0" * pad))
            pos += pad

    for i, sec in enumerate(sections):
        put([_bytes_of(sec.dir.astype("<u4", copy=False))])
        put(sec.suffix)
        if i == 0:
            continue
        if sec.since_width == 8:
            flags |= 1 << (i - 1)
        put(sec.since)
        put(sec.status)
    crc = 0
    for chunk in body:
        crc = zlib.crc32(chunk, crc)
    counts = (sections[0].count, sections[1].count, sections[2].count)
    _, length = layouts(counts, flags)
    if length != pos:
        raise AssertionError(f"encoded {pos} bytes, layout says {length}")  # pragma: no cover
    header = HEADER_STRUCT.pack(MAGIC, FORMAT, HEADER_SIZE, flags, version, *counts, length, crc)
    return EncodedIndex((memoryview(header), *body))


class StreamEncoder:
    """Encode an index whose rows arrive already in index order, one column piece at a time.

    For inputs too big to hold twice (a 10 M-entry snapshot, already sorted and unique by
    key): nothing is sorted or copied whole. ``dirs`` are the three sections' bucket
    directories (65,537 cumulative row counts each, as ``np.cumsum`` of the per-bucket counts
    with a leading 0), ``since_widths`` the width of the subject and card since columns (4: u32,
    8: i64). :meth:`body` yields the bytes that follow a ``HEADER_SIZE`` placeholder, in file
    order; once it is exhausted :meth:`header` is the header to write over the placeholder
    (its CRC covers the body just yielded). The result equals ``encode_columns`` of the same
    rows byte for byte.
    """

    def __init__(self, dirs: tuple[Any, Any, Any], since_widths: tuple[int, int], *,
                 version: int) -> None:
        if not isinstance(version, int) or not 0 <= version < 1 << 64:
            raise RevocationIndexError(f"expected a version in 0..2^64-1, got {version!r:.40}")
        if any(w not in (4, 8) for w in since_widths):
            raise RevocationIndexError(f"expected since widths of 4 or 8, got {since_widths}")
        self._dirs = [np.ascontiguousarray(d, dtype="<u4") for d in dirs]
        for d in self._dirs:
            if d.shape != (DIR_LEN,) or int(d[0]) != 0 or bool(np.any(d[1:] < d[:-1])):
                raise RevocationIndexError("expected non-decreasing 0-based bucket directories "
                                           f"of {DIR_LEN} entries")
        self._counts = tuple(int(d[-1]) for d in self._dirs)
        self._widths = (0, *since_widths)
        self._flags = (since_widths[0] == 8) | ((since_widths[1] == 8) << 1)
        self._version = version
        self._crc: int | None = None

    @property
    def counts(self) -> tuple[int, int, int]:
        return (self._counts[0], self._counts[1], self._counts[2])

    def body(self, column: Any) -> Any:
        """The body's pieces; ``column(section, name)`` gives the pieces of one column in row
        order, ``name`` one of "keys" (14-byte key suffixes), "since" and "status" (u8)."""
        crc = 0
        pos = HEADER_SIZE
        for i, d in enumerate(self._dirs):
            n = self._counts[i]
            parts: list[tuple[str, int]] = [("dir", DIR_LEN * 4), ("keys", n * SUFFIX)]
            if i:
                parts += [("since", n * self._widths[i]), ("status", n)]
            for name, size in parts:
                pieces = [_bytes_of(d)] if name == "dir" else column(i, name)
                got = 0
                for piece in pieces:
                    view = memoryview(piece).cast("B")
                    got += view.nbytes
                    if got > size:
                        break
                    crc = zlib.crc32(view, crc)
                    yield view
                if got != size:
                    raise RevocationIndexError(f"section {i} {name}: expected {size} bytes, "
                                               f"got {got if got <= size else 'more'}")
                pos += size
                pad = align8(pos) - pos
                if pad:
                    crc = zlib.crc32(b"\0" * pad, crc)
                    yield memoryview(b"\0" * pad)
                    pos += pad
        _, length = layouts(self.counts, self._flags)
        if length != pos:
            raise AssertionError(f"encoded {pos} bytes, layout says {length}")  # pragma: no cover
        self._crc = crc

    def header(self) -> bytes:
        """The header for the body :meth:`body` yielded (only after it was exhausted)."""
        if self._crc is None:
            raise RevocationIndexError("expected the whole body to be encoded before the header")
        _, length = layouts(self.counts, self._flags)
        return HEADER_STRUCT.pack(MAGIC, FORMAT, HEADER_SIZE, self._flags, self._version,
                                  *self.counts, length, self._crc)


def encode_columns(tokens: EntryColumns | None = None, subjects: EntryColumns | None = None,
                   cards: EntryColumns | None = None, *, version: int = 0) -> EncodedIndex:
    """Build an index's content from numpy columns (the fast path for millions of entries)."""
    cols = [(tokens or _empty_columns(False), "tokens", False),
            (subjects or _empty_columns(True), "subjects", True),
            (cards or _empty_columns(True), "cards", True)]
    return encode_sections([pieces_of(_sort_columns(c, w, v)) for c, w, v in cols], version)


def encode_entries(entries: Iterable[RevocationEntry], *, version: int = 0) -> EncodedIndex:
    """Build an index's content from entries (duplicates allowed, see the module notes)."""
    keys: dict[EntryKind, list[bytes]] = {k: [] for k in EntryKind}
    status: dict[EntryKind, list[int]] = {k: [] for k in EntryKind}
    since: dict[EntryKind, list[int]] = {k: [] for k in EntryKind}
    for e in entries:
        if not isinstance(e, RevocationEntry):
            raise RevocationIndexError(f"expected a RevocationEntry, got {e!r:.80}")
        keys[e.kind].append(e.key)
        status[e.kind].append(int(e.status))
        since[e.kind].append(e.since)

    def cols(kind: EntryKind) -> EntryColumns:
        k = np.frombuffer(b"".join(keys[kind]), dtype=np.uint8).reshape(-1, KEY_SIZE)
        if kind is EntryKind.TOKEN:
            return EntryColumns(k)
        return EntryColumns(k, np.array(status[kind], dtype=np.uint8),
                            np.array(since[kind], dtype=np.int64))

    return encode_columns(cols(EntryKind.TOKEN), cols(EntryKind.SUBJECT),
                          cols(EntryKind.CARD), version=version)


def _bounds(sec: Sorted, buckets: Any, qsuffix: Any, upper: bool) -> Any:
    """Vectorised lower (or upper) bound of each query within its bucket's row range."""
    lo = sec.dir[buckets].astype(np.int64)
    hi = sec.dir[buckets + 1].astype(np.int64)
    n = sec.suffix.shape[0]
    if n == 0:
        return lo
    # Each round halves every range; a bucket holds at most n rows, so 64 rounds always end it.
    for _ in range(64):
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) >> 1
        row = sec.suffix[np.minimum(mid, n - 1)]
        go_right = (row <= qsuffix) if upper else (row < qsuffix)
        lo = np.where(active & go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)
    raise AssertionError("binary search did not converge")  # pragma: no cover


_PUT, _REMOVE, _REMOVE_KEY = 0, 1, 2


def merge(sec: Sorted, ops: list[DeltaOp]) -> Pieces:
    """``sec`` with ``ops`` applied in order: touched keys' rows are replaced, the rest kept.

    Vectorised for the bulk of a delta (one op on a key not listed yet, and every token op);
    keys with several ops or existing entries are worked out one by one.
    """
    if not ops:
        return pieces_of(sec)
    tokens = sec.since is None
    n = int(sec.suffix.shape[0])
    m = len(ops)
    karr = np.frombuffer(b"".join([op.entry.key if isinstance(op, Put) else op.key
                                   for op in ops]), dtype=np.uint8).reshape(m, KEY_SIZE)
    code = np.array([_PUT if isinstance(op, Put) else _REMOVE if isinstance(op, Remove)
                     else _REMOVE_KEY for op in ops], dtype=np.uint8)
    halves = karr.view(">u8")
    hi = halves[:, 0].astype(np.uint64)
    lo = halves[:, 1].astype(np.uint64)
    order = np.lexsort((lo, hi))  # stable: ops on one key stay in delta order
    hi, lo, code, karr = hi[order], lo[order], code[order], karr[order]
    starts = np.ones(m, dtype=bool)
    starts[1:] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
    gstart = np.flatnonzero(starts)  # first op of each touched key, keys ascending
    gsize = np.diff(np.append(gstart, m))
    gkeys = karr[gstart]
    buckets = (gkeys[:, 0].astype(np.intp) << 8) | gkeys[:, 1]
    qsuffix = np.ascontiguousarray(gkeys[:, 2:]).view(f"S{SUFFIX}")[:, 0]
    first = _bounds(sec, buckets, qsuffix, upper=False)
    stop = _bounds(sec, buckets, qsuffix, upper=True)
    exists = stop > first

    # Per touched key: does it drop its old rows, and which new rows (group, since, status)?
    if tokens:
        present = code[gstart + gsize - 1] == _PUT  # the last op decides
        drop = exists & ~present
        row_group = np.flatnonzero(present & ~exists)
        row_since = row_status = None
    else:
        op_since = np.array([op.entry.since if isinstance(op, Put) else
                             op.since if isinstance(op, Remove) else 0 for op in ops],
                            dtype=np.int64)[order]
        op_status = np.array([op.entry.status if isinstance(op, Put) else 0 for op in ops],
                             dtype=np.uint8)[order]
        simple = (gsize == 1) & ~exists
        simple_put = np.flatnonzero(simple & (code[gstart] == _PUT))
        drop = ~simple & exists
        groups: list[int] = []
        sinces: list[int] = []
        statuses: list[int] = []
        ops_sorted = [ops[i] for i in order.tolist()]
        for g in np.flatnonzero(~simple).tolist():
            a, b = int(first[g]), int(stop[g])
            state: dict[int, int] = {}
            if b > a:
                state = dict(zip(sec.since[a:b].tolist(), sec.status[a:b].tolist(),
                                 strict=True))
            g0 = int(gstart[g])
            for op in ops_sorted[g0:g0 + int(gsize[g])]:
                if isinstance(op, Put):
                    state[op.entry.since] = int(op.entry.status)
                elif isinstance(op, Remove):
                    state.pop(op.since, None)
                else:
                    state.clear()
            for since_value in sorted(state):
                groups.append(g)
                sinces.append(since_value)
                statuses.append(state[since_value])
        row_group = np.concatenate([simple_put, np.array(groups, dtype=np.intp)])
        row_since = np.concatenate([op_since[gstart[simple_put]],
                                    np.array(sinces, dtype=np.int64)])
        row_status = np.concatenate([op_status[gstart[simple_put]],
                                     np.array(statuses, dtype=np.uint8)])
        by_key = np.lexsort((row_since, row_group))
        row_group, row_since, row_status = (row_group[by_key], row_since[by_key],
                                            row_status[by_key])

    # Old rows of dropped keys go; new rows go in where their key's old rows were (np.insert's
    # rule, done once for all columns: positions are in the array after the drops).
    dropped_len = np.where(drop, stop - first, 0)
    n_dropped = int(dropped_len.sum())
    keep = np.ones(n, dtype=bool)
    if n_dropped:
        before = np.cumsum(dropped_len) - dropped_len
        keep[np.repeat(first - before, dropped_len) + np.arange(n_dropped)] = False
    else:
        before = np.zeros(len(gstart), dtype=np.int64)
    k = len(row_group)
    total = n - n_dropped + k
    dest = (first - before)[row_group] + np.arange(k)
    is_old = np.ones(total, dtype=bool)
    is_old[dest] = False

    def column(old: Any, new: Any) -> list[memoryview]:
        if old.dtype.kind == "S":  # masked copies of raw V14 are ~6x faster than of S14
            old, new = old.view(f"V{SUFFIX}"), new.view(f"V{SUFFIX}")
        out = np.empty(total, dtype=old.dtype)
        out[dest] = new
        out[is_old] = old[keep]
        return [_bytes_of(out)]

    counts = np.diff(sec.dir.astype(np.int64))
    counts -= np.bincount(buckets, weights=dropped_len, minlength=BUCKETS).astype(np.int64)
    counts += np.bincount(buckets[row_group], minlength=BUCKETS)
    d = np.zeros(DIR_LEN, dtype="<u4")
    np.cumsum(counts, out=d[1:])
    new_suffix = np.ascontiguousarray(gkeys[:, 2:]).view(f"S{SUFFIX}")[:, 0][row_group]
    suffix = column(sec.suffix, new_suffix)
    if tokens or row_since is None or row_status is None:
        return Pieces(d, total, suffix, 0, [], [])
    old_since = sec.since
    if old_since.dtype == np.dtype("<u4") and k and (
            int(row_since.min()) < 0 or int(row_since.max()) > U32_MAX):
        old_since = old_since.astype("<i8")  # rare: a since outside 1970..2106 arrived
    since = column(old_since, row_since.astype(old_since.dtype))
    status = column(sec.status, row_status)
    return Pieces(d, total, suffix, old_since.dtype.itemsize, since, status)


def apply_delta(index: RevocationIndex, ops: Iterable[DeltaOp], *, version: int | None = None
                ) -> EncodedIndex:
    """The content of a new index: ``index`` with ``ops`` applied in order.

    ``version`` is stored in the new header (default: keep the index's). The index is only read;
    writing the result somewhere else and swapping is the caller's business.
    """
    if index.closed:
        raise DeviceError("revocation index used after close()")
    by_kind: dict[EntryKind, list[DeltaOp]] = {k: [] for k in EntryKind}
    for op in ops:
        if not isinstance(op, Put | Remove | RemoveKey):
            raise RevocationIndexError(f"expected a delta operation, got {op!r:.80}")
        by_kind[op.entry.kind if isinstance(op, Put) else op.kind].append(op)
    index.check_directories()  # the merge reads every bucket of the old index
    sections = [merge(_section_arrays(index, i), by_kind[kind])
                for i, kind in enumerate(EntryKind)]
    return encode_sections(sections, index.header.version if version is None else version)


def _memory(index: RevocationIndex) -> memoryview:
    """The index's buffer as memory: merging views it with numpy, so it must be ``bytes`` or an
    ``mmap``, not a file read by slices."""
    buf: Any = index.buffer
    try:
        return memoryview(buf)
    except TypeError:
        raise RevocationIndexError(f"expected an index over bytes or a map to merge, got one "
                                   f"read through {type(buf).__name__}") from None


def _section_arrays(index: RevocationIndex, section: int) -> Sorted:
    lay = index.layouts[section]
    n = lay.count
    buf = _memory(index)
    suffix = np.frombuffer(buf, dtype=f"S{SUFFIX}", count=n, offset=lay.keys_off)
    d = np.frombuffer(buf, dtype="<u4", count=DIR_LEN, offset=lay.dir_off)
    if section == 0:
        return Sorted(d, suffix, None, None)
    since = np.frombuffer(buf, dtype="<u4" if lay.since_width == 4 else "<i8", count=n,
                          offset=lay.since_off)
    status = np.frombuffer(buf, dtype=np.uint8, count=n, offset=lay.status_off)
    return Sorted(d, suffix, since, status)
