"""PK1 verification, spec §2–§4, in the spec's order; the first failure decides.

Sans-IO: text, trust store, revocation view and ``now`` in, a Verdict out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from codes._cbor import OtherKey, decode_item, encode
from codes._envelope import unwrap
from codes._errors import TokenError
from codes._rev import RevocationView, Severity
from codes._trust import ALG_EDDSA, ALG_ES256, TrustedKey, TrustStore
from codes._verdict import Kind, Outcome, Verdict

PREFIX = "PK1:"
CLOCK_SKEW = 300  # §4 step 5: applies to nbf and iat only
MAX_LIFETIME = {Kind.PHONE: 86_400, Kind.PRINTED: 608_400}  # §4 step 6 (1 day; 7 days + 1 h)
MAX_NAME_CODE_POINTS = 32
ALG_BY_COSE = {-8: ALG_EDDSA, -7: ALG_ES256}
LABEL_ALG, LABEL_KID = 1, 4
CLAIM_ISS, CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_CTI, CLAIM_PASS = 1, 4, 5, 6, 7, -70000
_TIME_LIMIT = 2**63
_STATUS_REASON = {
    Severity.GREEN: (Outcome.PASS, "ok"),
    Severity.YELLOW: (Outcome.ATTENTION, "status_yellow"),
    Severity.RED: (Outcome.DENY, "status_red"),
}
_SEVERITY_OUTCOME = {
    Severity.GREEN: Outcome.PASS,
    Severity.YELLOW: Outcome.ATTENTION,
    Severity.RED: Outcome.DENY,
}


def _malformed(message: str) -> TokenError:
    return TokenError("malformed", message)


@dataclass(frozen=True, slots=True)
class Pk1Token:
    """A structurally valid PK1 token (§1–§3 passed); nothing about trust is known yet."""

    protected: bytes
    payload: bytes
    signature: bytes
    alg: int
    kid: bytes
    iss: str
    exp: int
    nbf: int | None
    iat: int
    cti: bytes
    status: Severity
    kind: Kind
    sh: bytes
    nm: str | None
    im: str | None
    px: bool


def _map(value: Any, what: str) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise _malformed(f"{what}: expected a CBOR map, got {type(value).__name__}")
    for label in value:
        if isinstance(label, bytes | OtherKey):  # §2: labels are integers or text only
            raise _malformed(f"{what}: expected int or text labels, got {label!r}")
    return value


def _int(m: dict[Any, Any], label: int, what: str, required: bool = True) -> int | None:
    if label not in m:
        if required:
            raise _malformed(f"{what}: expected label {label}, it is missing")
        return None
    value = m[label]
    if type(value) is not int:  # not bool, float, null, undefined (§2)
        raise _malformed(f"{what} {label}: expected an integer, got {type(value).__name__}")
    return value


def _bstr(m: dict[Any, Any], label: int, what: str, size: int) -> bytes:
    value = m.get(label)
    if not isinstance(value, bytes) or len(value) != size:
        got = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise _malformed(f"{what} {label}: expected a {size}-byte bstr, got {got}")
    return value


def _time(m: dict[Any, Any], label: int, required: bool = True) -> int | None:
    value = _int(m, label, "claim", required)
    if value is not None and not 0 <= value < _TIME_LIMIT:
        raise _malformed(f"claim {label}: expected 0 <= t < 2**63, got {value}")
    return value


def decode_pk1(text: str) -> Pk1Token:
    """§4 step 1: everything structural. Raises TokenError (malformed / too_large)."""
    raw = unwrap(text, PREFIX)
    cose, _tagged = decode_item(raw, allow_tag18=True)
    if not isinstance(cose, list) or len(cose) != 4:
        got = f"{len(cose)} items" if isinstance(cose, list) else type(cose).__name__
        raise _malformed(f"COSE_Sign1: expected an array of 4, got {got}")
    protected, unprotected, payload, signature = cose
    if not isinstance(protected, bytes):
        raise _malformed(f"COSE_Sign1: expected protected bstr, got {type(protected).__name__}")
    if not isinstance(unprotected, dict):  # contents ignored, never used for alg or kid (§2)
        raise _malformed(f"COSE_Sign1: expected unprotected map, got {type(unprotected).__name__}")
    if not isinstance(payload, bytes):
        raise _malformed(f"COSE_Sign1: expected payload bstr, got {type(payload).__name__}")
    if not isinstance(signature, bytes):
        raise _malformed(f"COSE_Sign1: expected signature bstr, got {type(signature).__name__}")

    header = _map(decode_item(protected)[0], "protected header")
    if set(header) != {LABEL_ALG, LABEL_KID}:
        raise _malformed(f"protected header: expected exactly labels 1 and 4, got {list(header)}")
    alg = _int(header, LABEL_ALG, "protected header")
    assert alg is not None
    kid = _bstr(header, LABEL_KID, "protected header", 8)

    claims = _map(decode_item(payload)[0], "payload")
    iss = claims.get(CLAIM_ISS)
    if not isinstance(iss, str):
        raise _malformed(f"claim 1 (iss): expected text, got {type(iss).__name__}")
    exp = _time(claims, CLAIM_EXP)
    nbf = _time(claims, CLAIM_NBF, required=False)
    iat = _time(claims, CLAIM_IAT)
    assert exp is not None and iat is not None
    if exp <= iat:
        raise _malformed(f"claims: expected exp > iat, got exp={exp} iat={iat}")
    if nbf is not None and nbf >= exp:
        raise _malformed(f"claims: expected nbf < exp, got nbf={nbf} exp={exp}")
    cti = _bstr(claims, CLAIM_CTI, "claim", 16)
    if CLAIM_PASS not in claims:
        raise _malformed("claim -70000 (pass): expected a map, it is missing")
    p = _map(claims[CLAIM_PASS], "pass")
    if _int(p, 1, "pass") != 1:
        raise _malformed(f"pass 1 (v): expected 1, got {p[1]}")
    st = _int(p, 2, "pass")
    if st not in (0, 1, 2):
        raise _malformed(f"pass 2 (st): expected 0, 1 or 2, got {st}")
    kd = _int(p, 3, "pass")
    if kd not in (0, 1):
        raise _malformed(f"pass 3 (kd): expected 0 or 1, got {kd}")
    sh = _bstr(p, 4, "pass", 16)
    nm = p.get(5)
    if 5 in p and (not isinstance(nm, str) or len(nm) > MAX_NAME_CODE_POINTS):
        raise _malformed(f"pass 5 (nm): expected text of <= {MAX_NAME_CODE_POINTS} code points")
    im = p.get(6)
    if 6 in p and not isinstance(im, str):
        raise _malformed(f"pass 6 (im): expected text, got {type(im).__name__}")
    px = p.get(7, False)
    if not isinstance(px, bool):
        raise _malformed(f"pass 7 (px): expected a bool, got {type(px).__name__}")
    return Pk1Token(
        protected, payload, signature, alg, kid, iss, exp, nbf, iat, cti,
        Severity(st), Kind.PRINTED if kd == 1 else Kind.PHONE, sh, nm, im, px,
    )  # fmt: skip


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """RFC 9052 §4.4 Sig_structure for COSE_Sign1, deterministic encoding (§2)."""
    return encode(["Signature1", protected, b"", payload])


def signature_verifies(key: TrustedKey, signature: bytes, message: bytes) -> bool:
    """Ed25519 (RFC 8032, S < L) or ES256 with a raw 64-byte r||s, via ``cryptography``."""
    if len(signature) != 64:
        return False
    try:
        pub = key.public_key
        if isinstance(pub, ed25519.Ed25519PublicKey):
            pub.verify(signature, message)
        else:
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            pub.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def _details(tok: Pk1Token, outcome: Outcome, reason: str) -> Verdict:
    return Verdict(
        outcome, reason, "PK1", issuer=tok.iss, kid=tok.kid.hex(), expires_at=tok.exp,
        name_masked=tok.nm, id_masked=tok.im, kind=tok.kind, proxy=tok.px,
        token_id=tok.cti.hex(), subject_hash=tok.sh.hex(),
    )  # fmt: skip


def verify_pk1(text: str, trust: TrustStore, revocation: RevocationView, now: int) -> Verdict:
    """Spec §4 steps 1–8. Raises TokenError for steps 1–3 (caller turns it into a Verdict)."""
    tok = decode_pk1(text)
    # Step 2: algorithm, then candidate keys by kid + alg + iss.
    alg = ALG_BY_COSE.get(tok.alg)
    if alg is None:
        raise TokenError(
            "unsupported_alg", f"alg: expected -8 (EdDSA) or -7 (ES256), got {tok.alg}"
        )
    candidates = trust.candidates(tok.kid, alg, tok.iss)
    if not candidates:
        raise TokenError(
            "unknown_key", f"no trusted {alg} key with kid {tok.kid.hex()} for issuer {tok.iss!r}"
        )
    # Step 3: the signature must verify with at least one candidate.
    message = sig_structure(tok.protected, tok.payload)
    verified = [
        (k, revoked) for k, revoked in candidates if signature_verifies(k, tok.signature, message)
    ]
    if not verified:
        raise TokenError("bad_signature", f"no signature match among {len(candidates)} keys")
    # Step 4: revocation (propagated by spki in the store) wins over validity windows.
    live = [k for k, revoked in verified if not revoked]
    if not live:
        return _details(tok, Outcome.INVALID, "key_revoked")
    if not any(k.not_before <= now < k.not_after for k in live):
        return _details(tok, Outcome.INVALID, "key_expired")
    # Step 5: time, with clock skew for nbf/iat only.
    if (tok.nbf is not None and tok.nbf > now + CLOCK_SKEW) or tok.iat > now + CLOCK_SKEW:
        return _details(tok, Outcome.INVALID, "not_yet_valid")
    if now >= tok.exp:
        return _details(tok, Outcome.INVALID, "expired")
    # Step 6: lifetime by kind.
    if tok.exp - tok.iat > MAX_LIFETIME[tok.kind]:
        return _details(tok, Outcome.INVALID, "lifetime")
    # Step 7: revocation list. A token entry denies outright.
    if revocation.token_revoked(tok.cti):
        return _details(tok, Outcome.DENY, "revoked_token")
    counted = [e.status for e in revocation.subject_entries(tok.sh) if tok.iat < e.since <= now]
    worst = max([tok.status, *counted])
    if worst > tok.status:
        return _details(tok, _SEVERITY_OUTCOME[worst], "revoked_subject")
    # Step 8: the token's own status.
    outcome, reason = _STATUS_REASON[tok.status]
    return _details(tok, outcome, reason)
