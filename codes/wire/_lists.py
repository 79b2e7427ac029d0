"""The revocation list wire format and the TUF target names, shared by the service (publishes)
and the kiosk (pulls). Pure: bytes in, bytes out.

Revocation wire format ("PKRL", version 1). The service publishes one full snapshot and numbered
deltas as TUF targets; TUF has already checked length and hash when these bytes reach us, but
the parser still caps sizes and checks every field (a bug upstream must not become a crash here).

    header (32 bytes, big-endian): magic "PKRL" | u8 format = 1 | u8 kind (0 full, 1 delta)
                                   | u16 zero | u64 base version (0 for a full snapshot)
                                   | u64 version | u64 record count
    record (26 bytes):             u8 type (``codes.EntryKind``: 0 token, 1 subject, 2 card)
                                   | u8 status (``codes.Severity``: 0 green = entry lifted,
                                   |   1 yellow, 2 red, 3 revoked token)
                                   | 16-byte key (cti, sh or ch) | i64 since (epoch seconds)

Records are sorted by (type, key) and unique, so a delta applies as a sorted merge and a full
snapshot is already in index order. ``status 0`` appears only in deltas: the entry is lifted.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from codes._errors import TokenError

MAGIC = b"PKRL"
HEADER = struct.Struct(">4sBBHQQQ")
RECORD_SIZE = 26
# 50 M entries (1.3 GB) is far above a province's list (~10 M); anything bigger is not ours.
MAX_RECORDS = 50_000_000

# TUF target paths shared by the service (publisher) and the kiosk (puller).
TRUST_TARGET = "trust/trust-list.json"
FULL_TARGET = "revocation/full.pkrl"


def delta_target(version: int) -> str:
    """Target path of the delta that takes the list from version - 1 to version."""
    return f"revocation/delta-{version:010d}.pkrl"


@dataclass(frozen=True, slots=True)
class ListHeader:
    kind: str  # "full" | "delta"
    base: int
    version: int
    count: int


def encode_header(kind: str, base: int, version: int, count: int) -> bytes:
    """The 32-byte header for a file of count records (written before the records)."""
    if kind not in ("full", "delta"):
        raise TokenError("malformed", f"expected kind full or delta, got {kind!r}")
    return HEADER.pack(MAGIC, 1, 0 if kind == "full" else 1, 0, base, version, count)


def decode_header(data: bytes, *, total_size: int | None = None) -> ListHeader:
    """Parse and check a header; total_size (if known) must match the record count."""
    if len(data) < HEADER.size:
        raise TokenError("malformed", f"expected a {HEADER.size}-byte PKRL header, "
                                      f"got {len(data)} bytes")
    magic, fmt, kind, zero, base, version, count = HEADER.unpack_from(data)
    if magic != MAGIC or fmt != 1 or kind not in (0, 1) or zero != 0:
        raise TokenError("malformed", f"expected PKRL format 1, got magic {magic!r} "
                                      f"format {fmt} kind {kind}")
    if count > MAX_RECORDS:
        raise TokenError("too_large", f"expected at most {MAX_RECORDS} records, got {count}")
    if total_size is not None and total_size != HEADER.size + count * RECORD_SIZE:
        raise TokenError("malformed", f"expected {HEADER.size + count * RECORD_SIZE} bytes "
                                      f"for {count} records, got {total_size}")
    if kind == 0 and base != 0:
        raise TokenError("malformed", f"expected base 0 in a full snapshot, got {base}")
    if kind == 1 and base >= version:
        raise TokenError("malformed", f"expected delta base < version, got {base} >= {version}")
    return ListHeader("full" if kind == 0 else "delta", base, version, count)


def encode_records(rows: Iterable[tuple[int, int, bytes, int]]) -> bytes:
    """Records for (type, status, key16, since) rows, already sorted and unique."""
    rec = struct.Struct(">BB16sq")
    return b"".join(rec.pack(t, s, k, since) for t, s, k, since in rows)
