"""The province-scale revocation index file layout (PK1 spec §4 step 7, §6), sans-IO.

This module holds what both sides of the format need: the header and the section layout.
``_lookup`` reads an index from a buffer the caller hands in (``bytes``, an ``mmap`` or a file
read by slices: this package never opens a file); ``_build`` encodes one, as the chunks of an
``EncodedIndex``.
An index is never modified: applying a delta produces a *new* buffer for the caller to write,
so a crash while the new one is being written cannot damage the old one.

Why this layout (measured, see docs/performance/revindex.md): sorted fixed-width records searched
by binary search, split by the first two key bytes into 65,536 buckets. Keys are random (cti is
random, sh/ch are scrypt outputs, spec §5), so buckets are even; the bucket number is implied by
the position, so each key stores only its last 14 bytes. Columns are stored separately (keys,
then since, then status) so a lookup touches only key pages until it hits. At 10 M entries the
whole file is ~172 MB (14 bytes per token, 19 per subject or card entry), so resident
memory stays under the 250 MB target even after every page has been touched, with no load step
beyond reading a 64-byte header and three 256 KiB bucket directories. Lookups are pure Python
over ``bytes`` slices (no numpy: ``passkiosk verify`` stays light); building and merging
(``_build``, public as ``codes.indexing``) use numpy.

File layout, all integers little-endian, every array starting on an 8-byte boundary::

    header (64 bytes)  magic "PKRIDX\\0\\1" | u16 format = 1 | u16 header size = 64
                       | u32 flags (bit 0: subject since is i64, bit 1: card since is i64;
                       |            otherwise u32) | u64 version (the caller's, opaque here)
                       | u64 tokens | u64 subjects | u64 cards | u64 file length
                       | u32 CRC-32 of every byte after the header | 4 zero bytes
    3 sections, in the order token, subject, card; each:
        directory      65,537 × u32: rows of bucket b are [dir[b], dir[b+1])
        keys           n × 14 bytes: key[2:16], sorted by the full key, then by since
        since          n × u32 or i64 (subject and card sections only)
        status         n × u8: 1 yellow, 2 red (subject and card sections only)

Entries (the delta model): a token entry is identified by its cti; a subject/card entry by
(key, since), so one subject may carry several entries with different ``since`` (§4 step 7
counts those with iat < since <= now). Adding an entry whose (key, since) already exists replaces
its status; when one build input lists the same (key, since) twice, the more severe status is
kept, which is what §4 step 7 would conclude from both.
"""

from __future__ import annotations

import array
import struct
import sys
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from codes._rev._model import KEY_SIZE, RevocationIndexError

MAGIC = b"PKRIDX\x00\x01"
FORMAT = 1
HEADER_STRUCT = struct.Struct("<8sHHIQQQQQI4x")
HEADER_SIZE = HEADER_STRUCT.size  # 64
BUCKETS = 1 << 16
DIR_LEN = BUCKETS + 1
DIR_BYTES = DIR_LEN * 4
SUFFIX = KEY_SIZE - 2  # the first two key bytes are the bucket number
U32_MAX = (1 << 32) - 1

U32 = struct.Struct("<I")
I64 = struct.Struct("<q")

# -- the encoded file ------------------------------------------------------------------------


def align8(n: int) -> int:
    return (n + 7) & ~7


@dataclass(frozen=True, slots=True)
class Layout:
    """Byte offsets of one section's arrays (derived from the header, never stored)."""

    count: int
    dir_off: int
    keys_off: int
    since_off: int
    since_width: int  # 0 for the token section
    status_off: int
    end: int


def layouts(counts: tuple[int, int, int], flags: int) -> tuple[list[Layout], int]:
    out: list[Layout] = []
    off = HEADER_SIZE
    for i, n in enumerate(counts):
        dir_off = off
        keys_off = align8(dir_off + DIR_BYTES)
        off = align8(keys_off + n * SUFFIX)
        if i == 0:
            out.append(Layout(n, dir_off, keys_off, off, 0, off, off))
            continue
        width = 8 if flags & (1 << (i - 1)) else 4
        since_off = off
        status_off = align8(since_off + n * width)
        off = align8(status_off + n)
        out.append(Layout(n, dir_off, keys_off, since_off, width, status_off, off))
    return out, off


@dataclass(frozen=True, slots=True)
class IndexHeader:
    """The parsed 64-byte header. ``body_crc32`` covers every byte after the header."""

    version: int
    tokens: int
    subjects: int
    cards: int
    length: int
    flags: int
    body_crc32: int

    @staticmethod
    def parse(data: bytes | memoryview) -> IndexHeader:
        """Check magic, format and the arithmetic of counts and length (not the CRC)."""
        if len(data) < HEADER_SIZE:
            raise RevocationIndexError(f"index truncated: expected a {HEADER_SIZE}-byte "
                                       f"header, got {len(data)} bytes")
        magic, fmt, hsize, flags, version, nt, ns, nc, length, crc = HEADER_STRUCT.unpack_from(data)
        if magic != MAGIC:
            raise RevocationIndexError(f"not a revocation index: expected magic {MAGIC!r}, "
                                       f"got {magic!r}")
        if fmt != FORMAT or hsize != HEADER_SIZE or flags & ~3:
            raise RevocationIndexError(f"expected index format {FORMAT} with a {HEADER_SIZE}-"
                                       f"byte header, got format {fmt}, header {hsize}, "
                                       f"flags {flags:#x}")
        _, expected = layouts((nt, ns, nc), flags)
        if length != expected:
            raise RevocationIndexError(f"index header inconsistent: {nt}+{ns}+{nc} entries "
                                       f"need {expected} bytes, header says {length}")
        return IndexHeader(version, nt, ns, nc, length, flags, crc)

    def check_body(self, chunks: Iterable[bytes | memoryview]) -> None:
        """Recompute the CRC over the bytes after the header (fed in chunks) and compare."""
        crc = 0
        size = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
        if size != self.length - HEADER_SIZE:
            raise RevocationIndexError(f"index truncated: expected {self.length} bytes, "
                                       f"got {size + HEADER_SIZE}")
        if crc != self.body_crc32:
            raise RevocationIndexError(f"index corrupted: expected CRC-32 "
                                       f"{self.body_crc32:08x}, got {crc:08x}")


class IndexBuffer(Protocol):
    """What an index is read from, handed in by the caller (this module never opens a file):
    ``bytes``, a read-only ``mmap``, or any object that answers a slice with those bytes (the
    kiosk reads its index file with ``pread``, so lookups map nothing into its memory).
    Lookups ask for one slice per bucket and column they touch, never single bytes."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: slice, /) -> bytes: ...


def read_dir(buf: IndexBuffer, off: int) -> array.array[int]:
    d = array.array("I")
    d.frombytes(buf[off:off + DIR_BYTES])
    if sys.byteorder != "little":
        d.byteswap()
    return d


