"""The province-scale revocation index (codes, codes.indexing) against a dict-based oracle."""

from __future__ import annotations

import contextlib
import json
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes import (
    HEADER_SIZE,
    DeviceError,
    EntryKind,
    IndexHeader,
    RevocationEntry,
    RevocationIndex,
    RevocationIndexError,
    RevocationView,
    Severity,
    StatusEntry,
    TokenError,
    card_hash,
    verify,
)
from codes.indexing import (
    DeltaOp,
    EntryColumns,
    Put,
    Remove,
    RemoveKey,
    apply_delta,
    encode_columns,
    encode_entries,
)
from tests.codes import helpers as h
from tests.codes.revdelta import parse_delta, parse_entries

T, S, C = EntryKind.TOKEN, EntryKind.SUBJECT, EntryKind.CARD
YELLOW, RED = Severity.YELLOW, Severity.RED


# -- the oracle: plain dicts with the documented semantics ----------------------------------


class Oracle:
    def __init__(self) -> None:
        self.tokens: set[bytes] = set()
        self.values: dict[EntryKind, dict[bytes, dict[int, Severity]]] = {S: {}, C: {}}

    @classmethod
    def built(cls, entries: Iterable[RevocationEntry]) -> Oracle:
        o = cls()
        for e in entries:
            if e.kind is T:
                o.tokens.add(e.key)
            else:
                slot = o.values[e.kind].setdefault(e.key, {})
                # Build keeps the more severe of two entries with the same (key, since).
                slot[e.since] = max(slot.get(e.since, YELLOW), e.status)
        return o

    def apply(self, ops: Iterable[DeltaOp]) -> None:
        for op in ops:
            if isinstance(op, Put):
                e = op.entry
                if e.kind is T:
                    self.tokens.add(e.key)
                else:
                    self.values[e.kind].setdefault(e.key, {})[e.since] = e.status
            elif op.kind is T:
                self.tokens.discard(op.key)
            elif isinstance(op, Remove):
                self.values[op.kind].get(op.key, {}).pop(op.since, None)
            else:
                self.values[op.kind].pop(op.key, None)

    def entries(self, kind: EntryKind, key: bytes) -> tuple[StatusEntry, ...]:
        slot = self.values[kind].get(key, {})
        return tuple(StatusEntry(slot[s], s) for s in sorted(slot))

    def count(self) -> int:
        return len(self.tokens) + sum(len(v) for d in self.values.values() for v in d.values())


def assert_same(index: RevocationIndex, oracle: Oracle, keys: Iterable[bytes]) -> None:
    for key in keys:
        assert index.token_revoked(key) == (key in oracle.tokens)
        assert tuple(index.subject_entries(key)) == oracle.entries(S, key)
        assert tuple(index.card_entries(key)) == oracle.entries(C, key)
    assert len(index) == oracle.count()


def build(entries: Sequence[RevocationEntry], version: int = 0) -> RevocationIndex:
    return RevocationIndex(encode_entries(entries, version=version).to_bytes())


# Keys from a small pool so that entries collide; the pool shares two-byte prefixes (same
# bucket) and has extreme bytes (00/ff) to exercise ordering at the bucket edges.
_PREFIXES = [b"\x00\x00", b"\x00\x01", b"\x7f\xff", b"\x80\x00", b"\xff\xff"]
keys_st = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(_PREFIXES),
    st.sampled_from(
        [
            b"\x00" * 14,
            b"\x00" * 13 + b"\x01",
            b"\x01" + b"\x00" * 13,
            b"\xff" * 14,
            b"\x80" + b"\x7f" * 13,
        ]
    ),
)
since_st = st.one_of(
    st.integers(0, 5),
    st.sampled_from([-(1 << 63), -1, (1 << 32) - 1, 1 << 32, (1 << 63) - 1, 1_790_021_050]),
)
sev_st = st.sampled_from([YELLOW, RED])
entry_st = st.one_of(
    st.builds(RevocationEntry, st.just(T), keys_st),
    st.builds(RevocationEntry, st.sampled_from([S, C]), keys_st, sev_st, since_st),
)
op_st = st.one_of(
    st.builds(Put, entry_st),
    st.builds(Remove, st.sampled_from([T, S, C]), keys_st, since_st),
    st.builds(RemoveKey, st.sampled_from([T, S, C]), keys_st),
)
ALL_KEYS = [
    p + r
    for p in _PREFIXES
    for r in (
        b"\x00" * 14,
        b"\x00" * 13 + b"\x01",
        b"\x01" + b"\x00" * 13,
        b"\xff" * 14,
        b"\x80" + b"\x7f" * 13,
    )
]
HYP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYP
@given(st.lists(entry_st, max_size=25))
def test_build_matches_oracle(entries: list[RevocationEntry]) -> None:
    index = build(entries)
    assert_same(index, Oracle.built(entries), ALL_KEYS)
    assert sorted(index.entries(), key=repr) == sorted(
        build(list(index.entries())).entries(), key=repr
    )


@HYP
@given(st.lists(entry_st, max_size=20), st.lists(st.lists(op_st, max_size=15), max_size=3))
def test_deltas_match_oracle(entries: list[RevocationEntry], deltas: list[list[DeltaOp]]) -> None:
    index = build(entries, version=1)
    oracle = Oracle.built(entries)
    for n, ops in enumerate(deltas, 2):
        index = RevocationIndex(apply_delta(index, ops, version=n).to_bytes())
        oracle.apply(ops)
        assert index.version == n
        assert_same(index, oracle, ALL_KEYS)


def test_random_keys_many_entries_and_big_delta() -> None:
    """Random full-width keys (every bucket), ~3,000 entries, a 1,000-op delta."""
    rng = np.random.default_rng(7)
    keys = [rng.bytes(16) for _ in range(1500)]
    entries = [RevocationEntry(T, k) for k in keys[:500]]
    entries += [
        RevocationEntry(S, k, RED if i % 3 else YELLOW, 1000 + i % 7)
        for i, k in enumerate(keys[400:1400])
    ]
    entries += [RevocationEntry(S, k, YELLOW, 2000) for k in keys[400:900]]
    entries += [RevocationEntry(C, k, RED, 5) for k in keys[1000:]]
    index = build(entries)
    oracle = Oracle.built(entries)
    probe = keys + [rng.bytes(16) for _ in range(300)]
    assert_same(index, oracle, probe)
    ops: list[DeltaOp] = []
    for i in range(1000):
        k = keys[int(rng.integers(0, 1500))] if i % 2 else rng.bytes(16)
        kind = (T, S, C)[i % 3]
        r = i % 5
        if r < 2:
            ops.append(Put(RevocationEntry(kind, k, RED, 1000 + i % 7)))
        elif r < 4:
            ops.append(Remove(kind, k, 1000 + i % 7))
        else:
            ops.append(RemoveKey(kind, k))
        probe.append(k)
    new = RevocationIndex(apply_delta(index, ops).to_bytes())
    oracle.apply(ops)
    assert_same(new, oracle, probe)
    # The old index is untouched by applying a delta.
    assert_same(index, Oracle.built(entries), keys)


def test_columns_build_equals_entries_build() -> None:
    rng = np.random.default_rng(3)
    k = rng.integers(0, 256, size=(200, 16), dtype=np.uint8)
    status = rng.integers(1, 3, size=200, dtype=np.uint8)
    since = rng.integers(0, 10, size=200, dtype=np.int64)
    by_cols = encode_columns(
        EntryColumns(k[:50]),
        EntryColumns(k[50:150], status[50:150], since[50:150]),
        EntryColumns(k[150:], status[150:], since[150:]),
        version=9,
    )
    entries = [RevocationEntry(T, bytes(r)) for r in k[:50]]
    entries += [
        RevocationEntry(kind, bytes(k[i]), Severity(int(status[i])), int(since[i]))
        for kind, rows in ((S, range(50, 150)), (C, range(150, 200)))
        for i in rows
    ]
    assert by_cols.to_bytes() == encode_entries(entries, version=9).to_bytes()


# -- edge cases -------------------------------------------------------------------------------


def test_empty_index() -> None:
    index = build([])
    view: RevocationView = index  # mypy checks the protocol is implemented
    assert view is index
    assert len(index) == 0
    key = bytes(16)
    assert not index.token_revoked(key)
    assert index.subject_entries(key) == ()
    assert index.card_entries(key) == ()
    assert list(index.entries()) == []
    emptied = apply_delta(index, [RemoveKey(S, key)])
    assert_same(RevocationIndex(emptied.to_bytes()), Oracle(), [key])


def test_several_entries_per_subject_in_since_order_and_duplicates() -> None:
    k = bytes(range(16))
    entries = [
        RevocationEntry(S, k, RED, 30),
        RevocationEntry(S, k, YELLOW, 10),
        RevocationEntry(S, k, YELLOW, 20),
        RevocationEntry(S, k, RED, 20),
        RevocationEntry(S, k, YELLOW, 20),
        RevocationEntry(T, k),
        RevocationEntry(T, k),
    ]
    index = build(entries)
    assert index.subject_entries(k) == (
        StatusEntry(YELLOW, 10),
        StatusEntry(RED, 20),
        StatusEntry(RED, 30),
    )
    assert index.card_entries(k) == ()
    assert index.token_revoked(k)
    assert len(index) == 4
    # A put with an existing (key, since) replaces the status; other since values stay.
    new = RevocationIndex(
        apply_delta(index, [Put(RevocationEntry(S, k, YELLOW, 20)), Remove(S, k, 10)]).to_bytes()
    )
    assert new.subject_entries(k) == (StatusEntry(YELLOW, 20), StatusEntry(RED, 30))


def test_since_beyond_u32_and_negative_round_trip() -> None:
    k = b"\x01" * 16
    sinces = [-(1 << 63), -1, 0, (1 << 32) - 1, 1 << 32, (1 << 63) - 1]
    index = build([RevocationEntry(C, k, RED, s) for s in sinces])
    assert [e.since for e in index.card_entries(k)] == sinces
    narrow = build([RevocationEntry(C, k, RED, 5)])
    wide = RevocationIndex(apply_delta(narrow, [Put(RevocationEntry(C, k, YELLOW, -3))]).to_bytes())
    assert wide.card_entries(k) == (StatusEntry(YELLOW, -3), StatusEntry(RED, 5))


@pytest.mark.parametrize("bad", [b"", b"x" * 15, b"x" * 17, "x" * 16, None])
def test_lookup_with_wrong_key_is_our_error(bad: object) -> None:
    index = build([])
    for call in (index.token_revoked, index.subject_entries, index.card_entries):
        with pytest.raises(RevocationIndexError, match="16-byte"):
            call(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: RevocationEntry(S, b"x" * 15, RED, 1),
        lambda: RevocationEntry(S, b"x" * 16, Severity.GREEN, 1),
        lambda: RevocationEntry(C, b"x" * 16, RED, 1 << 63),
        lambda: RevocationEntry(C, b"x" * 16, RED, True),
        lambda: Remove(S, b"x", 1),
        lambda: RemoveKey(C, b"x" * 32),
    ],
)
def test_bad_entries_are_refused(make: object) -> None:
    with pytest.raises(RevocationIndexError, match="expected"):
        make()  # type: ignore[operator]


def test_closed_index_refuses_lookups_and_calls_on_close_once() -> None:
    calls: list[int] = []
    index = RevocationIndex(encode_entries([]).to_bytes(), on_close=lambda: calls.append(1))
    with index:
        pass
    index.close()
    assert calls == [1]
    with pytest.raises(DeviceError, match="after close"):
        index.token_revoked(bytes(16))


# -- damaged buffers --------------------------------------------------------------------------


_LAST = (1 << 16) * 4  # offset of a directory's last entry in it


def _sample() -> bytes:
    k = bytes(range(16))
    return encode_entries(
        [RevocationEntry(T, k), RevocationEntry(S, k, RED, 7)], version=3
    ).to_bytes()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b[:10], "truncated"),
        (lambda b: b[:HEADER_SIZE], "truncated or padded"),
        (lambda b: b[:-1], "truncated or padded"),
        (lambda b: b + b"\0", "truncated or padded"),
        (lambda b: b"NOTINDEX" + b[8:], "magic"),
        (lambda b: b[:8] + struct.pack("<H", 2) + b[10:], "format"),
        (lambda b: b[:24] + struct.pack("<Q", 5) + b[32:], "inconsistent"),
        # The token directory's first entry (always 0) and its last (the count) damaged: both
        # ends are checked on opening.
        (lambda b: b[:HEADER_SIZE] + struct.pack("<I", 1) + b[HEADER_SIZE + 4 :], "directory"),
        (
            lambda b: b[: HEADER_SIZE + _LAST] + struct.pack("<I", 99)
            + b[HEADER_SIZE + _LAST + 4 :],
            "directory to run from 0 to 1, got 0 to 99",
        ),
    ],
)
def test_damaged_buffer_is_our_error(mutate: object, message: str) -> None:
    with pytest.raises(RevocationIndexError, match=message) as info:
        RevocationIndex(mutate(_sample()))  # type: ignore[operator]
    assert isinstance(info.value, TokenError)
    assert info.value.reason == "malformed"


def test_flipped_body_byte_fails_the_crc() -> None:
    data = bytearray(_sample())
    index = RevocationIndex(bytes(data))
    index.check_body()
    data[index.layouts[0].keys_off + 3] ^= 0x40
    index = RevocationIndex(bytes(data))  # structure still fine...
    with pytest.raises(RevocationIndexError, match="CRC-32"):
        index.check_body()  # ...the CRC is not
    header = IndexHeader.parse(bytes(data[:HEADER_SIZE]))
    with pytest.raises(RevocationIndexError, match="truncated"):
        header.check_body([bytes(data[HEADER_SIZE:-5])])


def test_corrupt_status_byte_is_our_error_at_lookup() -> None:
    data = bytearray(_sample())
    index = RevocationIndex(bytes(data))
    status_at = index.layouts[1].status_off
    data[status_at] = 9
    with pytest.raises(RevocationIndexError, match="status"):
        RevocationIndex(bytes(data)).subject_entries(bytes(range(16)))


class _Reads:
    """A buffer that records every slice a lookup asks for."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.spans: list[tuple[int, int]] = []

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: slice, /) -> bytes:
        start, stop, _ = index.indices(len(self.data))
        self.spans.append((start, stop))
        return self.data[index]


def _put_u32(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + struct.pack("<I", value) + data[offset + 4 :]


def test_damaged_bucket_is_our_error_when_a_lookup_uses_it() -> None:
    data = _sample()
    k = bytes(range(16))  # bucket 0x0001 of every section
    # Bucket 0's end (= bucket 1's start) in the token directory set past the count (1): the
    # ends are intact, so opening succeeds; each bucket next to the damage refuses a lookup.
    damaged = RevocationIndex(_put_u32(data, HEADER_SIZE + 4, 99))
    with pytest.raises(RevocationIndexError, match=r"bucket 0x0001 .* within rows 0\.\.1 in "
                       r"order, got rows 99\.\.1") as info:
        damaged.token_revoked(k)
    assert isinstance(info.value, TokenError)
    assert info.value.reason == "malformed"
    with pytest.raises(RevocationIndexError, match=r"bucket 0x0000 .* got rows 0\.\.99"):
        damaged.token_revoked(bytes(16))
    assert not damaged.token_revoked(b"\x80" + bytes(15))  # a bucket far from the damage
    assert damaged.subject_entries(k) == (StatusEntry(RED, 7),)  # another section
    with pytest.raises(RevocationIndexError, match="token directory is not a non-decreasing"):
        damaged.check_directories()
    with pytest.raises(RevocationIndexError, match="token directory is not a non-decreasing"):
        list(damaged.entries())
    with pytest.raises(RevocationIndexError, match="token directory"):
        apply_delta(damaged, [Put(RevocationEntry(T, bytes(16)))])
    # A decreasing pair inside the subject directory: bucket 1 runs 0..1, bucket 2 is set to
    # start at 1 and end at 0.
    subject_dir = RevocationIndex(data).layouts[1].dir_off
    damaged = RevocationIndex(_put_u32(data, subject_dir + 3 * 4, 0))
    with pytest.raises(RevocationIndexError, match=r"subject directory .* got rows 1\.\.0"):
        damaged.subject_entries(b"\x00\x02" + bytes(14))
    assert damaged.subject_entries(k) == (StatusEntry(RED, 7),)
    with pytest.raises(RevocationIndexError, match="subject directory is not"):
        damaged.check_directories()
    RevocationIndex(data).check_directories()  # the undamaged index passes



def test_verify_raises_on_a_damaged_index_rather_than_blaming_the_code(store: Any) -> None:
    # A good token whose subject hash sits in a bucket the damage reaches: no verdict on the
    # code (its holder would be told "malformed"), our error instead, as for a card lookup.
    good = h.token()
    data = encode_entries([RevocationEntry(S, h.SH, RED, 7)]).to_bytes()
    index = RevocationIndex(data)
    assert verify(good, store, index, h.NOW).reason == "ok"  # since 7: not counted (§6)
    b = (h.SH[0] << 8) | h.SH[1]
    damaged = RevocationIndex(_put_u32(data, index.layouts[1].dir_off + (b + 1) * 4, 99))
    with pytest.raises(RevocationIndexError, match=f"bucket {b:#06x} of the subject directory"):
        verify(good, store, damaged, h.NOW)
    assert verify("PK1:nonsense", store, damaged, h.NOW).reason == "malformed"  # a bad code

_MANY = encode_entries(
    [RevocationEntry(T, bytes([i % 4, 0, i]) + bytes(13)) for i in range(40)]
    + [RevocationEntry(S, bytes([i % 4, 0, i]) + bytes(13), RED, i) for i in range(40)]
    + [RevocationEntry(C, bytes([i % 4, 0, i]) + bytes(13), YELLOW, -i) for i in range(40)]
).to_bytes()


@settings(max_examples=200, deadline=None)
@given(section=st.integers(0, 2), bucket=st.integers(0, 8), value=st.integers(0, 2**32 - 1))
def test_any_damaged_directory_entry_never_sends_a_lookup_outside_its_section(
    section: int, bucket: int, value: int
) -> None:
    lay = RevocationIndex(_MANY).layouts[section]
    reads = _Reads(_put_u32(_MANY, lay.dir_off + (bucket << 8) * 4, value))
    try:
        index = RevocationIndex(reads)
    except RevocationIndexError as exc:
        assert bucket == 0 and value != 0 and "directory" in str(exc)
        return
    reads.spans.clear()
    lookups = (index.token_revoked, index.subject_entries, index.card_entries)
    for first in range(4):
        for b in (0, 1):
            key = bytes([first, b, 7]) + bytes(13)
            try:
                lookups[section](key)
            except RevocationIndexError as exc:
                assert "expected bucket" in str(exc)
    # Every read stayed inside the looked-up section's columns.
    assert all(lay.keys_off <= a <= z <= lay.end for a, z in reads.spans)


# -- the JSON delta form ----------------------------------------------------------------------

H1 = "0123456789abcdef0123456789ABCDEF"
K1 = bytes.fromhex(H1)


def test_parse_all_three_container_forms() -> None:
    entries = [
        {"type": "token", "id": H1},
        {"type": "subject", "sh": H1.lower(), "status": "yellow", "since": 5},
        {"type": "card", "ch": H1.upper(), "status": "red", "since": -2},
        {"type": "future-kind", "x": "ignored"},
    ]
    expected = [
        Put(RevocationEntry(T, K1)),
        Put(RevocationEntry(S, K1, YELLOW, 5)),
        Put(RevocationEntry(C, K1, RED, -2)),
    ]
    assert parse_delta(json.dumps({"entries": entries}).encode()) == expected
    assert parse_delta(json.dumps(entries).encode()) == expected
    lines = "\n".join(json.dumps(e) for e in entries) + "\n\n"
    assert parse_delta(lines.encode()) == expected
    assert parse_delta(json.dumps(entries[1]).encode()) == expected[1:2]
    assert parse_delta(b"") == []
    assert parse_delta(b" \n") == []
    assert parse_entries(json.dumps({"entries": entries}).encode()) == [
        op.entry for op in expected if isinstance(op, Put)
    ]


def test_parse_ops() -> None:
    text = "\n".join(
        json.dumps(o)
        for o in [
            {"op": "remove", "type": "subject", "sh": H1, "since": 4},
            {"op": "remove", "type": "token", "id": H1},
            {"op": "remove_key", "type": "card", "ch": H1},
            {"op": "put", "type": "card", "ch": H1, "status": "red", "since": 1},
        ]
    )
    assert parse_delta(text.encode()) == [
        Remove(S, K1, 4),
        RemoveKey(T, K1),
        RemoveKey(C, K1),
        Put(RevocationEntry(C, K1, RED, 1)),
    ]
    with pytest.raises(RevocationIndexError, match="expected only entries"):
        parse_entries(text.encode())


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"type": "token", "id": H1[:-2]}, "32 hex"),
        ({"type": "token", "id": H1 + "00"}, "32 hex"),
        ({"type": "token", "id": " " + H1[1:]}, "32 hex"),
        ({"type": "token", "id": 5}, "32 hex"),
        ({"type": "subject", "sh": H1, "status": "green", "since": 1}, "status"),
        ({"type": "subject", "sh": H1, "status": "red"}, "since"),
        ({"type": "subject", "sh": H1, "status": "red", "since": True}, "since"),
        ({"type": "subject", "sh": H1, "status": "red", "since": 1.5}, "since"),
        ({"type": "subject", "sh": H1, "status": "red", "since": 1 << 64}, "64 bits"),
        ({"type": "card", "sh": H1, "status": "red", "since": 1}, "'ch'"),
        ({"sh": H1, "status": "red", "since": 1}, "'type'"),
        ({"type": 3}, "'type'"),
        ({"type": "card", "ch": H1, "status": "red", "since": 1, "op": "zap"}, "op"),
        ({"type": "token", "id": H1, "op": "zap"}, "op"),
        ({"entries": {"type": "token"}}, "array"),
        ([1], "object"),
        ("text", "JSON object, array"),
    ],
)
def test_parse_rejects_with_clear_message(doc: object, message: str) -> None:
    with pytest.raises(RevocationIndexError, match=message):
        parse_delta(json.dumps(doc).encode())


@pytest.mark.parametrize(
    "data",
    [
        b"{",
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff\xfe{",
        b'{"type": "token"\n{',
        b"1" * 5000,
        b'{"type":"token","id":"' + H1.encode() + b'"}\n{oops}',
    ],
)
def test_parse_garbage_is_our_error(data: bytes) -> None:
    with pytest.raises(RevocationIndexError, match="expected"):
        parse_delta(data)


def test_parse_size_cap() -> None:
    data = json.dumps([{"type": "token", "id": H1}] * 10).encode()
    assert len(parse_delta(data, max_bytes=len(data))) == 10
    with pytest.raises(RevocationIndexError, match="at most"):
        parse_delta(data, max_bytes=len(data) - 1)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_parse_random_bytes_never_escapes(data: bytes) -> None:
    with contextlib.suppress(RevocationIndexError):
        parse_delta(data)


# -- the shared conformance revocation list --------------------------------------------------


def test_shared_revocation_list_lookups(shared_dir: Path) -> None:
    """Build the index from the conformance list; answer its id/card lookups as §6 says."""
    import hashlib

    vectors = json.loads((shared_dir / "conformance/pk1/vectors.json").read_text())
    raw = (shared_dir / "conformance/pk1/revocation.json").read_bytes()
    index = build(parse_entries(raw))
    assert len(index) == sum(
        1 for e in json.loads(raw)["entries"] if e["type"] in ("token", "subject", "card")
    )
    for e in json.loads(raw)["entries"]:
        if e["type"] == "token":
            assert index.token_revoked(bytes.fromhex(e["id"]))
    hashes = {h.get("id18") or h["serial"]: bytes.fromhex(h.get("sh") or h["ch"])
              for h in vectors["hashes"]}
    checked = 0
    for case in vectors["lookups"]:
        exp = case["expected"]
        if exp["outcome"] == "invalid":
            continue
        if "id18" in case:
            id18 = case["id18"].upper()
            sh = hashes.get(id18) or hashlib.scrypt(
                id18.encode(), salt=b"PK1/subject/v1", n=2**14, r=8, p=1, dklen=16
            )
            entries, listed = index.subject_entries(sh), "revoked_subject"
        else:
            ch = hashlib.scrypt(
                case["serial"].upper().encode(), salt=b"PK1/card/v1", n=2**14, r=8, p=1, dklen=16
            )
            entries, listed = index.card_entries(ch), "revoked_card"
        worst = max((e.status for e in entries if e.since <= case["now"]), default=None)
        got = {None: ("pass", "no_record"), YELLOW: ("attention", listed), RED: ("deny", listed)}[
            worst
        ]
        assert got == (exp["outcome"], exp["reason"]), case["name"]
        checked += 1
    assert checked >= 3


def test_sorted_and_shuffled_columns_build_the_same_bytes() -> None:
    """The already-sorted fast path and the sort-with-ties path agree (ties on the first 8
    key bytes, several since values per key, duplicate (key, since) with both statuses)."""
    rng = np.random.default_rng(11)
    base = rng.integers(0, 256, size=(40, 16), dtype=np.uint8)
    base[20:, :8] = base[0, :8]  # half the keys share their first 8 bytes
    keys = np.repeat(base, 3, axis=0)
    since = rng.integers(0, 4, size=120).astype(np.int64)
    status = rng.integers(1, 3, size=120).astype(np.uint8)
    shuffled = rng.permutation(120)
    a = encode_columns(subjects=EntryColumns(keys[shuffled], status[shuffled], since[shuffled]))
    index = RevocationIndex(a.to_bytes())
    again = list(index.entries())
    k = np.frombuffer(b"".join(e.key for e in again), np.uint8).reshape(-1, 16)
    b = encode_columns(subjects=EntryColumns(
        k, np.array([e.status for e in again], np.uint8),
        np.array([e.since for e in again], np.int64)))
    assert a.to_bytes() == b.to_bytes()
    oracle = Oracle.built(RevocationEntry(S, bytes(keys[i]), Severity(int(status[i])),
                                          int(since[i])) for i in range(120))
    assert_same(index, oracle, [bytes(r) for r in base])


def test_verify_and_lookups_agree_with_the_in_memory_list(shared_dir: Path) -> None:
    """codes.verify / lookup_* give the same verdicts with this index as with RevocationList,
    and the conformance vectors' expected outcomes, for every vector and lookup."""
    from codes import lookup_card, lookup_id, parse_revocation_list, parse_trust_list, verify

    vectors = json.loads((shared_dir / "conformance/pk1/vectors.json").read_text())
    raw = json.dumps(vectors["revocation"]).encode()
    small = parse_revocation_list(raw)
    index = build(parse_entries(raw))
    trust = parse_trust_list(json.dumps(vectors["trust"]).encode())
    for case in vectors["vectors"]:
        with_index = verify(case["text"], trust, index, case["now"])
        assert with_index == verify(case["text"], trust, small, case["now"]), case["name"]
        assert (with_index.outcome, with_index.reason) == (
            case["expected"]["outcome"], case["expected"]["reason"]), case["name"]
    for case in vectors["lookups"]:
        if "id18" in case:
            got = lookup_id(case["id18"], index, case["now"])
            assert got == lookup_id(case["id18"], small, case["now"]), case["name"]
        else:
            got = lookup_card(case["serial"], index, case["now"])
            assert got == lookup_card(case["serial"], small, case["now"]), case["name"]
        assert (got.outcome, got.reason) == (case["expected"]["outcome"],
                                             case["expected"]["reason"]), case["name"]


def test_verify_and_lookups_load_no_numpy(tmp_path: Path) -> None:
    """A fresh interpreter verifies codes and looks up IDs and cards against an index it maps
    itself, and numpy never loads (what the import-linter contract promises, at run time)."""
    import subprocess
    import sys

    from tests.codes import helpers

    revoked_cti, card = bytes([0xEE] * 16), card_hash("0123456789ABCDEF")
    index_file = tmp_path / "index"
    index_file.write_bytes(encode_entries([
        RevocationEntry(T, revoked_cti), RevocationEntry(C, card, RED, helpers.NOW - 5),
    ]).to_bytes())
    (tmp_path / "trust.json").write_bytes(helpers.trust_json())
    (tmp_path / "ok.txt").write_text(helpers.token())
    (tmp_path / "revoked.txt").write_text(helpers.token(cti=revoked_cti))
    child = f"""
import mmap, sys
from pathlib import Path
import codes
d, now = Path({str(tmp_path)!r}), {helpers.NOW}
trust = codes.parse_trust_list((d / "trust.json").read_bytes())
with open(d / "index", "rb") as f:
    index = codes.RevocationIndex(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
for name in ("ok", "revoked"):
    v = codes.verify((d / f"{{name}}.txt").read_text(), trust, index, now)
    print(name, v.outcome.value, v.reason)
print("card", codes.lookup_card("0123456789abcdef", index, now).reason)
print("id", codes.lookup_id("11010519491231002X", index, now).reason)
print("numpy", sorted(m for m in sys.modules if m.split(".")[0] == "numpy"))
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2], check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "ok pass ok", "revoked deny revoked_token", "card revoked_card", "id no_record",
        "numpy []",
    ]


class SliceReads:
    """An index buffer that only answers slices (as a file read with pread does) and counts
    the reads."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.reads = 0

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index: slice, /) -> bytes:
        assert isinstance(index, slice), "lookups read slices, never single bytes"
        self.reads += 1
        return self._data[index]


def test_lookups_over_slice_reads_match_the_oracle_in_big_buckets_and_long_runs() -> None:
    rng = np.random.default_rng(5)
    crowded = [b"\x00\x01" + bytes(rng.integers(0, 256, 14, dtype=np.uint8))
               for _ in range(3000)]  # one bucket far over the block size
    run_keys = [crowded[0], crowded[1500], crowded[-1], b"\x40\x00" + b"\x07" * 14]
    entries = [RevocationEntry(T, k) for k in crowded]
    entries += [RevocationEntry(S, k, RED, 100 + i) for i, k in enumerate(crowded[::2])]
    # Subjects with many entries: runs longer than the rows read past a bucket's search, in a
    # crowded bucket (first, middle, last key) and in a bucket of its own.
    entries += [RevocationEntry(S, k, YELLOW, 10_000 + j) for k in run_keys for j in range(40)]
    entries += [RevocationEntry(C, k, YELLOW, 7) for k in crowded[:300]]
    oracle = Oracle.built(entries)
    reads = SliceReads(encode_entries(entries).to_bytes())
    index = RevocationIndex(reads)
    probes = crowded[::7] + run_keys + [b"\x00\x01" + b"\xff" * 14, b"\x00\x01" + bytes(14),
                                        b"\x40\x00" + b"\x08" * 14, bytes(16)]
    assert_same(index, oracle, probes)
    assert len(index.subject_entries(crowded[1500])) == 41  # its own entry and the run's 40

    small = [bytes([b, 9]) + bytes(rng.integers(0, 256, 14, dtype=np.uint8))
             for b in range(50, 60)]
    reads = SliceReads(encode_entries([RevocationEntry(S, k, RED, 5) for k in small]).to_bytes())
    index = RevocationIndex(reads)
    before = reads.reads
    assert index.subject_entries(small[3]) == (StatusEntry(RED, 5),)
    assert reads.reads - before == 3  # the bucket's keys, then since and status of the hit
    before = reads.reads
    assert index.subject_entries(small[3][:15] + b"\x00") == ()
    assert index.token_revoked(small[3]) is False
    assert reads.reads - before == 1  # a miss in a non-empty bucket; an empty one reads nothing
