"""Lookups over an encoded revocation index (``codes._rev._format``): pure Python over the
buffer the caller hands in, no numpy, so ``verify`` and ``passkiosk verify`` stay light."""

from __future__ import annotations

import array
import bisect
from collections.abc import Callable, Iterator, Sequence

from codes._errors import DeviceError
from codes._rev._format import (
    HEADER_SIZE,
    I64,
    SUFFIX,
    U32,
    IndexBuffer,
    IndexHeader,
    layouts,
    read_dir,
)
from codes._rev._model import (
    KEY_SIZE,
    EntryKind,
    RevocationEntry,
    RevocationIndexError,
    Severity,
    StatusEntry,
    check_key,
)

# A bucket's keys are read whole up to this many rows (3.5 KB); rows past the binary search's
# upper end read with them, for the equal keys of one subject.
_BLOCK_ROWS = 256
_RUN_ROWS = 8
_SECTIONS = ("token", "subject", "card")


class RevocationIndex:
    """Read-only lookups over an encoded index (a RevocationView).

    ``buffer`` is ``bytes``, an ``mmap`` or a file read by slices (kept, not copied; see
    ``IndexBuffer``). Opening checks the header and that each bucket directory starts at 0 and
    ends at its section's count, not the CRC: a caller that reads the file anyway (see
    ``sync.open_index_file``) checks that with :meth:`IndexHeader.check_body`. The bounds of a
    bucket are checked when a lookup uses it, so opening costs the same for any size and a
    damaged directory still never sends a lookup outside its section; :meth:`entries` and
    :meth:`check_directories` check whole directories. ``on_close`` is called once by
    :meth:`close` (e.g. to close the file).
    """

    def __init__(self, buffer: IndexBuffer, *,
                 on_close: Callable[[], None] | None = None) -> None:
        if isinstance(buffer, bytearray | memoryview):
            buffer = bytes(buffer)
        self._buf = buffer
        self._on_close = on_close
        self._closed = False
        self.header = IndexHeader.parse(buffer[:HEADER_SIZE])
        h = self.header
        if len(buffer) != h.length:
            raise RevocationIndexError(f"index truncated or padded: header says {h.length} "
                                       f"bytes, buffer has {len(buffer)}")
        self.layouts, _ = layouts((h.tokens, h.subjects, h.cards), h.flags)
        self._dirs: list[array.array[int]] = []
        for section, lay in enumerate(self.layouts):
            d = read_dir(buffer, lay.dir_off)
            # The ends here; each bucket's bounds when a lookup uses it (``_bucket``): checking
            # all 65,537 entries of three directories would cost every one-shot check ~2-4 ms.
            if d[0] != 0 or d[-1] != lay.count:
                raise RevocationIndexError(
                    f"index corrupted: expected the {_SECTIONS[section]} directory to run from "
                    f"0 to {lay.count}, got {d[0]} to {d[-1]}")
            self._dirs.append(d)

    def check_directories(self) -> None:
        """Check that every bucket directory is a non-decreasing 0..count table (what a reader
        of whole sections relies on; a lookup checks only the bucket it uses)."""
        for section, lay in enumerate(self.layouts):
            rows = self._dirs[section].tolist()
            if rows[0] != 0 or rows[-1] != lay.count or rows != sorted(rows):
                raise RevocationIndexError(f"index corrupted: the {_SECTIONS[section]} "
                                           f"directory is not a non-decreasing "
                                           f"0..{lay.count} table")

    def _bucket(self, section: int, b: int) -> tuple[int, int]:
        """Rows [first, end) of bucket ``b``, checked to lie within the section."""
        d = self._dirs[section]
        lo = d[b]
        hi = d[b + 1]
        count = self.layouts[section].count
        if not lo <= hi <= count:
            raise RevocationIndexError(
                f"index corrupted: expected bucket {b:#06x} of the {_SECTIONS[section]} "
                f"directory within rows 0..{count} in order, got rows {lo}..{hi}")
        return lo, hi

    # -- RevocationView ----------------------------------------------------------------------

    def _range(self, section: int, key: bytes, what: str) -> tuple[int, int]:
        """Rows [first, end) whose key equals ``key`` (binary search in its bucket).

        The bucket's keys are read with one slice (~1.5 KB in a 10 M-entry index, where a
        bucket holds ~100 rows), so a buffer read by ``pread`` costs one read per lookup; only
        a bucket over ``_BLOCK_ROWS`` rows (never with random keys) is first narrowed row by row.
        """
        if self._closed:
            raise DeviceError("revocation index used after close()")
        if not isinstance(key, bytes | bytearray) or len(key) != KEY_SIZE:
            check_key(key, what)
        lo, hi = self._bucket(section, (key[0] << 8) | key[1])
        end = hi
        if lo == hi:
            return lo, lo
        suffix = bytes(key[2:])
        buf = self._buf
        base = self.layouts[section].keys_off
        while hi - lo > _BLOCK_ROWS:
            mid = (lo + hi) >> 1
            p = base + mid * SUFFIX
            if buf[p:p + SUFFIX] < suffix:
                lo = mid + 1
            else:
                hi = mid
        # The block also holds a few rows past ``hi``: equal keys (several since values of one
        # subject) are adjacent, bounded by the bucket.
        block_end = min(end, hi + _RUN_ROWS)
        block = buf[base + lo * SUFFIX:base + block_end * SUFFIX]
        a, z = 0, hi - lo
        while a < z:
            mid = (a + z) >> 1
            p = mid * SUFFIX
            if block[p:p + SUFFIX] < suffix:
                a = mid + 1
            else:
                z = mid
        first = stop = lo + a
        while stop < block_end:
            p = (stop - lo) * SUFFIX
            if block[p:p + SUFFIX] != suffix:
                return first, stop
            stop += 1
        while stop < end:  # a run longer than the block: row by row
            p = base + stop * SUFFIX
            if buf[p:p + SUFFIX] != suffix:
                break
            stop += 1
        return first, stop

    def token_revoked(self, cti: bytes) -> bool:
        first, stop = self._range(0, cti, "token id")
        return stop > first

    def _entries(self, section: int, key: bytes, what: str) -> tuple[StatusEntry, ...]:
        first, stop = self._range(section, key, what)
        if first == stop:
            return ()
        lay = self.layouts[section]
        buf = self._buf
        w = lay.since_width
        sinces = buf[lay.since_off + first * w:lay.since_off + stop * w]
        statuses = buf[lay.status_off + first:lay.status_off + stop]
        unpack = (U32 if w == 4 else I64).unpack_from
        out = []
        for j, status in enumerate(statuses):
            if status not in (1, 2):
                raise RevocationIndexError(f"index corrupted: expected status 1 or 2 at "
                                           f"{what} row {first + j}, got {status}")
            out.append(StatusEntry(Severity(status), unpack(sinces, j * w)[0]))
        return tuple(out)

    def subject_entries(self, sh: bytes) -> Sequence[StatusEntry]:
        return self._entries(1, sh, "subject hash")

    def card_entries(self, ch: bytes) -> Sequence[StatusEntry]:
        return self._entries(2, ch, "card hash")

    # -- bookkeeping -------------------------------------------------------------------------

    @property
    def buffer(self) -> IndexBuffer:
        """The buffer this index reads (for building a successor from it)."""
        return self._buf

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def version(self) -> int:
        """The caller's version number stored in the header (opaque to the index)."""
        return self.header.version

    def counts(self) -> dict[EntryKind, int]:
        h = self.header
        return {EntryKind.TOKEN: h.tokens, EntryKind.SUBJECT: h.subjects,
                EntryKind.CARD: h.cards}

    def __len__(self) -> int:
        h = self.header
        return h.tokens + h.subjects + h.cards

    def entries(self) -> Iterator[RevocationEntry]:
        """Every entry in index order (for export and tests; slow on a province's index)."""
        self.check_directories()
        for section, kind in enumerate(EntryKind):
            lay = self.layouts[section]
            d = self._dirs[section]
            unpack = (U32 if lay.since_width == 4 else I64).unpack
            for i in range(lay.count):
                b = bisect.bisect_right(d, i) - 1  # the bucket holding row i
                p = lay.keys_off + i * SUFFIX
                key = bytes((b >> 8, b & 0xFF)) + bytes(self._buf[p:p + SUFFIX])
                if kind is EntryKind.TOKEN:
                    yield RevocationEntry(kind, key)
                    continue
                w = lay.since_width
                since = unpack(self._buf[lay.since_off + i * w:lay.since_off + (i + 1) * w])[0]
                status = self._buf[lay.status_off + i:lay.status_off + i + 1][0]
                yield RevocationEntry(kind, key, Severity(status), since)

    def check_body(self) -> None:
        """Recompute the CRC over this buffer (touches every page of an mmap)."""
        if self._closed:
            raise DeviceError("revocation index used after close()")
        step = 1 << 20
        end = self.header.length
        self.header.check_body(self._buf[i:min(i + step, end)]
                               for i in range(HEADER_SIZE, end, step))

    def close(self) -> None:
        """Stop using the buffer and call ``on_close`` (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._buf = b""
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> RevocationIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
