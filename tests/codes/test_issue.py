"""The issuing side: issue_pk1 makes tokens the verifier accepts, with every field carried."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from codes import Kind, Outcome, RevocationList, TokenError, issue_pk1, kid_for_public_key, verify
from codes._pk1 import decode_pk1
from tests.codes import helpers as h


@pytest.mark.parametrize(("key", "iss"), [(h.ED_KEY, "CN-44"), (h.ES_KEY, "CN-51")])
def test_issue_round_trip(key: Any, iss: str, store: Any) -> None:
    text = issue_pk1(
        signing_key=key,
        iss=iss,
        iat=h.IAT,
        exp=h.IAT + 7 * 86_400,
        nbf=h.IAT,
        cti=b"\x42" * 16,
        status=1,
        kind=Kind.PRINTED,
        sh=h.SH,
        nm="李*",
        im="440106********123X",
        px=True,
    )
    assert text.startswith("PK1:")
    v = verify(text, store, RevocationList(), h.NOW)
    assert (v.outcome, v.reason) == (Outcome.ATTENTION, "status_yellow")
    assert (v.kind, v.proxy, v.name_masked, v.issuer) == (Kind.PRINTED, True, "李*", iss)
    assert v.kid == kid_for_public_key(key.public_key()).hex()
    tok = decode_pk1(text)
    assert (tok.nbf, tok.cti, tok.sh) == (h.IAT, b"\x42" * 16, h.SH)


def test_issue_minimal_and_explicit_kid(store: Any) -> None:
    text = issue_pk1(
        signing_key=h.ED_KEY, kid=h.ED_KID, iss="CN-44", iat=h.IAT, exp=h.EXP, cti=h.CTI,
        status=0, kind=0, sh=h.SH,
    )  # fmt: skip
    tok = decode_pk1(text)
    assert (tok.nm, tok.im, tok.px, tok.nbf, tok.kind) == (None, None, False, None, Kind.PHONE)
    assert verify(text, store, None, h.NOW).reason == "ok"


def test_kid_is_sha256_of_spki() -> None:
    assert (
        kid_for_public_key(h.ED_KEY.public_key()) == hashlib.sha256(h.spki(h.ED_KEY)).digest()[:8]
    )


def test_issue_refuses_keys_it_cannot_sign_for() -> None:
    with pytest.raises(TokenError):
        issue_pk1(
            signing_key=ec.derive_private_key(3, ec.SECP384R1()), iss="CN-44", iat=0, exp=1,
            cti=h.CTI, status=0, kind=0, sh=h.SH,
        )  # fmt: skip
