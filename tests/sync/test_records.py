"""Entry records: validation (no raw ID numbers), wire encoding and its caps."""

from __future__ import annotations

import dataclasses
import gzip
import json

import pytest

from codes import Outcome, Verdict
from codes.wire import (
    MAX_BATCH_RECORDS,
    EntryRecord,
    RecordError,
    decode_batch,
    encode_batch,
    looks_like_id_number,
    new_record_id,
    record_from_verdict,
    record_to_dict,
    validate_record,
)

AT = 1_790_000_000


def rec(**kw: object) -> EntryRecord:
    base = EntryRecord(
        record_id=new_record_id(), at=AT, site="Site 1", gate="East gate", outcome="pass",
        reason="ok", format="PK1", subject_hash="ab" * 16, token_id="0f" * 16,
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_valid_record_passes() -> None:
    r = rec()
    assert validate_record(r) is r
    assert validate_record(rec(subject_hash=None, token_id=None)).subject_hash is None


@pytest.mark.parametrize(
    "text", ["11010519491231002X", "110105194912310021", "gate 44010619900101123x"]
)
def test_id_like_text_is_detected(text: str) -> None:
    assert looks_like_id_number(text)


@pytest.mark.parametrize("field", ["site", "gate"])
def test_record_with_id_number_in_free_text_is_refused(field: str) -> None:
    with pytest.raises(RecordError, match=f"{field}: expected at most 6 digits in a row and no "
                                          "ID number"):
        validate_record(rec(**{field: "visitor 11010519491231002X"[:16]}))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"record_id": "not-a-uuid"}, "record_id"),
        ({"record_id": new_record_id().upper()}, "canonical"),
        ({"at": 12}, "at: expected epoch"),
        ({"at": 1.79e9}, "at: expected epoch"),
        ({"at": True}, "at: expected epoch"),
        ({"site": ""}, "site"),
        ({"gate": "x" * 65}, "gate"),
        ({"gate": "a\nb"}, "gate: expected letters"),
        ({"outcome": "maybe"}, "outcome"),
        ({"reason": "Bad Reason"}, "reason"),
        ({"format": "pk1"}, "format"),
        # An ID number cannot hide in a hash field: those are exactly 32 hex characters.
        ({"subject_hash": "11010519491231002X"}, "subject_hash"),
        ({"token_id": "AB" * 16}, "token_id"),
        ({"token_id": "ab" * 17}, "token_id"),
    ],
)
def test_malformed_fields_are_refused(changes: dict[str, object], match: str) -> None:
    with pytest.raises(RecordError, match=match):
        validate_record(rec(**changes))


def test_hex_fields_with_long_digit_runs_are_accepted() -> None:
    # 32 hex chars that happen to hold 18+ decimal digits are hashes, not ID numbers.
    validate_record(rec(subject_hash="1234567890123456789012345678abcd"))


def test_record_from_verdict_keeps_hashes_only() -> None:
    v = Verdict(outcome=Outcome.ATTENTION, reason="revoked_subject", format="CARD",
                name_masked="张*", id_masked="1101**********002X", subject_hash="cd" * 16,
                token_id=None)
    r = record_from_verdict(v, at=AT, site="S", gate="G")
    assert (r.outcome, r.reason, r.format, r.subject_hash, r.token_id) == (
        "attention", "revoked_subject", "CARD", "cd" * 16, None)
    assert "002X" not in json.dumps(record_to_dict(r))


def test_batch_roundtrip() -> None:
    records = [rec(), rec(subject_hash=None), rec(site="医院 北门")]
    body = encode_batch(records)
    assert body[:2] == b"\x1f\x8b"
    assert decode_batch(body) == records
    assert decode_batch(encode_batch([])) == []
    assert encode_batch(records) == body  # deterministic (the body is signed)


def _gz(lines: list[bytes]) -> bytes:
    return gzip.compress(b"\n".join(lines) + b"\n")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"plain text", "gzip"),
        (gzip.compress(b'{"a":1}\n')[:-6], "truncated"),
        (gzip.compress(b"x\n") + b"junk", "trailing"),
        (_gz([b"{not json"]), "line 1: expected JSON"),
        (_gz([b"[1,2]"]), "line 1: record: expected a JSON object"),
        (_gz([json.dumps({**record_to_dict(rec()), "photo": "x"}).encode()]), "expected keys"),
        (_gz([json.dumps({**record_to_dict(rec()), "site": "x 11010519491231002X"}).encode()]),
         "no ID number"),
        (_gz([b"x" * 2000]), "at most 1024 bytes"),
    ],
)
def test_bad_batches_are_refused(body: bytes, match: str) -> None:
    with pytest.raises(RecordError, match=match):
        decode_batch(body)


def test_batch_caps() -> None:
    one = json.dumps(record_to_dict(rec())).encode()
    with pytest.raises(RecordError, match="at most 3 records"):
        decode_batch(_gz([one] * 4), max_records=3)
    with pytest.raises(RecordError, match="bytes, got"):
        decode_batch(b"\x1f\x8b" + b"\0" * 100, max_compressed=50)
    # A gzip bomb: tiny on the wire, far beyond the inflated cap; refused without inflating it.
    bomb = gzip.compress(b"\n" * (MAX_BATCH_RECORDS * 1024 + 10))
    assert len(bomb) < 100_000
    with pytest.raises(RecordError, match="inflated"):
        decode_batch(bomb)


@pytest.mark.parametrize(
    "changes",
    [{"record_id": "11010519491231002X"}, {"reason": "11010519491231002X"},
     {"format": "11010519491231002X"}, {"subject_hash": "x 11010519491231002X"},
     {"site": "x" * 60 + "11010519491231002X"}],
)
def test_error_messages_never_echo_an_id_number(changes: dict[str, object]) -> None:
    with pytest.raises(RecordError) as ei:
        validate_record(rec(**changes))
    assert "11010519491231002X" not in str(ei.value)
    line = json.dumps({**record_to_dict(rec()), "11010519491231002X": 1}).encode()
    with pytest.raises(RecordError) as ei:
        decode_batch(_gz([line]))
    assert "11010519491231002X" not in str(ei.value)
