"""A full snapshot streamed into the index equals the in-memory build byte for byte, and every
record is still checked, including the order across the slices it is read in; a delta merged
into the index slice by slice equals the in-memory merge (codes.indexing.apply_delta) of what
its records mean."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import sync._revwire as revwire
from codes import (
    HEADER_SIZE,
    EntryKind,
    IndexHeader,
    RevocationEntry,
    RevocationIndex,
    RevocationIndexError,
    Severity,
    TokenError,
)
from codes.indexing import (
    DeltaOp,
    EntryColumns,
    Put,
    RemoveKey,
    StreamEncoder,
    apply_delta,
    encode_columns,
    encode_entries,
)
from codes.wire import encode_header, encode_records
from sync._revstate import RevocationState

T, S, C = EntryKind.TOKEN, EntryKind.SUBJECT, EntryKind.CARD
YELLOW, RED = Severity.YELLOW, Severity.RED


def rows_for(seed: int, n: int, big_since: bool = False) -> list[tuple[int, int, bytes, int]]:
    rnd = random.Random(seed)
    out: set[tuple[int, int, bytes, int]] = set()
    seen: set[tuple[int, bytes]] = set()
    while len(out) < n:
        t = rnd.choice((0, 1, 2))
        # Some keys share their first two bytes, so buckets hold several rows.
        k = bytes([rnd.randrange(4), rnd.randrange(256)]) + rnd.randbytes(14)
        if (t, k) in seen:
            continue
        seen.add((t, k))
        since = rnd.randrange(1 << 33) if big_since and t == 2 else rnd.randrange(1 << 31)
        out.add((t, 3, k, 0) if t == 0 else (t, rnd.choice((1, 2)), k, since))
    return sorted(out, key=lambda r: (r[0], r[2]))


def in_memory(rows: list[tuple[int, int, bytes, int]], version: int) -> bytes:
    def cols(t: int) -> EntryColumns:
        sel = [r for r in rows if r[0] == t]
        keys = np.frombuffer(b"".join(r[2] for r in sel), np.uint8).reshape(-1, 16)
        if t == 0:
            return EntryColumns(keys)
        return EntryColumns(keys, np.array([r[1] for r in sel], np.uint8),
                            np.array([r[3] for r in sel], np.int64))

    return encode_columns(cols(0), cols(1), cols(2), version=version).to_bytes()


def install(tmp_path: Path, rows: list[tuple[int, int, bytes, int]], version: int) -> bytes:
    wire = tmp_path / "full.pkrl"
    wire.write_bytes(encode_header("full", 0, version, len(rows)) + encode_records(rows))
    state = RevocationState(tmp_path / "rev")
    state.install_full(wire, expect_version=version)
    return state.path.read_bytes()


@pytest.mark.parametrize("n, big", [(0, False), (1, False), (700, False), (700, True)])
def test_streamed_snapshot_equals_the_in_memory_build(tmp_path: Path, n: int, big: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revwire, "SLICE_RECORDS", 64)  # many slices, boundaries inside types
    rows = rows_for(n, n, big)
    assert install(tmp_path, rows, 9) == in_memory(rows, 9)
    with RevocationState(tmp_path / "rev").open() as index:
        for t, status, k, since in rows[::7]:
            if t == 0:
                assert index.token_revoked(k)
            elif t == 1:
                assert [(e.status, e.since) for e in index.subject_entries(k)] == \
                    [(Severity(status), since)]
            else:
                assert [(e.status, e.since) for e in index.card_entries(k)] == \
                    [(Severity(status), since)]


def test_disorder_across_a_slice_boundary_is_refused(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revwire, "SLICE_RECORDS", 64)
    rows = rows_for(3, 200)
    rows[63], rows[64] = rows[64], rows[63]  # the last of slice one after the first of two
    with pytest.raises(TokenError, match="record 64 is not after record 63"):
        install(tmp_path, rows, 2)
    assert not (tmp_path / "rev" / "revocations.pkridx").exists()
    assert [p.name for p in (tmp_path / "rev").iterdir()] == []  # no temp file left


def test_a_removed_record_in_a_snapshot_is_refused(tmp_path: Path) -> None:
    rows = rows_for(4, 30)
    rows[-1] = (rows[-1][0], 0, rows[-1][2], 0)
    with pytest.raises(TokenError, match="no 'removed' records"):
        install(tmp_path, rows, 2)


def test_stream_encoder_refuses_short_columns_and_early_headers() -> None:
    d = np.zeros(65537, "<u4")
    d[1:] = 1  # one row in bucket 0 of each section
    enc = StreamEncoder((d, d, d), (4, 4), version=1)
    with pytest.raises(Exception, match="expected the whole body"):
        enc.header()
    with pytest.raises(Exception, match="section 0 keys: expected 14 bytes, got 13"):
        list(enc.body(lambda section, name: [memoryview(b"x" * 13)]))
    with pytest.raises(Exception, match="since widths"):
        StreamEncoder((d, d, d), (4, 2), version=1)
    bad = d.copy()
    bad[5] = 0
    with pytest.raises(Exception, match="non-decreasing"):
        StreamEncoder((bad, d, d), (4, 4), version=1)


# -- a delta merged into the index, streamed ---------------------------------------------------


def oracle_ops(rows: list[tuple[int, int, bytes, int]]) -> list[DeltaOp]:
    """What a delta record means (PK1 spec §6): it replaces everything listed for its key."""
    ops: list[DeltaOp] = []
    for t, status, k, since in rows:
        kind = EntryKind(t)
        ops.append(RemoveKey(kind, k))
        if status == Severity.REVOKED:
            ops.append(Put(RevocationEntry(kind, k)))
        elif status != Severity.GREEN:
            ops.append(Put(RevocationEntry(kind, k, Severity(status), since)))
    return ops


def old_entries(seed: int, n: int, runs: int) -> list[RevocationEntry]:
    """An index's entries: random keys in a few buckets, and subjects/cards with several
    since values (runs that straddle slice boundaries when slices are small)."""
    rnd = random.Random(seed)
    out: list[RevocationEntry] = []
    for _ in range(n):
        t = EntryKind(rnd.choice((0, 1, 2)))
        k = bytes([rnd.randrange(3), rnd.randrange(4)]) + rnd.randbytes(14)
        if t is T:
            out.append(RevocationEntry(t, k))
            continue
        for j in range(rnd.choice((1, 1, runs))):
            out.append(RevocationEntry(t, k, rnd.choice((YELLOW, RED)), 1000 + 17 * j))
    return out


def delta_rows(seed: int, old: list[RevocationEntry], n: int,
               big_since: bool) -> list[tuple[int, int, bytes, int]]:
    """Delta records: new keys (before, between and after the old ones), changes and
    removals of old keys, removals of keys never listed."""
    rnd = random.Random(seed)
    rows: dict[tuple[int, bytes], tuple[int, int, bytes, int]] = {}
    for e in rnd.sample(old, min(n // 2, len(old))):
        t = int(e.kind)
        if t == 0:
            rows[(t, e.key)] = (t, rnd.choice((0, 3)), e.key, 0)
        else:
            rows[(t, e.key)] = (t, rnd.choice((0, 1, 2)), e.key, rnd.randrange(1 << 31))
    for _ in range(n - len(rows)):
        t = rnd.choice((0, 1, 2))
        k = bytes([rnd.choice((0, 1, 2, 255)), rnd.randrange(256)]) + rnd.randbytes(14)
        since = rnd.randrange(1 << 33) if big_since and t == 2 else rnd.randrange(1 << 31)
        rows[(t, k)] = (t, 3, k, 0) if t == 0 else (t, rnd.choice((0, 1, 2)), k, since)
    return sorted(rows.values(), key=lambda r: (r[0], r[2]))


def apply_wire_delta(tmp_path: Path, old: bytes, rows: list[tuple[int, int, bytes, int]],
                     version: int) -> bytes:
    state = RevocationState(tmp_path / "rev")
    state.directory.mkdir(parents=True, exist_ok=True)
    state.path.write_bytes(old)
    wire = tmp_path / "delta.pkrl"
    base = IndexHeader.parse(old[:HEADER_SIZE]).version
    wire.write_bytes(encode_header("delta", base, version, len(rows)) + encode_records(rows))
    state.apply_delta(wire, expect_version=version)
    return state.path.read_bytes()


@pytest.mark.parametrize("n_old, runs, n_delta, big", [
    (0, 1, 0, False), (0, 1, 40, False), (300, 1, 0, False), (300, 5, 120, False),
    (300, 12, 300, False), (300, 5, 120, True), (40, 5, 400, False)])
def test_streamed_delta_equals_the_in_memory_merge(tmp_path: Path, n_old: int, runs: int,
                                                   n_delta: int, big: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revwire, "SLICE_RECORDS", 8)  # runs of one key cross slice boundaries
    old = old_entries(n_old + runs, n_old, runs)
    old_bytes = encode_entries(old, version=4).to_bytes()
    rows = delta_rows(n_delta, old, n_delta, big)
    got = apply_wire_delta(tmp_path, old_bytes, rows, 5)
    want = apply_delta(RevocationIndex(old_bytes), oracle_ops(rows), version=5).to_bytes()
    assert got == want
    with RevocationState(tmp_path / "rev").open() as index:  # and it reads back
        assert list(index.entries()) == list(RevocationIndex(want).entries())
        assert index.version == 5


def test_a_delta_on_a_damaged_index_is_refused_and_the_index_kept(tmp_path: Path) -> None:
    old = encode_entries(old_entries(1, 200, 3), version=4).to_bytes()
    damaged = bytearray(old)
    damaged[-1] ^= 0x01  # the last status byte: structure fine, CRC not
    rows = delta_rows(2, old_entries(1, 200, 3), 50, False)
    with pytest.raises(RevocationIndexError, match="CRC"):
        apply_wire_delta(tmp_path, bytes(damaged), rows, 5)
    assert (tmp_path / "rev" / "revocations.pkridx").read_bytes() == damaged
    assert sorted(p.name for p in (tmp_path / "rev").iterdir()) == ["revocations.pkridx"]
