"""Property and fuzz tests: whatever the input, verify returns a Verdict and never raises.

Bounded by construction: the 4,096-byte inflate cap, the 16-level CBOR depth cap and length
checks against the remaining input keep every case small; hypothesis deadlines are off (speed
lives in bench/), example counts are fixed.
"""

from __future__ import annotations

import zlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes import (
    Outcome,
    RevocationList,
    TokenError,
    Verdict,
    base45_decode,
    base45_encode,
    lookup_card,
    lookup_id,
    verify,
)
from codes._cbor import decode_item, encode
from codes._envelope import MAX_INFLATED, inflate_capped
from tests.codes import helpers as h

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
STORE = h.trust()
EMPTY = RevocationList()
VALID = h.token()
VALID_COSE = h.cose(h.encode(h.claims()))


def _check(text: str) -> Verdict:
    v = verify(text, STORE, EMPTY, h.NOW)
    assert isinstance(v, Verdict)
    assert v.outcome in Outcome
    return v


@SETTINGS
@given(st.text(max_size=600))
def test_any_text(text: str) -> None:
    v = _check(text)
    if not text.startswith(("PK1:", "HC1:")):
        assert v.reason == "wrong_prefix"


@SETTINGS
@given(st.binary(max_size=3000), st.sampled_from(["PK1:", "HC1:"]))
def test_random_bytes_through_the_envelope(data: bytes, prefix: str) -> None:
    assert _check(prefix + base45_encode(data)).outcome is Outcome.INVALID
    assert _check(prefix + base45_encode(zlib.compress(data))).outcome is Outcome.INVALID


@SETTINGS
@given(st.data())
def test_mutated_valid_token_text(data: st.DataObject) -> None:
    text = VALID
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(4, len(text) - 1))
        ch = data.draw(st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a\x00é"))
        text = text[:i] + ch + text[i + 1 :]
    v = _check(text)
    assert v.reason != "ok" or text == VALID


@SETTINGS
@given(st.data())
def test_mutated_cose_bytes(data: st.DataObject) -> None:
    raw = bytearray(VALID_COSE)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        i = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "insert":
            raw.insert(i, data.draw(st.integers(0, 255)))
        else:
            del raw[i]
    v = _check(h.wrap(bytes(raw)))
    # A signature covers every byte that matters: a changed token cannot pass as ok unless the
    # change hit only the ignored unprotected map or a non-shortest re-encoding.
    assert v.outcome is Outcome.INVALID or bytes(raw) == VALID_COSE or v.reason == "ok"


_cbor_leaf = st.one_of(
    st.integers(-(2**64), 2**64 - 1),
    st.binary(max_size=40),
    st.text(max_size=40),
    st.booleans(),
    st.none(),
)
_cbor_value = st.recursive(
    _cbor_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.integers(-5, 5), st.text(max_size=3)), children, max_size=5),
    ),
    max_leaves=30,
)


@SETTINGS
@given(_cbor_value)
def test_cbor_round_trip(value: Any) -> None:
    data = encode(value)
    try:
        decoded = decode_item(data)[0]
    except TokenError as exc:  # only depth can legitimately fail
        assert "nesting" in str(exc)
        return
    assert encode(decoded) == data


@SETTINGS
@given(st.binary(max_size=200))
def test_cbor_decoder_never_raises_anything_else(data: bytes) -> None:
    try:
        decode_item(data, allow_tag18=True)
    except TokenError as exc:
        assert exc.reason == "malformed"


@SETTINGS
@given(
    st.sampled_from([1, 4, 5, 6, 7, -70000]),
    _cbor_value,
)
def test_wrong_types_in_every_claim(label: int, value: Any) -> None:
    c = h.claims()
    c[label] = value
    v = _check(h.wrap(h.cose(encode(c))))
    assert v.outcome is not Outcome.PASS or v.reason == "ok"


@SETTINGS
@given(st.sampled_from([1, 2, 3, 4, 5, 6, 7]), _cbor_value)
def test_wrong_types_in_every_pass_field(label: int, value: Any) -> None:
    c = h.claims()
    c[-70000][label] = value
    _check(h.wrap(h.cose(encode(c))))


@SETTINGS
@given(st.integers(1, 64), st.booleans())
def test_deep_nesting_is_bounded(depth: int, indefinite: bool) -> None:
    inner = (b"\x9f" * depth + b"\xff" * depth) if indefinite else (b"\x81" * depth + b"\x00")
    body = encode(h.claims())
    raw = bytes([body[0] + 1]) + body[1:] + b"\x18\x63" + inner
    v = _check(h.wrap(h.cose(raw)))
    # The claim value is at level 2, so arrays fill levels 2..depth+1; a final int one more.
    deepest = depth + 1 if indefinite else depth + 2
    assert v.reason == ("ok" if deepest <= 16 else "malformed")


@SETTINGS
@given(st.integers(0, 60_000))
def test_zlib_bombs_stop_at_the_cap(size: int) -> None:
    comp = zlib.compress(b"\0" * size)
    try:
        out = inflate_capped(comp)
        assert len(out) == size <= MAX_INFLATED
    except TokenError as exc:
        assert exc.reason == "too_large" and size > MAX_INFLATED


@SETTINGS
@given(st.binary(max_size=300))
def test_base45_round_trip(data: bytes) -> None:
    assert base45_decode(base45_encode(data)) == data


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=25))
def test_lookups_never_raise(text: str) -> None:
    assert lookup_card(text, EMPTY, h.NOW).format == "CARD"
    assert lookup_id(text, EMPTY, h.NOW).format == "ID"


def test_giant_strings_and_huge_ints_are_cheap() -> None:
    big = "张" * 1000  # 3,000 bytes of UTF-8, still under the cap
    assert _check(h.token(nm=big)).reason == "malformed"
    assert _check(h.token(exp=2**64 - 1)).reason == "malformed"
    assert _check(h.token(iat=-(2**64))).reason == "malformed"
    assert _check(h.token(nm="x" * 5000)).reason == "too_large"


def test_non_text_input_is_a_verdict() -> None:
    assert verify(b"PK1:", STORE, EMPTY, h.NOW).reason == "malformed"  # type: ignore[arg-type]


def test_worst_inputs_stay_small_in_memory() -> None:
    """A zlib bomb, maximal nesting and a maximal map allocate little (no timing involved)."""
    import tracemalloc

    bomb = "PK1:" + base45_encode(zlib.compress(b"\0" * 50_000_000))
    nested = h.wrap(b"\x9f" * 4000)  # 4,000 open indefinite arrays
    many_keys = h.wrap(b"\xb9\x0f\xa0" + b"".join(encode(i) + b"\x00" for i in range(4000))[:4090])
    tracemalloc.start()
    try:
        for text in (bomb, nested, many_keys):
            tracemalloc.reset_peak()
            assert _check(text).outcome is Outcome.INVALID
            assert tracemalloc.get_traced_memory()[1] < 4 * 1024 * 1024
    finally:
        tracemalloc.stop()


_HC1_CERT = h.dsc(h.HC1_ES_KEY)


@SETTINGS
@given(st.data())
def test_mutated_hc1(data: st.DataObject) -> None:
    from codes import TrustStore

    store = TrustStore(certificates=[_HC1_CERT])
    valid = h.hc1(h.HC1_ES_KEY, _HC1_CERT)
    raw = bytearray(inflate_capped(base45_decode(valid[4:])))
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(raw) - 1))
        if data.draw(st.booleans()):
            raw[i] = data.draw(st.integers(0, 255))
        else:
            raw.insert(i, data.draw(st.sampled_from([0xC0, 0xC1, 0xD8, 0xD9, 0x9F, 0xBF, 0xFF])))
    v = verify(h.wrap(bytes(raw), "HC1:"), store, None, h.HC1_NOW)
    assert v.format == "HC1" and v.outcome in Outcome


def test_text_longer_than_the_cap_is_too_large() -> None:
    from codes._envelope import MAX_TEXT_CHARS

    assert _check("PK1:" + "0" * (MAX_TEXT_CHARS - 4)).reason == "malformed"
    assert _check("PK1:" + "0" * (MAX_TEXT_CHARS - 3)).reason == "too_large"
    assert _check("HC1:" + "0" * (MAX_TEXT_CHARS - 3)).reason == "too_large"
