"""List state and policy, pure: the revocation wire format, freshness and the stale-data rule.

No clock, no files, no network: times are parameters, bytes come in and go out.

Revocation wire format ("PKRL", version 1). The service publishes one full snapshot and numbered
deltas as TUF targets; TUF has already checked length and hash when these bytes reach us, but
the parser still caps sizes and checks every field (a bug upstream must not become a crash here).

    header (32 bytes, big-endian): magic "PKRL" | u8 format = 1 | u8 kind (0 full, 1 delta)
                                   | u16 zero | u64 base version (0 for a full snapshot)
                                   | u64 version | u64 record count
    record (26 bytes):             u8 type (0 token, 1 subject, 2 card)
                                   | u8 status (0 removed, 1 yellow, 2 red, 3 revoked token)
                                   | 16-byte key (cti, sh or ch) | i64 since (epoch seconds)

Records are sorted by (type, key) and unique, so a delta applies as a sorted merge and a full
snapshot is already in index order. ``status 0`` appears only in deltas: the entry is lifted.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from codes import Outcome, TokenError, Verdict

MAGIC = b"PKRL"
HEADER = struct.Struct(">4sBBHQQQ")
RECORD_SIZE = 26
# 50 M entries (1.3 GB) is far above a province's list (~10 M); anything bigger is not ours.
MAX_RECORDS = 50_000_000
RECORD_DTYPE = np.dtype([("type", "u1"), ("status", "u1"), ("key", "V16"), ("since", ">i8")])
_CMP_DTYPE = np.dtype([("type", "u1"), ("status", "u1"), ("k0", ">u8"), ("k1", ">u8"),
                       ("since", ">i8")])
DEFAULT_MAX_AGE = 24 * 3600  # issue 5: lists older than 24 h are stale for lookups

# TUF target paths shared by the service (publisher) and the kiosk (puller).
TRUST_TARGET = "trust/trust-list.json"
FULL_TARGET = "revocation/full.pkrl"


def delta_target(version: int) -> str:
    """Target path of the delta that takes the list from version - 1 to version."""
    return f"revocation/delta-{version:010d}.pkrl"


class EntryType(enum.IntEnum):
    TOKEN = 0
    SUBJECT = 1
    CARD = 2


class WireStatus(enum.IntEnum):
    REMOVED = 0
    YELLOW = 1
    RED = 2
    REVOKED = 3


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


def decode_records(data: bytes | memoryview, header: ListHeader,
                   *, delta: bool) -> npt.NDArray[np.void]:
    """The record array after the header, with every field checked (sorted, unique, in range)."""
    body = np.frombuffer(data, dtype=RECORD_DTYPE, count=header.count, offset=HEADER.size)
    if header.count == 0:
        return body
    if int(body["type"].max()) > 2:
        raise TokenError("malformed", f"expected record type 0..2, got {int(body['type'].max())}")
    status = body["status"]
    tokens = body["type"] == EntryType.TOKEN
    if np.any(tokens & (status != WireStatus.REVOKED) & (status != WireStatus.REMOVED)) or \
            np.any(~tokens & (status == WireStatus.REVOKED)) or int(status.max()) > 3:
        raise TokenError("malformed", "expected token records with status revoked/removed and "
                                      "subject/card records with yellow/red/removed")
    if not delta and np.any(status == WireStatus.REMOVED):
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


# -- freshness and the stale-data policy -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListState:
    """What a kiosk knows about its synced lists (kept by ``sync._pull`` in the data folder)."""

    revocation_version: int = 0
    trust_sha256: str = ""
    verified_at: int | None = None  # kiosk time of the last successful refresh
    last_attempt_at: int | None = None
    last_error: str | None = None
    token_entries: int = 0
    subject_entries: int = 0
    card_entries: int = 0
    trust_keys: int = 0

    def age(self, now: int) -> int | None:
        """Seconds since the lists were last confirmed current; None if never synced."""
        return None if self.verified_at is None else max(0, now - self.verified_at)

    def is_stale(self, now: int, max_age: int = DEFAULT_MAX_AGE) -> bool:
        """True if never synced or last confirmed more than max_age seconds ago."""
        age = self.age(now)
        return age is None or age > max_age

    def attempted(self, now: int, error: str | None) -> ListState:
        return replace(self, last_attempt_at=now, last_error=error)


def apply_stale_policy(verdict: Verdict, state: ListState, now: int,
                       max_age: int = DEFAULT_MAX_AGE) -> Verdict:
    """Issue 5's stale rule for the no-token path (ID-card tap, typed ID number).

    A lookup answers from the revocation list only, so with a stale list "no record" proves
    nothing: a ``pass`` becomes ``attention`` with reason ``stale_data`` and staff decide. A
    listed status (attention/deny) is still shown, since an old red is still red. Tokens carry
    their own signed status and expiry, so token verdicts are never changed here; the caller
    shows the list age beside them.
    """
    if verdict.format not in ("ID", "CARD") or verdict.outcome is not Outcome.PASS:
        return verdict
    if not state.is_stale(now, max_age):
        return verdict
    return replace(verdict, outcome=Outcome.ATTENTION, reason="stale_data")


__all__ = [
    "DEFAULT_MAX_AGE",
    "FULL_TARGET",
    "HEADER",
    "MAX_RECORDS",
    "RECORD_DTYPE",
    "RECORD_SIZE",
    "TRUST_TARGET",
    "EntryType",
    "ListHeader",
    "ListState",
    "WireStatus",
    "apply_stale_policy",
    "decode_header",
    "decode_records",
    "delta_target",
    "encode_header",
    "encode_records",
]
