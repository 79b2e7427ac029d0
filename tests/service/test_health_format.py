"""The kiosk health report's wire format (``codes.wire``): strict keys and types, a size cap
checked before parsing, and no ID-like numbers in its free text."""

from __future__ import annotations

import json

import pytest

from codes.wire import MAX_HEALTH, HealthError, KioskHealth, decode_health, encode_health

H = KioskHealth("0.1.0", 12, 300, "ok", "absent", ("rolled_back", "skewed"), 4, "pull: timeout")


def test_round_trip_is_exact_and_compact() -> None:
    data = encode_health(H)
    assert decode_health(data) == H
    assert len(data) < 300 and b" " not in data.replace(b"pull: timeout", b"")


@pytest.mark.parametrize(("patch", "why"), [
    ({"extra": 1}, "expected keys"),
    ({"reader": "on fire"}, "health reader"),
    ({"list_version": "12"}, "list_version"),
    ({"list_version": True}, "list_version"),
    ({"data_age_s": -5}, "data_age_s"),
    ({"queue_depth": 2**40}, "queue_depth"),
    ({"clock_warnings": "skewed"}, "clock_warnings"),
    ({"clock_warnings": ["skewed", "skewed", "skewed", "skewed"]}, "clock_warnings"),
    ({"last_error": "card 110105198001010013 unreadable"}, "ID number"),
    ({"last_error": "line\nbreak"}, "printable"),
    ({"app_version": ""}, "app_version"),
])
def test_anything_off_is_refused_saying_what(patch: dict[str, object], why: str) -> None:
    obj = json.loads(encode_health(H))
    obj.update(patch)
    with pytest.raises(HealthError, match=why):
        decode_health(json.dumps(obj).encode())


def test_size_is_capped_before_parsing() -> None:
    with pytest.raises(HealthError, match=f"at most {MAX_HEALTH} bytes"):
        decode_health(b"{" + b" " * MAX_HEALTH + b"}")
    for junk in (b"", b"[]", b"\xff\xfe", b"null"):
        with pytest.raises(HealthError):
            decode_health(junk)


def test_the_sender_cannot_build_a_bad_report_either() -> None:
    with pytest.raises(HealthError):
        encode_health(KioskHealth("0.1.0", 1, None, "ok", "sideways"))
