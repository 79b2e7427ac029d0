"""Base45 (RFC 9285) and the strict CBOR decoder / deterministic encoder, directly."""

from __future__ import annotations

import math
from typing import Any

import pytest

from codes import TokenError, base45_decode, base45_encode
from codes._cbor import MAX_DEPTH, UNDEFINED, OtherKey, Simple, decode_item, encode


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"AB", "BB8"),  # RFC 9285 §4.3 examples
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
        (b"\x00", "00"),
        (b"\xff\xff", "FGW"),
    ],
)
def test_base45_known_values(raw: bytes, text: str) -> None:
    assert base45_encode(raw) == text
    assert base45_decode(text) == raw


@pytest.mark.parametrize("text", ["GGW", "::", "0", "0000", "aB8", "BB8\n", "BB8 ".strip() + "?"])
def test_base45_rejects(text: str) -> None:
    with pytest.raises(TokenError) as err:
        base45_decode(text)
    assert err.value.reason == "malformed"


def test_base45_space_is_part_of_the_alphabet() -> None:
    assert base45_decode(" 0") == bytes([36])
    assert base45_decode("  0") == (36 + 36 * 45).to_bytes(2, "big")


def _d(data: bytes) -> Any:
    return decode_item(data)[0]


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"\x00", 0),
        (b"\x17", 23),
        (b"\x18\x18", 24),
        (b"\x1b\xff\xff\xff\xff\xff\xff\xff\xff", 2**64 - 1),
        (b"\x3b\xff\xff\xff\xff\xff\xff\xff\xff", -(2**64)),
        (b"\x18\x01", 1),  # non-shortest accepted
        (b"\x5f\x41a\x42bc\xff", b"abc"),
        (b"\x7f\x61a\x62bc\xff", "abc"),
        (b"\x9f\x01\x02\xff", [1, 2]),
        (b"\xbf\x01\x02\xff", {1: 2}),
        (b"\xf4", False),
        (b"\xf5", True),
        (b"\xf6", None),
        (b"\xf9\x3c\x00", 1.0),
        (b"\xfa\x3f\xc0\x00\x00", 1.5),
        (b"\xfb\x3f\xf8\x00\x00\x00\x00\x00\x00", 1.5),
    ],
)
def test_cbor_decodes(data: bytes, value: Any) -> None:
    got = _d(data)
    assert got == value and type(got) is type(value)


def test_cbor_special_values() -> None:
    assert _d(b"\xf7") is UNDEFINED
    assert _d(b"\xf0") == Simple(16)
    assert _d(b"\xf8\xff") == Simple(255)
    assert math.isnan(_d(b"\xf9\x7e\x00"))


def test_cbor_keys_of_different_types_do_not_collide() -> None:
    # 1, "1", true and 1.0 are four different CBOR keys.
    m = _d(b"\xa4\x01\x00\x61\x31\x00\xf5\x00\xf9\x3c\x00\x00")
    assert len(m) == 4
    assert OtherKey(("bool", True)) in m


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01\x02",  # trailing
        b"\x1c",  # reserved additional info
        b"\x5f\x61a\xff",  # text chunk in a byte string
        b"\x5f\x5f\xff\xff",  # nested indefinite chunk
        b"\x62\xc3\x28",  # invalid UTF-8
        b"\x63\xed\xa0\x80",  # UTF-8 encoded surrogate
        b"\xc1\x01",  # a tag
        b"\xd2\x80",  # tag 18 where no tag may be
        b"\xff",  # lone break
        b"\x1f",  # indefinite integer
        b"\xdf\x01",  # indefinite tag
        b"\xf8\x01",  # two-byte simple value < 32
        b"\xa2\x01\x00\x01\x00",  # duplicate key
        b"\xa2\x01\x00\x18\x01\x00",  # duplicate key, one non-shortest
        b"\xa2\x61a\x00\x7f\x61a\xff\x00",  # duplicate text, one chunked
        b"\xa2\x81\x01\x00\x9f\x01\xff\x00",  # duplicate array keys
        b"\xa2\xa1\x01\x02\x00\xa1\x01\x02\x00",  # duplicate map keys
        b"\xa1\x01",  # map missing a value
        b"\xbf\x01\xff",  # indefinite map with a key but no value
        b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff",  # huge array count
        b"\x5b\x7f\xff\xff\xff\xff\xff\xff\xff",  # huge length
        b"\x81" * MAX_DEPTH + b"\x00",  # 17 levels
    ],
)
def test_cbor_rejects(data: bytes) -> None:
    with pytest.raises(TokenError) as err:
        decode_item(data)
    assert err.value.reason == "malformed"


def test_cbor_depth_limit_exact() -> None:
    assert decode_item(b"\x81" * (MAX_DEPTH - 1) + b"\x00")[0] is not None
    assert decode_item(b"\x9f" * MAX_DEPTH + b"\xff" * MAX_DEPTH)[0] is not None


def test_cbor_outer_tag18_only_when_allowed() -> None:
    assert decode_item(b"\xd2\x80", allow_tag18=True) == ([], True)
    assert decode_item(b"\x80", allow_tag18=True) == ([], False)
    for data in (b"\xd3\x80", b"\xd2\xd2\x80", b"\xd8\x12\x80\x00"):
        with pytest.raises(TokenError):
            decode_item(data, allow_tag18=True)


def test_cbor_tag18_does_not_add_a_level() -> None:
    assert decode_item(b"\xd2" + b"\x81" * (MAX_DEPTH - 1) + b"\x00", allow_tag18=True)


@pytest.mark.parametrize(
    ("value", "data"),
    [
        (0, b"\x00"),
        (24, b"\x18\x18"),
        (-1, b"\x20"),
        (-70000, b"\x3a\x00\x01\x11\x6f"),
        (b"", b"\x40"),
        ("Signature1", b"\x6aSignature1"),
        ({10: 0, -1: 0, "a": 0}, b"\xa3\x0a\x00\x20\x00\x61a\x00"),  # sorted by encoded key
        ([True, False, None], b"\x83\xf5\xf4\xf6"),
    ],
)
def test_encode_is_deterministic(value: Any, data: bytes) -> None:
    assert encode(value) == data


def test_encode_rejects_what_it_cannot_encode() -> None:
    with pytest.raises(TokenError):
        encode(1.5)
    with pytest.raises(TokenError):
        encode(2**64)


# RFC 8949 Appendix F.1: examples of CBOR data items that are not well-formed.
_F1 = """
18 19 1a 1b 1901 1a0102 1b01020304050607 38 58 78 98 9a01ff00 b8 d8 f8 f900 fa0000 fb000000
41 61 5affffffff00 5bffffffffffffffff010203 7affffffff00 7b7fffffffffffffff010203
81 818181818181818181 8200 a1 a20102 a100 a2000000
c0
5f4100 7f6100
9f 9f0102 bf bf01020102 819f 9f8000 9f9f9f9f9fffffffff 9f819f819f9fffffff
1c 1d 1e 3c 3d 3e 5c 5d 5e 7c 7d 7e 9c 9d 9e bc bd be dc dd de fc fd fe
f800 f801 f818 f81f
5f00ff 5f21ff 5f6100ff 5f80ff 5fa0ff 5fc000ff 5fe0ff 7f4100ff
5f5f4100ffff 7f7f6100ffff
ff
81ff 8200ff a1ff a1ff00 a100ff a20000ff 9f81ff 9f829f819f9fffffffff
bf00ff bf000000ff
1f 3f df
"""
_NOT_WELL_FORMED = [item for line in _F1.splitlines() for item in line.split(" ") if item]


@pytest.mark.parametrize("hexdata", _NOT_WELL_FORMED)
def test_rfc8949_appendix_f_not_well_formed(hexdata: str) -> None:
    with pytest.raises(TokenError) as err:
        decode_item(bytes.fromhex(hexdata), allow_tag18=True)
    assert err.value.reason == "malformed"


# RFC 8949 Appendix A: well-formed examples (tagged ones excluded: PK1 forbids tags).
_A = """
00 01 0a 17 1818 1819 1864 1903e8 1a000f4240 1b000000e8d4a51000 1bffffffffffffffff
3bffffffffffffffff 20 29 3863 3903e7 f90000 f98000 f93c00 fb3ff199999999999a f93e00 f97bff
fa47c35000 fa7f7fffff fb7e37e43c8800759c f90001 f90400 f9c400 fbc010666666666666 f97c00 f97e00
f9fc00 fa7f800000 fa7fc00000 faff800000 fb7ff0000000000000 fb7ff8000000000000
fbfff0000000000000 f4 f5 f6 f7 f0 f8ff 40 4401020304 60 6161 6449455446 62225c 62c3bc
63e6b0b4 64f0908591 80 83010203 8301820203820405 a0 a201020304 a26161016162820203
826161a161626163 a56161614161626142616361436164614461656145 5f42010243030405ff
7f657374726561646d696e67ff 9fff 9f018202039f0405ffff 9f01820203820405ff 83018202039f0405ff
83019f0203ff820405 bf61610161629f0203ffff 826161bf61626163ff bf6346756ef563416d7421ff
"""
_WELL_FORMED = [item for line in _A.splitlines() for item in line.split(" ") if item]


@pytest.mark.parametrize("hexdata", _WELL_FORMED)
def test_rfc8949_appendix_a_well_formed(hexdata: str) -> None:
    decode_item(bytes.fromhex(hexdata))
