"""ID numbers, masking, hashes (§5), the §6 interchange files and the lookup path."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from codes import (
    Outcome,
    RevocationList,
    Severity,
    StatusEntry,
    TokenError,
    card_hash,
    check_id18,
    id18_check_char,
    id18_problem,
    lookup_card,
    lookup_id,
    lookup_subject_hash,
    mask_id,
    mask_name,
    normalize_id18,
    parse_revocation_list,
    parse_trust_list,
    subject_hash,
)
from tests.codes import helpers as h

# 2026-09-22 02:02:30 UTC = 10:02:30 in China: "today" there is 2026-09-22.
NOW = 1790042550
VALID = "11010519491231002X"  # the GB 11643 standard's own example


def _id(body17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(body17, weights, strict=True))
    return body17 + "10X98765432"[total % 11]


def test_gb11643_example_and_lowercase_x() -> None:
    assert check_id18(VALID, NOW)
    assert check_id18(VALID.lower(), NOW)
    assert normalize_id18(VALID.lower()) == VALID


@pytest.mark.parametrize(
    "id18",
    [
        VALID[:-1] + "1",  # wrong check character
        VALID[:17],  # 17 characters
        VALID + "0",  # 19 characters
        "",
        "X1010519491231002X"[:17] + "X",  # letter in the body
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits are not ASCII
        _id("11010518991231001"),  # born 1899-12-31
        _id("11010519490231001"),  # February 31st
        _id("11010520260923001"),  # tomorrow in China
        _id("11010519491300001"),  # month 13
    ],
)
def test_bad_id_numbers(id18: str) -> None:
    assert not check_id18(id18, NOW)


def test_check_char_for_a_keypad() -> None:
    assert id18_check_char(VALID[:17]) == VALID[17]
    assert id18_check_char("11010519491231002") == "X"
    assert id18_check_char("44010219900307123") == _id("44010219900307123")[17]
    for bad in ("", VALID[:16], VALID[:17] + "0", "1101051949123100a", "１" * 17):
        with pytest.raises(TokenError):
            id18_check_char(bad)
    assert id18_problem(VALID, NOW) is None
    assert id18_problem(VALID[:-1] + "1", NOW) == "the GB 11643 check character does not match"


def test_birth_date_edges_in_china_time() -> None:
    assert check_id18(_id("11010119000101001"), NOW)
    assert check_id18(_id("11010120260922001"), NOW)  # today in UTC+8
    # At 2026-09-21 16:00 UTC it is already the 22nd in China.
    assert check_id18(_id("11010120260922001"), 1790006400)
    assert not check_id18(_id("11010120260922001"), 1790006399)


def test_masking() -> None:
    assert mask_id("440106199001011234") == "440106********1234"
    assert mask_id("44010619900101123x") == "440106********123X"
    assert mask_id("12345") == "*****"
    assert mask_name("张三明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "*"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("") == ""
    assert mask_name("Erika Musterfrau") == "E***a M********u"


def test_hashes_are_scrypt_with_the_spec_salts() -> None:
    import hashlib

    expected = hashlib.scrypt(
        VALID.encode(), salt=b"PK1/subject/v1", n=2**14, r=8, p=1, dklen=16, maxmem=2**26
    )
    assert subject_hash(VALID) == expected
    assert subject_hash(VALID.lower()) == expected
    assert card_hash("70eb940bd5335f97") == card_hash("70EB940BD5335F97")
    assert len(card_hash("0011223344556677")) == 16
    with pytest.raises(TokenError) as err:
        card_hash("0011")
    assert err.value.reason == "bad_card_serial"
    with pytest.raises(TokenError) as err:
        subject_hash("123")
    assert err.value.reason == "bad_id_number"
    assert "123" not in str(err.value)  # never echo what may be an ID number


# --- §6 trust list ---


def _trust_doc(**over: Any) -> dict[str, Any]:
    e = h.entry(h.ED_KEY)
    e.update(over)
    return {"keys": [e]}


def _unusable(doc: Any) -> None:
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    with pytest.raises(TokenError):
        parse_trust_list(data)


def test_trust_list_parses() -> None:
    store = parse_trust_list(h.trust_json())
    assert len(store.keys) == 4
    k = store.keys[0]
    assert (k.kid, k.iss, k.alg, k.revoked) == (h.ED_KID, "CN-44", "EdDSA", False)


def test_trust_list_kid_upper_case_and_authoritative() -> None:
    store = parse_trust_list(json.dumps(_trust_doc(kid="ABCDEF0123456789")).encode())
    assert store.keys[0].kid == bytes.fromhex("abcdef0123456789")


def test_trust_list_ignores_unknown_alg_entirely() -> None:
    doc = {"keys": [{"alg": "RS256", "kid": 5}, {"alg": -8}, {"spki": 1}, h.entry(h.ED_KEY)]}
    assert len(parse_trust_list(json.dumps(doc).encode()).keys) == 1
    # "EdDSA" is case-sensitive: "eddsa" is just an unknown key type.
    doc = {"keys": [{**h.entry(h.ED_KEY), "alg": "eddsa"}]}
    assert parse_trust_list(json.dumps(doc).encode()).keys == ()


@pytest.mark.parametrize(
    "doc",
    [
        b"\xff\xfe",
        b"{",
        b"[]",
        b'{"keys": {}}',
        {"keys": [1]},
        _trust_doc(kid="abc"),
        _trust_doc(kid="zz" * 8),
        _trust_doc(kid=12),
        _trust_doc(iss=44),
        _trust_doc(not_before="0"),
        _trust_doc(not_after=1.5),
        _trust_doc(not_after=True),
        _trust_doc(revoked=0),
        _trust_doc(spki="not base64!"),
        _trust_doc(spki=base64.b64encode(b"\x30\x00").decode()),
        # an ES256 (P-256) key listed as EdDSA, and a P-384 key listed as ES256
        _trust_doc(spki=base64.b64encode(h.spki(h.ES_KEY)).decode()),
        {"keys": [h.entry(ec.derive_private_key(5, ec.SECP384R1()))]},
    ],
)
def test_trust_list_unusable(doc: Any) -> None:
    _unusable(doc)


def test_trust_list_missing_field() -> None:
    for name in ("kid", "iss", "spki", "not_before", "not_after", "revoked"):
        doc = _trust_doc()
        del doc["keys"][0][name]
        _unusable(doc)


def test_trust_list_size_cap() -> None:
    from codes._trust import MAX_TRUST_LIST_BYTES

    with pytest.raises(TokenError):
        parse_trust_list(b" " * (MAX_TRUST_LIST_BYTES + 1))


# --- §6 revocation list ---

SH_HEX = "00112233445566778899aabbccddeeff"


def _rev_doc(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"entries": list(entries)}).encode()


def test_revocation_list_parses() -> None:
    rl = parse_revocation_list(
        _rev_doc(
            {"type": "token", "id": SH_HEX.upper()},
            {"type": "subject", "sh": SH_HEX, "status": "yellow", "since": 5},
            {"type": "subject", "sh": SH_HEX, "status": "red", "since": 7},
            {"type": "card", "ch": SH_HEX, "status": "red", "since": 9},
            {"type": "future-kind", "anything": [1, 2]},
        )
    )
    key = bytes.fromhex(SH_HEX)
    assert rl.token_revoked(key) and not rl.token_revoked(b"\0" * 16)
    assert list(rl.subject_entries(key)) == [
        StatusEntry(Severity.YELLOW, 5),
        StatusEntry(Severity.RED, 7),
    ]
    assert list(rl.card_entries(key)) == [StatusEntry(Severity.RED, 9)]
    assert len(rl) == 4


@pytest.mark.parametrize(
    "entry",
    [
        {"id": SH_HEX},  # no type
        {"type": 3, "id": SH_HEX},
        {"type": "token"},
        {"type": "token", "id": SH_HEX[:30]},
        {"type": "token", "id": " " + SH_HEX[1:]},
        {"type": "subject", "sh": SH_HEX, "status": "green", "since": 1},
        {"type": "subject", "sh": SH_HEX, "status": "RED", "since": 1},
        {"type": "subject", "sh": SH_HEX, "status": "red"},
        {"type": "subject", "sh": SH_HEX, "status": "red", "since": "1"},
        {"type": "subject", "sh": SH_HEX, "status": "red", "since": True},
        {"type": "card", "status": "red", "since": 1},
        "token",
    ],
)
def test_revocation_list_unusable(entry: Any) -> None:
    with pytest.raises(TokenError):
        parse_revocation_list(_rev_doc(entry))


@pytest.mark.parametrize("data", [b"", b"[]", b'{"entries": 5}', b"\x80"])
def test_revocation_list_unusable_document(data: bytes) -> None:
    with pytest.raises(TokenError):
        parse_revocation_list(data)


# --- lookups ---


def test_lookup_id() -> None:
    sh = subject_hash(VALID)
    rl = RevocationList(subjects=[(sh, StatusEntry(Severity.YELLOW, NOW - 10))])
    v = lookup_id(VALID.lower(), rl, NOW)
    assert (v.outcome, v.reason, v.format) == (Outcome.ATTENTION, "revoked_subject", "ID")
    assert v.subject_hash == sh.hex() and v.id_masked == "110105********002X"
    assert lookup_id(VALID, rl, NOW - 11).reason == "no_record"  # since > now: not counted
    assert lookup_id(VALID, rl, NOW - 10).reason == "revoked_subject"  # since == now counts
    bad = lookup_id(VALID[:-1] + "1", rl, NOW)
    assert (bad.outcome, bad.reason, bad.subject_hash) == (Outcome.INVALID, "bad_id_number", None)


def test_lookup_most_severe_counted_entry_decides() -> None:
    sh = b"\x01" * 16
    rl = RevocationList(
        subjects=[
            (sh, StatusEntry(Severity.YELLOW, 1)),
            (sh, StatusEntry(Severity.RED, 2)),
            (sh, StatusEntry(Severity.RED, NOW + 5)),
        ]
    )
    assert lookup_subject_hash(sh, rl, NOW).outcome is Outcome.DENY
    assert lookup_subject_hash(sh, rl, 1).outcome is Outcome.ATTENTION
    assert lookup_subject_hash(sh, rl, 0).reason == "no_record"


def test_lookup_card() -> None:
    ch = card_hash("0011223344556677")
    rl = RevocationList(cards=[(ch, StatusEntry(Severity.RED, NOW))])
    v = lookup_card("0011223344556677", rl, NOW)
    assert (v.outcome, v.reason, v.format, v.card_hash) == (
        Outcome.DENY,
        "revoked_card",
        "CARD",
        ch.hex(),
    )
    assert lookup_card("FFEEDDCCBBAA9988", rl, NOW).reason == "no_record"
    for serial in ("XYZ", "00112233445566", "001122334455667788", "00112233 4556677"):
        assert lookup_card(serial, rl, NOW).reason == "bad_card_serial"
