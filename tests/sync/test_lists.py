"""The PKRL wire format (codes.wire; every field checked by sync's reader) and the stale-data
policy (sync._lists)."""

from __future__ import annotations

import pytest

from codes import EntryKind, Outcome, Severity, TokenError, Verdict
from codes.wire import HEADER, decode_header, encode_header, encode_records
from sync._lists import ListState, apply_stale_policy
from sync._revwire import decode_records

K1, K2 = bytes(range(16)), bytes(range(1, 17))


def _file(kind: str, rows: list[tuple[int, int, bytes, int]], base: int = 0,
          version: int = 1) -> bytes:
    return encode_header(kind, base, version, len(rows)) + encode_records(rows)


def _decode(data: bytes, delta: bool = False) -> list[tuple[int, int, bytes, int]]:
    header = decode_header(data, total_size=len(data))
    rec = decode_records(data, header, delta=delta)
    return [(int(r["type"]), int(r["status"]), bytes(r["key"]), int(r["since"])) for r in rec]


def test_round_trip_full_and_delta() -> None:
    rows = [(0, 3, K1, 5), (1, 2, K1, 10), (1, 1, K2, 11), (2, 1, K1, 12)]
    assert _decode(_file("full", rows, version=7)) == rows
    delta = [(0, 0, K2, 0), (1, 0, K1, 20)]
    data = _file("delta", delta, base=6, version=7)
    assert decode_header(data).kind == "delta"
    assert _decode(data, delta=True) == delta


def test_empty_full_snapshot() -> None:
    assert _decode(_file("full", [])) == []


@pytest.mark.parametrize("mutate, reason", [
    (lambda d: b"XXXX" + d[4:], "malformed"),  # magic
    (lambda d: d[:4] + b"\x02" + d[5:], "malformed"),  # format
    (lambda d: d[:-1], "malformed"),  # truncated body
    (lambda d: d + b"\0", "malformed"),  # trailing byte
    (lambda d: d[:10], "malformed"),  # truncated header
])
def test_bad_headers(mutate: object, reason: str) -> None:
    data = _file("full", [(1, 2, K1, 1)])
    bad = mutate(data)  # type: ignore[operator]
    with pytest.raises(TokenError) as e:
        decode_header(bad, total_size=len(bad))
    assert e.value.reason == reason
    assert "expected" in str(e.value)


def test_record_count_cap() -> None:
    import struct

    data = struct.pack(">4sBBHQQQ", b"PKRL", 1, 0, 0, 0, 1, 10**9)
    with pytest.raises(TokenError) as e:
        decode_header(data)
    assert e.value.reason == "too_large"


def test_delta_base_must_be_older() -> None:
    with pytest.raises(TokenError, match="base < version"):
        decode_header(encode_header("delta", 5, 5, 0))


@pytest.mark.parametrize("rows, match", [
    ([(1, 2, K2, 1), (1, 2, K1, 1)], "sorted"),  # out of order
    ([(1, 2, K1, 1), (1, 1, K1, 2)], "sorted"),  # duplicate key
    ([(2, 2, K1, 1), (1, 2, K2, 1)], "sorted"),  # types out of order
    ([(3, 2, K1, 1)], "type"),
    ([(0, 2, K1, 1)], "token records"),  # a token with a colour
    ([(1, 3, K1, 1)], "token records"),  # a subject "revoked"
    ([(1, 0, K1, 1)], "removed"),  # removal in a full snapshot
    ([(1, 2, K1, -1)], "since"),
])
def test_bad_records(rows: list[tuple[int, int, bytes, int]], match: str) -> None:
    with pytest.raises(TokenError, match=match):
        _decode(_file("full", rows))


def test_removed_allowed_in_delta() -> None:
    assert _decode(_file("delta", [(1, 0, K1, 0)], base=1, version=2), delta=True)


def test_header_size() -> None:
    assert HEADER.size == 32
    assert EntryKind.CARD == 2 and Severity.REVOKED == 3


# -- freshness ---------------------------------------------------------------------------


def test_age_and_stale() -> None:
    never = ListState()
    assert never.age(1000) is None and never.is_stale(1000)
    s = ListState(verified_at=1000)
    assert s.age(1000 + 3600) == 3600
    assert not s.is_stale(1000 + 24 * 3600)
    assert s.is_stale(1000 + 24 * 3600 + 1)
    assert s.is_stale(1000 + 7200, max_age=3600)
    assert s.age(500) == 0  # a clock behind the sync time never gives a negative age


def _lookup(outcome: Outcome, reason: str, fmt: str = "ID") -> Verdict:
    return Verdict(outcome=outcome, reason=reason, format=fmt)


def test_stale_lookup_pass_becomes_attention() -> None:
    stale = ListState(verified_at=0)
    now = 2 * 24 * 3600
    for fmt in ("ID", "CARD"):
        v = apply_stale_policy(_lookup(Outcome.PASS, "no_record", fmt), stale, now)
        assert (v.outcome, v.reason, v.format) == (Outcome.ATTENTION, "stale_data", fmt)
    assert apply_stale_policy(_lookup(Outcome.PASS, "no_record"), ListState(), now).reason \
        == "stale_data"


def test_stale_policy_keeps_listed_status_and_tokens() -> None:
    stale = ListState(verified_at=0)
    now = 2 * 24 * 3600
    red = _lookup(Outcome.DENY, "revoked_subject")
    assert apply_stale_policy(red, stale, now) == red
    token = _lookup(Outcome.PASS, "ok", "PK1")
    assert apply_stale_policy(token, stale, now) == token
    fresh = ListState(verified_at=now - 60)
    ok = _lookup(Outcome.PASS, "no_record")
    assert apply_stale_policy(ok, fresh, now) == ok
