"""A full snapshot streamed into the index equals the in-memory build byte for byte, and every
record is still checked, including the order across the slices it is read in."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import sync._revwire as revwire
from codes import EntryKind, Severity, TokenError
from codes.indexing import EntryColumns, StreamEncoder, encode_columns
from codes.wire import encode_header, encode_records
from sync._revstate import RevocationState

T, S, C = EntryKind.TOKEN, EntryKind.SUBJECT, EntryKind.CARD


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
