"""Our own PK1 vectors: every reason code of spec §4, each rule's edges, in the spec's order."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import pytest

from codes import Kind, Outcome, RevocationList, Severity, StatusEntry, base45_encode, verify
from codes._cbor import encode
from tests.codes import helpers as h
from tests.codes.helpers import (
    CTI,
    DROP,
    ED_KEY,
    ES_KEY,
    EXP,
    EXPIRED_ED,
    IAT,
    NOW,
    OTHER_ED,
    REVOKED_ED,
    SH,
    claims,
    cose,
    token,
    wrap,
)  # fmt: skip

ok = ("pass", "ok")
malformed = ("invalid", "malformed")


def _payload(**over: Any) -> bytes:
    return encode(claims(**over))


def _raw_payload(raw: bytes) -> str:
    return wrap(cose(raw))


def _claims_with_raw(extra: bytes, count_delta: int = 1) -> bytes:
    """The default claims map with ``extra`` (encoded key/value pairs) appended."""
    body = encode(claims())
    assert 0xA0 <= body[0] <= 0xB7
    return bytes([body[0] + count_delta]) + body[1:] + extra


def _nested(depth: int) -> bytes:
    """An item nested ``depth`` levels deep (arrays of one, innermost an int)."""
    return b"\x81" * (depth - 1) + b"\x01"


def _zlib_bad_adler(data: bytes) -> bytes:
    z = zlib.compress(data)
    return z[:-4] + bytes(b ^ 0xFF for b in z[-4:])


def _small_window(cinfo: int) -> str:
    """A valid token whose zlib header declares a 2**(cinfo+8)-byte window, with a
    back-reference about 300 bytes back (two equal 300-byte unknown claims)."""
    blob = bytes((i * 7919 + 13) % 251 for i in range(300))
    raw = zlib.compress(
        cose(_claims_with_raw(b"\x18\x62\x59\x01\x2c" + blob + b"\x18\x63\x59\x01\x2c" + blob, 2)),
        9,
    )
    cmf = cinfo << 4 | 8
    flg = raw[1] & 0xE0
    flg |= (31 - (cmf * 256 + flg) % 31) % 31
    return "PK1:" + base45_encode(bytes([cmf, flg]) + raw[2:])


CASES: dict[str, tuple[Callable[[], str], tuple[str, str]]] = {
    # --- §1 text form ---
    "ok_ed25519": (lambda: token(), ok),
    "ok_es256": (lambda: token(ES_KEY, iss="CN-51"), ok),
    "ok_tag18": (lambda: wrap(cose(_payload(), tag=True)), ok),
    "wrong_prefix_lower": (lambda: "pk1:" + token()[4:], ("invalid", "wrong_prefix")),
    "wrong_prefix_other": (lambda: "PK2:" + token()[4:], ("invalid", "wrong_prefix")),
    "wrong_prefix_empty": (lambda: "", ("invalid", "wrong_prefix")),
    "wrong_prefix_leading_space": (lambda: " " + token(), ("invalid", "wrong_prefix")),
    "base45_bad_char": (lambda: token()[:-1] + "a", malformed),
    "base45_len_1_mod_3": (lambda: "PK1:0", malformed),
    "base45_group_over_65535": (lambda: "PK1:" + ":::", malformed),
    "base45_pair_over_255": (lambda: "PK1:" + "::", malformed),
    "base45_trailing_newline": (lambda: token() + "\n", malformed),
    "empty_body": (lambda: "PK1:", malformed),
    "not_compressed": (lambda: "PK1:" + base45_encode(cose(_payload())), malformed),
    "zlib_bad_adler": (
        lambda: "PK1:" + base45_encode(_zlib_bad_adler(cose(_payload()))),
        malformed,
    ),
    "zlib_truncated": (
        lambda: "PK1:" + base45_encode(zlib.compress(cose(_payload()))[:-6]),
        malformed,
    ),
    "zlib_trailing_bytes": (
        lambda: "PK1:" + base45_encode(zlib.compress(cose(_payload())) + b"\x00"),
        malformed,
    ),
    "zlib_preset_dictionary": (
        lambda: "PK1:" + base45_encode(_with_dict(cose(_payload()))),
        malformed,
    ),
    "raw_deflate_no_header": (
        lambda: "PK1:" + base45_encode(_raw_deflate(cose(_payload()))),
        malformed,
    ),
    "zlib_reference_beyond_header_window": (lambda: _small_window(0), malformed),
    "zlib_reference_within_header_window_ok": (lambda: _small_window(1), ok),
    "zlib_window_size_over_32k": (lambda: _small_window(8), malformed),
    "too_large_bomb": (
        lambda: "PK1:" + base45_encode(zlib.compress(b"\0" * 10**6)),
        ("invalid", "too_large"),
    ),
    "too_large_4097": (
        lambda: "PK1:" + base45_encode(zlib.compress(b"\0" * 4097)),
        ("invalid", "too_large"),
    ),
    "exactly_4096_is_not_too_large": (
        lambda: "PK1:" + base45_encode(zlib.compress(b"\0" * 4096)),
        malformed,
    ),
    "too_large_wins_over_bad_adler": (
        lambda: "PK1:" + base45_encode(_zlib_bad_adler(b"\0" * 4097)),
        ("invalid", "too_large"),
    ),
    "too_large_wins_over_truncation": (
        lambda: "PK1:" + base45_encode(zlib.compress(bytes(range(256)) * 40)[:-30]),
        ("invalid", "too_large"),
    ),
    "too_large_wins_over_trailing": (
        lambda: "PK1:" + base45_encode(zlib.compress(b"\0" * 5000) + b"junk"),
        ("invalid", "too_large"),
    ),
    # --- §2 COSE structure ---
    "array_of_3": (lambda: wrap(encode([h.protected_for(ED_KEY), {}, _payload()])), malformed),
    "array_of_5": (
        lambda: wrap(encode([h.protected_for(ED_KEY), {}, _payload(), b"s" * 64, 0])),
        malformed,
    ),
    "map_not_array": (lambda: wrap(encode({1: 2})), malformed),
    "other_outer_tag": (lambda: wrap(b"\xd8\x3d" + cose(_payload())), malformed),
    "tag18_non_shortest_ok": (lambda: wrap(b"\xd8\x12" + cose(_payload())), ok),
    "tag18_eight_byte_form_ok": (
        lambda: wrap(b"\xdb" + (18).to_bytes(8, "big") + cose(_payload())),
        ok,
    ),
    "chunked_protected_and_payload_ok": (lambda: wrap(_chunked_cose()), ok),
    "chunked_kid_ok": (
        lambda: wrap(
            cose(
                _payload(),
                protected=b"\xa2\x01\x27\x04\x5f\x43"
                + h.ED_KID[:3]
                + b"\x45"
                + h.ED_KID[3:]
                + b"\xff",
            )
        ),
        ok,
    ),
    "tag18_twice": (lambda: wrap(b"\xd2" + cose(_payload(), tag=True)), malformed),
    "trailing_after_cose": (lambda: wrap(cose(_payload()) + b"\x00"), malformed),
    "protected_not_bstr": (
        lambda: _protected_raw_cose(encode({1: -8, 4: h.ED_KID}), as_map=True),
        malformed,
    ),
    "unprotected_not_map": (lambda: wrap(cose(_payload(), unprotected=[])), malformed),
    "unprotected_ignored_even_alg_kid": (
        lambda: wrap(cose(_payload(), unprotected={1: -7, 4: b"x" * 8, b"k": [1]})),
        ok,
    ),
    "unprotected_duplicate_keys": (
        lambda: wrap(_cose_raw_unprotected(b"\xa2\x01\x01\x18\x01\x02")),
        malformed,
    ),
    "unprotected_tag_inside": (lambda: wrap(_cose_raw_unprotected(b"\xa1\x01\xc1\x01")), malformed),
    "payload_nil": (
        lambda: wrap(encode([h.protected_for(ED_KEY), {}, None, b"s" * 64])),
        malformed,
    ),
    "signature_not_bstr": (
        lambda: wrap(encode([h.protected_for(ED_KEY), {}, _payload(), "sig"])),
        malformed,
    ),
    "protected_extra_label": (
        lambda: wrap(cose(_payload(), protected=encode({1: -8, 4: h.ED_KID, 3: 0}))),
        malformed,
    ),
    "protected_text_label_1": (
        lambda: wrap(cose(_payload(), protected=encode({1: -8, 4: h.ED_KID, "1": 0}))),
        malformed,
    ),
    "protected_missing_kid": (lambda: wrap(cose(_payload(), protected=encode({1: -8}))), malformed),
    "protected_missing_alg": (
        lambda: wrap(cose(_payload(), protected=encode({4: h.ED_KID}))),
        malformed,
    ),
    "protected_empty": (lambda: wrap(cose(_payload(), protected=b"")), malformed),
    "kid_7_bytes": (
        lambda: wrap(cose(_payload(), protected=encode({1: -8, 4: h.ED_KID[:7]}))),
        malformed,
    ),
    "kid_text": (
        lambda: wrap(cose(_payload(), protected=encode({1: -8, 4: "abcdefgh"}))),
        malformed,
    ),
    "alg_text": (
        lambda: wrap(cose(_payload(), protected=encode({1: "EdDSA", 4: h.ED_KID}))),
        malformed,
    ),
    "alg_float": (
        lambda: wrap(cose(_payload(), protected=b"\xa2\x01\xf9\xc8\x00\x04\x48" + h.ED_KID)),
        malformed,
    ),
    "protected_bytes_label": (
        lambda: wrap(cose(_payload(), protected=encode({1: -8, 4: h.ED_KID, b"\x01": 1}))),
        malformed,
    ),
    "protected_trailing": (
        lambda: wrap(cose(_payload(), protected=h.protected_for(ED_KEY) + b"\x00")),
        malformed,
    ),
    "protected_non_shortest_ok": (
        lambda: wrap(cose(_payload(), protected=b"\xa2\x18\x01\x27\x19\x00\x04\x48" + h.ED_KID)),
        ok,
    ),
    # --- §2 strict CBOR inside the payload ---
    "indefinite_payload_map_ok": (
        lambda: _raw_payload(b"\xbf" + encode(claims())[1:] + b"\xff"),
        ok,
    ),
    "non_shortest_ints_ok": (
        lambda: _raw_payload(
            _claims_with_raw(b"\x1b" + (99).to_bytes(8, "big") + b"\x1b" + (5).to_bytes(8, "big"))
        ),
        ok,
    ),
    "chunked_text_ok": (lambda: _raw_payload(_claims_with_raw(b"\x18\x63\x7f\x62ab\x61c\xff")), ok),
    "duplicate_claim": (lambda: _raw_payload(_claims_with_raw(b"\x01\x65CN-44")), malformed),
    "duplicate_claim_non_shortest": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x01\x65CN-44")),
        malformed,
    ),
    "duplicate_text_label": (
        lambda: _raw_payload(_claims_with_raw(b"\x61a\x01\x7f\x61a\xff\x02", 2)),
        malformed,
    ),
    "same_value_different_type_ok": (lambda: _raw_payload(_claims_with_raw(b"\x61\x31\x01")), ok),
    "bytes_label_payload": (lambda: _raw_payload(_claims_with_raw(b"\x41\x01\x01")), malformed),
    "array_label_payload": (lambda: _raw_payload(_claims_with_raw(b"\x81\x01\x01")), malformed),
    "bytes_label_pass_map": (lambda: token(pass_=_pass_with({b"x": 1})), malformed),
    "float_label_pass_map": (lambda: _raw_payload(_pass_raw(b"\xf9\x3c\x00\x01")), malformed),
    "invalid_utf8_unknown_claim": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\x62\xc3\x28")),
        malformed,
    ),
    "invalid_utf8_chunk": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\x7f\x61\xc3\x61\xa9\xff")),
        malformed,
    ),
    "tag_inside_unknown_claim": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\xc1\x01")),
        malformed,
    ),
    "tag18_inside_payload": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\xd2\x01")),
        malformed,
    ),
    "bignum_exp": (
        lambda: _raw_payload(
            encode(claims(exp=DROP))[:0]
            + _map_plus(claims(exp=DROP), b"\x04\xc2\x48" + (EXP).to_bytes(8, "big"))
        ),
        malformed,
    ),
    "depth_16_ok": (lambda: _raw_payload(_claims_with_raw(b"\x18\x63" + _nested(15))), ok),
    "depth_17": (lambda: _raw_payload(_claims_with_raw(b"\x18\x63" + _nested(16))), malformed),
    "depth_17_indefinite": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63" + b"\x9f" * 15 + b"\x01" + b"\xff" * 15)),
        malformed,
    ),
    "depth_16_empty_indefinite_ok": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63" + b"\x9f" * 15 + b"\xff" * 15)),
        ok,
    ),
    "simple_value_two_byte_below_32": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\xf8\x10")),
        malformed,
    ),
    "simple_value_unassigned_ok": (lambda: _raw_payload(_claims_with_raw(b"\x18\x63\xf8\x40")), ok),
    "reserved_additional_info": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\x1c")),
        malformed,
    ),
    "lone_break": (lambda: _raw_payload(_claims_with_raw(b"\x18\x63\xff")), malformed),
    "indefinite_int": (lambda: _raw_payload(_claims_with_raw(b"\x18\x63\x1f")), malformed),
    "chunk_of_wrong_type": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\x7f\x41a\xff")),
        malformed,
    ),
    "length_beyond_input": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\x5b" + (2**63).to_bytes(8, "big"))),
        malformed,
    ),
    "array_count_beyond_input": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\x9b" + (2**64 - 1).to_bytes(8, "big"))),
        malformed,
    ),
    "payload_trailing": (lambda: _raw_payload(encode(claims()) + b"\x00"), malformed),
    "payload_not_map": (lambda: _raw_payload(encode([1, 2])), malformed),
    # --- §3 claims ---
    "unknown_claims_ignored": (
        lambda: _raw_payload(_claims_with_raw(b"\x18\x63\xf6\x63abc\xa1\x01\x02", 2)),
        ok,
    ),
    "iss_missing": (lambda: token(iss=DROP), malformed),
    "iss_int": (lambda: token(iss=44), malformed),
    "exp_missing": (lambda: token(exp=DROP), malformed),
    "iat_missing": (lambda: token(iat=DROP), malformed),
    "exp_bool": (lambda: token(exp=True), malformed),
    "exp_text": (lambda: token(exp=str(EXP)), malformed),
    "exp_null": (lambda: token(exp=None), malformed),
    "exp_float": (
        lambda: _raw_payload(
            _map_plus(claims(exp=DROP), b"\x04\xfb" + __import__("struct").pack(">d", float(EXP)))
        ),
        malformed,
    ),
    "exp_undefined": (lambda: _raw_payload(_map_plus(claims(exp=DROP), b"\x04\xf7")), malformed),
    "iat_negative": (lambda: token(iat=-1), malformed),
    "exp_2_63": (lambda: token(exp=2**63), malformed),
    "exp_2_63_minus_1_ok_but_lifetime": (lambda: token(exp=2**63 - 1), ("invalid", "lifetime")),
    "exp_equals_iat": (lambda: token(exp=IAT), malformed),
    "exp_before_iat": (lambda: token(exp=IAT - 1), malformed),
    "nbf_equals_exp": (lambda: token(nbf=EXP), malformed),
    "nbf_negative": (lambda: token(nbf=-5), malformed),
    "nbf_ok": (lambda: token(nbf=NOW - 10), ok),
    "cti_15": (lambda: token(cti=CTI[:15]), malformed),
    "cti_text": (lambda: token(cti="x" * 16), malformed),
    "cti_missing": (lambda: token(cti=DROP), malformed),
    "pass_missing": (lambda: token(pass_=DROP), malformed),
    "pass_array": (lambda: token(pass_=[1]), malformed),
    "v_2": (lambda: token(v=2), malformed),
    "v_missing": (lambda: token(v=DROP), malformed),
    "v_bool": (lambda: token(v=True), malformed),
    "st_3": (lambda: token(st=3), malformed),
    "st_negative": (lambda: token(st=-1), malformed),
    "st_bool": (lambda: token(st=False), malformed),
    "st_missing": (lambda: token(st=DROP), malformed),
    "kd_2": (lambda: token(kd=2), malformed),
    "kd_missing": (lambda: token(kd=DROP), malformed),
    "sh_17": (lambda: token(sh=SH + b"x"), malformed),
    "sh_missing": (lambda: token(sh=DROP), malformed),
    "nm_32_ok": (lambda: token(nm="张" * 32), ok),
    "nm_33": (lambda: token(nm="张" * 33), malformed),
    "nm_bytes": (lambda: token(nm=b"x"), malformed),
    "nm_null": (lambda: token(nm=None), malformed),
    "nm_absent_ok": (lambda: token(nm=DROP, im=DROP), ok),
    "im_int": (lambda: token(im=5), malformed),
    "px_true_ok": (lambda: token(px=True), ok),
    "px_int": (lambda: token(px=1), malformed),
    "pass_unknown_labels_ok": (lambda: token(pass_=_pass_with({9: [1, 2], "note": "x"})), ok),
    # --- §4 step 2: alg, candidates ---
    "unsupported_alg_es384": (
        lambda: wrap(cose(_payload(), protected=encode({1: -35, 4: h.ED_KID}))),
        ("invalid", "unsupported_alg"),
    ),
    "malformed_beats_unsupported_alg": (
        lambda: wrap(cose(_payload(st=7), protected=encode({1: -35, 4: h.ED_KID}))),
        malformed,
    ),
    "unknown_kid": (
        lambda: wrap(cose(_payload(), protected=encode({1: -8, 4: b"\x00" * 8}))),
        ("invalid", "unknown_key"),
    ),
    "issuer_mismatch": (lambda: token(iss="CN-51"), ("invalid", "unknown_key")),
    "unknown_issuer": (lambda: token(iss="XX-99"), ("invalid", "unknown_key")),
    "alg_mismatch_es256_header_on_ed_kid": (
        lambda: wrap(cose(_payload(), protected=encode({1: -7, 4: h.ED_KID}))),
        ("invalid", "unknown_key"),
    ),
    "untrusted_key": (lambda: token(OTHER_ED), ("invalid", "unknown_key")),
    # --- §4 step 3: signature ---
    "flipped_signature": (lambda: wrap(_flip_sig(cose(_payload()))), ("invalid", "bad_signature")),
    "ed25519_63_byte_signature": (
        lambda: wrap(cose(_payload(), signature=_sig(_payload())[:63])),
        ("invalid", "bad_signature"),
    ),
    "ed25519_65_byte_signature": (
        lambda: wrap(cose(_payload(), signature=_sig(_payload()) + b"\0")),
        ("invalid", "bad_signature"),
    ),
    "empty_signature": (
        lambda: wrap(cose(_payload(), signature=b"")),
        ("invalid", "bad_signature"),
    ),
    "ed25519_s_not_reduced": (
        lambda: wrap(cose(_payload(), signature=_unreduced_s(_payload()))),
        ("invalid", "bad_signature"),
    ),
    "es256_der_signature": (
        lambda: wrap(
            cose(_payload(iss="CN-51"), key=ES_KEY, signature=_der_sig(_payload(iss="CN-51")))
        ),
        ("invalid", "bad_signature"),
    ),
    "es256_high_s_ok": (
        lambda: wrap(
            cose(
                _payload(iss="CN-51"),
                key=ES_KEY,
                signature=_es_sig(_payload(iss="CN-51"), high_s=True),
            )
        ),
        ok,
    ),
    "es256_r_equals_n": (
        lambda: wrap(
            cose(
                _payload(iss="CN-51"),
                key=ES_KEY,
                signature=_es_sig(_payload(iss="CN-51"), r_n=True),
            )
        ),
        ("invalid", "bad_signature"),
    ),
    "es256_zero_signature": (
        lambda: wrap(cose(_payload(iss="CN-51"), key=ES_KEY, signature=b"\0" * 64)),
        ("invalid", "bad_signature"),
    ),
    "payload_swapped": (
        lambda: wrap(cose(_payload(st=0), signature=_sig(_payload(st=2)))),
        ("invalid", "bad_signature"),
    ),
    "signed_with_other_key_same_kid": (
        lambda: wrap(cose(_payload(), key=OTHER_ED, protected=h.protected_for(ED_KEY))),
        ("invalid", "bad_signature"),
    ),
    "sig_over_non_deterministic_structure": (
        lambda: wrap(
            cose(
                _payload(),
                signature=ED_KEY.sign(
                    b"\x9f"
                    + encode(["Signature1", h.protected_for(ED_KEY), b"", _payload()])[1:]
                    + b"\xff"
                ),
            )
        ),
        ("invalid", "bad_signature"),
    ),
    # --- §4 step 4: key state ---
    "key_revoked": (lambda: token(REVOKED_ED), ("invalid", "key_revoked")),
    "key_expired": (lambda: token(EXPIRED_ED), ("invalid", "key_expired")),
    # --- §4 step 5: time ---
    "iat_skew_300_ok": (lambda: token(iat=NOW + 300, exp=NOW + 3600), ok),
    "iat_skew_301": (lambda: token(iat=NOW + 301, exp=NOW + 3600), ("invalid", "not_yet_valid")),
    "nbf_skew_300_ok": (lambda: token(nbf=NOW + 300), ok),
    "nbf_skew_301": (lambda: token(nbf=NOW + 301), ("invalid", "not_yet_valid")),
    "not_yet_valid_beats_expired_never_both": (
        lambda: token(iat=NOW + 400, exp=NOW + 500),
        ("invalid", "not_yet_valid"),
    ),
    "expired_exactly_now": (lambda: token(exp=NOW), ("invalid", "expired")),
    "expired_one_second_later_ok": (lambda: token(exp=NOW + 1), ok),
    "expired_before_lifetime": (
        lambda: token(iat=NOW - 10**6, exp=NOW - 1),
        ("invalid", "expired"),
    ),
    # --- §4 step 6: lifetime ---
    "phone_1_day_ok": (lambda: token(iat=NOW - 10, exp=NOW - 10 + 86_400), ok),
    "phone_1_day_plus_1": (
        lambda: token(iat=NOW - 10, exp=NOW - 10 + 86_401),
        ("invalid", "lifetime"),
    ),
    "printed_7_days_1_hour_ok": (lambda: token(kd=1, iat=NOW - 10, exp=NOW - 10 + 608_400), ok),
    "printed_plus_1": (
        lambda: token(kd=1, iat=NOW - 10, exp=NOW - 10 + 608_401),
        ("invalid", "lifetime"),
    ),
    # --- §4 step 8: status ---
    "status_yellow": (lambda: token(st=1), ("attention", "status_yellow")),
    "status_red": (lambda: token(st=2), ("deny", "status_red")),
}


def _chunked_cose() -> bytes:
    """COSE whose protected header and payload are indefinite-length byte strings in chunks:
    the signature covers their concatenated values (spec §2)."""
    prot, payload = h.protected_for(ED_KEY), _payload()

    def chunked(b: bytes) -> bytes:
        return b"\x5f" + encode(b[:5]) + encode(b"") + encode(b[5:]) + b"\xff"

    return b"\x84" + chunked(prot) + b"\xa0" + chunked(payload) + encode(_sig(payload))


def _with_dict(data: bytes) -> bytes:
    c = zlib.compressobj(zdict=b"PK1 preset dictionary")
    return c.compress(data) + c.flush()


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


def _map_plus(base: dict[Any, Any], extra: bytes) -> bytes:
    body = encode(base)
    return bytes([body[0] + 1]) + body[1:] + extra


def _pass_with(extra: dict[Any, Any]) -> dict[Any, Any]:
    p = claims()[-70000]
    p.update(extra)
    return p


def _pass_raw(extra: bytes) -> bytes:
    """Claims whose pass map gets one raw extra pair."""
    c = claims()
    p = c.pop(-70000)
    pe = encode(p)
    pass_bytes = bytes([pe[0] + 1]) + pe[1:] + extra
    return _map_plus(c, encode(-70000) + pass_bytes)


def _protected_raw_cose(prot_map: bytes, *, as_map: bool) -> str:
    del as_map
    return wrap(b"\x84" + prot_map + b"\xa0" + encode(_payload()) + encode(b"s" * 64))


def _cose_raw_unprotected(unprot: bytes) -> bytes:
    prot = h.protected_for(ED_KEY)
    payload = _payload()
    return b"\x84" + encode(prot) + unprot + encode(payload) + encode(_sig(payload))


def _sig(payload: bytes, key: Any = ED_KEY) -> bytes:
    from codes._issue import sign
    from codes._pk1 import sig_structure

    return sign(key, sig_structure(h.protected_for(key), payload))


def _flip_sig(raw: bytes) -> bytes:
    return raw[:-1] + bytes([raw[-1] ^ 1])


def _unreduced_s(payload: bytes) -> bytes:
    """A valid Ed25519 signature with L added to S: RFC 8032 requires rejecting it."""
    sig = _sig(payload)
    ell = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(sig[32:], "little") + ell
    return sig[:32] + s.to_bytes(32, "little")


_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _es_sig(payload: bytes, *, high_s: bool = False, r_n: bool = False) -> bytes:
    """A raw ES256 signature, with s replaced by n - s (still valid) or r by n (invalid)."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(_der_sig(payload))
    if high_s:
        s = _P256_N - s if s < _P256_N // 2 else s
    if r_n:
        r = _P256_N
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _der_sig(payload: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from codes._pk1 import sig_structure

    return ES_KEY.sign(sig_structure(h.protected_for(ES_KEY), payload), ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("name", sorted(CASES))
def test_reason(name: str, store: Any, empty: RevocationList) -> None:
    make, (outcome, reason) = CASES[name]
    v = verify(make(), store, empty, NOW)
    assert (str(v.outcome), v.reason) == (outcome, reason)
    assert v.format == "PK1"


def test_every_reason_code_has_a_vector() -> None:
    reasons = {r for _, (_, r) in CASES.values()}
    assert reasons >= {
        "ok",
        "wrong_prefix",
        "malformed",
        "too_large",
        "unsupported_alg",
        "unknown_key",
        "bad_signature",
        "key_expired",
        "not_yet_valid",
        "expired",
        "lifetime",
        "status_yellow",
        "status_red",
    }  # fmt: skip  (key_revoked and the revocation reasons are covered below)


def test_verdict_details_after_signature(store: Any, empty: RevocationList) -> None:
    v = verify(token(kd=1, px=True, exp=NOW + 3600), store, empty, NOW)
    assert v.outcome is Outcome.PASS
    assert v.issuer == "CN-44" and v.kid == h.ED_KID.hex() and v.expires_at == NOW + 3600
    assert v.kind is Kind.PRINTED and v.proxy is True
    assert v.name_masked == "张*明" and v.id_masked == "440106********123X"
    assert v.token_id == CTI.hex() and v.subject_hash == SH.hex()


def test_invalid_before_signature_carries_no_details(store: Any, empty: RevocationList) -> None:
    v = verify(wrap(_flip_sig(cose(_payload()))), store, empty, NOW)
    assert v.issuer is None and v.name_masked is None


# --- trust-store subtleties (§4 steps 2-4) ---


def test_kid_collision_second_key_verifies(empty: RevocationList) -> None:
    entries = [h.entry(OTHER_ED, kid=h.ED_KID), h.entry(ED_KEY)]
    assert verify(token(), h.trust(entries), empty, NOW).reason == "ok"


def test_revocation_follows_spki_across_kid_and_iss(empty: RevocationList) -> None:
    entries = [h.entry(ED_KEY), h.entry(ED_KEY, kid=b"\x01" * 8, iss="CN-99", revoked=True)]
    assert verify(token(), h.trust(entries), empty, NOW).reason == "key_revoked"


def test_revoked_wins_over_expired(empty: RevocationList) -> None:
    entries = [h.entry(ED_KEY, revoked=True, not_after=NOW - 5)]
    assert verify(token(), h.trust(entries), empty, NOW).reason == "key_revoked"


def test_key_not_valid_yet_is_key_expired(empty: RevocationList) -> None:
    entries = [h.entry(ED_KEY, not_before=NOW + 1)]
    assert verify(token(), h.trust(entries), empty, NOW).reason == "key_expired"


def test_key_window_edges(empty: RevocationList) -> None:
    at_start = h.trust([h.entry(ED_KEY, not_before=NOW)])
    assert verify(token(), at_start, empty, NOW).reason == "ok"
    at_end = h.trust([h.entry(ED_KEY, not_after=NOW)])
    assert verify(token(), at_end, empty, NOW).reason == "key_expired"


def test_one_live_candidate_is_enough(empty: RevocationList) -> None:
    # Same key listed twice under the kid: one entry expired, one valid -> ok.
    entries = [h.entry(ED_KEY, not_after=NOW - 1), h.entry(ED_KEY)]
    assert verify(token(), h.trust(entries), empty, NOW).reason == "ok"


def test_revoked_candidate_that_does_not_verify_is_irrelevant(empty: RevocationList) -> None:
    entries = [h.entry(OTHER_ED, kid=h.ED_KID, revoked=True), h.entry(ED_KEY)]
    assert verify(token(), h.trust(entries), empty, NOW).reason == "ok"


# --- §4 step 7: revocation ---


def _rev(*subjects: tuple[Severity, int], token_ids: tuple[bytes, ...] = ()) -> RevocationList:
    return RevocationList(token_ids, [(SH, StatusEntry(s, since)) for s, since in subjects])


@pytest.mark.parametrize(
    ("st", "subjects", "tokens", "expected"),
    [
        (0, (), (CTI,), ("deny", "revoked_token")),
        (2, (), (CTI,), ("deny", "revoked_token")),
        (0, ((Severity.RED, NOW - 1),), (), ("deny", "revoked_subject")),
        (0, ((Severity.YELLOW, NOW - 1),), (), ("attention", "revoked_subject")),
        (1, ((Severity.RED, NOW),), (), ("deny", "revoked_subject")),  # since == now counts
        (0, ((Severity.RED, IAT),), (), ("pass", "ok")),  # since == iat: before the token
        (0, ((Severity.RED, IAT - 100),), (), ("pass", "ok")),  # older than the token
        (0, ((Severity.RED, NOW + 1),), (), ("pass", "ok")),  # not in force yet
        (1, ((Severity.YELLOW, NOW - 1),), (), ("attention", "status_yellow")),  # not more severe
        (2, ((Severity.YELLOW, NOW - 1),), (), ("deny", "status_red")),
        (0, ((Severity.YELLOW, NOW - 5), (Severity.RED, NOW - 4)), (), ("deny", "revoked_subject")),
        (0, ((Severity.RED, IAT), (Severity.YELLOW, NOW)), (), ("attention", "revoked_subject")),
    ],
)
def test_revocation_step(
    store: Any,
    st: int,
    subjects: tuple[tuple[Severity, int], ...],
    tokens: tuple[bytes, ...],
    expected: tuple[str, str],
) -> None:
    v = verify(token(st=st), store, _rev(*subjects, token_ids=tokens), NOW)
    assert (str(v.outcome), v.reason) == expected


def test_revocation_applies_only_to_otherwise_valid_tokens(store: Any) -> None:
    v = verify(token(exp=NOW), store, _rev(token_ids=(CTI,)), NOW)
    assert v.reason == "expired"


def test_none_revocation_means_empty(store: Any) -> None:
    assert verify(token(), store, None, NOW).reason == "ok"


def test_base45_of_raw_cose_fixture_is_stable() -> None:
    # The builders are deterministic for Ed25519: the same inputs give the same text.
    assert token() == token()


def test_compression_level_does_not_matter(store: Any, empty: RevocationList) -> None:
    raw = cose(_payload())
    for level in (0, 1, 9):
        assert (
            verify("PK1:" + base45_encode(zlib.compress(raw, level)), store, empty, NOW).reason
            == "ok"
        )
