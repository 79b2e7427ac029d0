"""HC1 (EU DCC / WHO GDHCN) verification, spec §7: signature, CWT exp, key usage. No business rules.

The CBOR here is read as RFC 9052 / RFC 8392 require (through cbor2), without PK1's extra §2
strictness; the envelope (Base45, the 4,096-byte zlib cap) is shared with PK1.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from codes._envelope import HC1_PREFIX as PREFIX
from codes._envelope import unwrap
from codes._errors import TokenError
from codes._idnum import mask_name
from codes._pk1 import sig_structure
from codes._trust import TrustedCert, TrustStore
from codes._verdict import Outcome, Verdict

ALG_ES256, ALG_PS256 = -7, -37
TAG_CWT, TAG_SIGN1 = 61, 18
CLAIM_ISS, CLAIM_EXP, CLAIM_HCERT = 1, 4, -260
MAX_DEPTH = 64  # cbor2 recurses; the input is <= 4,096 bytes anyway
# Extended key usage OIDs of the DCC signing certificate, by certificate type (§7). The EU
# specification also lists the misspelt arc 1.3.6.1.4.1.0.1847 (an extra ".0"), which real
# signing certificates and the EU test data carry, so both spellings name a type.
EKU_BY_TYPE = {
    name: (
        x509.ObjectIdentifier(f"1.3.6.1.4.1.1847.2021.1.{n}"),
        x509.ObjectIdentifier(f"1.3.6.1.4.1.0.1847.2021.1.{n}"),
    )
    for n, name in ((1, "test"), (2, "vaccination"), (3, "recovery"))
}
_TYPE_BY_KEY = {"t": "test", "v": "vaccination", "r": "recovery"}


# A CWT NumericDate (RFC 8392 §2) is an integer or a float. A CBOR integer is at most 64 bits; a
# bignum or a non-finite float is no date at all (and a huge integer would overflow the float
# arithmetic of the expiry check), so it is refused before the signature is even looked at.
_NUMERIC_DATE_MIN = -(1 << 63)
_NUMERIC_DATE_MAX = (1 << 64) - 1


def _numeric_date(value: object, what: str) -> int | float:
    """A CWT time claim, or ``malformed`` (spec §7: a missing or mistyped exp is malformed)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if _NUMERIC_DATE_MIN <= value <= _NUMERIC_DATE_MAX:
            return value
        raise _malformed(f"{what}: expected a NumericDate of at most 64 bits, got a bignum")
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise _malformed(f"{what}: expected a NumericDate, it is missing or mistyped")


def _malformed(message: str) -> TokenError:
    return TokenError("malformed", f"HC1: {message}")


def _load(data: bytes, what: str) -> Any:
    """Exactly one CBOR item; trailing bytes are malformed (§7)."""
    fp = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(fp, max_depth=MAX_DEPTH).decode()
    except Exception as exc:  # cbor2 raises many types (ValueError, CBORDecodeError, ...)
        raise _malformed(f"{what}: expected well-formed CBOR, got {exc}") from None
    if fp.tell() != len(data):
        raise _malformed(f"{what}: expected one item, got {len(data) - fp.tell()} trailing bytes")
    return value


def _cert_type(claims: Mapping[Any, Any]) -> tuple[str | None, str | None]:
    """(certificate type, masked holder name) from the hcert claim (-260 → 1 → DCC)."""
    hcert = claims.get(CLAIM_HCERT)
    dcc = hcert.get(1) if isinstance(hcert, Mapping) else None
    if not isinstance(dcc, Mapping):
        raise _malformed("claim -260: expected a map holding the DCC under key 1")
    types = [name for key, name in _TYPE_BY_KEY.items() if dcc.get(key)]
    cert_type = types[0] if len(types) == 1 else None
    name = None
    nam = dcc.get("nam")
    if isinstance(nam, Mapping):
        parts = [p for p in (nam.get("gn"), nam.get("fn")) if isinstance(p, str) and p]
        name = mask_name(" ".join(parts)) if parts else None
    return cert_type, name


def _verifies(cert: TrustedCert, alg: int, signature: bytes, message: bytes) -> bool:
    key = cert.certificate.public_key()
    try:
        if alg == ALG_ES256 and isinstance(key, ec.EllipticCurvePublicKey):
            if len(signature) != 64:  # COSE: raw r || s, not DER
                return False
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
            return True
        if alg == ALG_PS256 and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
            key.verify(signature, message, pss, hashes.SHA256())
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


def _cert_valid_at(cert: TrustedCert, now: int) -> bool:
    c = cert.certificate
    return c.not_valid_before_utc.timestamp() <= now <= c.not_valid_after_utc.timestamp()


def _allowed_types(cert: TrustedCert) -> set[str] | None:
    """Types the DSC's extended key usage names, or None when it names none (signs all)."""
    try:
        eku = cert.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:  # an undecodable extension restricts nothing we can read
        return None
    named = {t for t, oids in EKU_BY_TYPE.items() if any(oid in eku for oid in oids)}
    return named or None


def verify_hc1(text: str, trust: TrustStore, now: int) -> Verdict:
    """§7 for HC1: decode, then unsupported_alg, unknown_key, bad_signature, wrong_key_usage,
    expired. Raises TokenError for every failure before a verdict with details exists."""
    obj = _load(unwrap(text, PREFIX), "COSE")
    # RFC 9052 allows the COSE_Sign1 tag, RFC 8392 an outer CWT tag around it.
    if isinstance(obj, cbor2.CBORTag) and obj.tag == TAG_CWT:
        obj = obj.value
    if isinstance(obj, cbor2.CBORTag) and obj.tag == TAG_SIGN1:
        obj = obj.value
    # cbor2 yields tuples (and immutable maps) inside tags, lists and dicts outside.
    if not isinstance(obj, list | tuple) or len(obj) != 4:
        raise _malformed("expected COSE_Sign1, an array of 4")
    protected_raw, unprotected, payload_raw, signature = obj
    if not isinstance(protected_raw, bytes) or not isinstance(unprotected, Mapping):
        raise _malformed("expected a protected bstr and an unprotected map")
    if not isinstance(payload_raw, bytes) or not isinstance(signature, bytes):
        raise _malformed("expected payload and signature bstrs")
    protected = _load(protected_raw, "protected header") if protected_raw else {}
    if not isinstance(protected, Mapping):
        raise _malformed("protected header: expected a map")
    claims = _load(payload_raw, "payload")
    if not isinstance(claims, Mapping):
        raise _malformed("payload: expected a CWT claims map")
    exp = _numeric_date(claims.get(CLAIM_EXP), "claim 4 (exp)")
    cert_type, name = _cert_type(claims)
    iss = claims.get(CLAIM_ISS)
    issuer = iss if isinstance(iss, str) else None

    alg = protected.get(1, unprotected.get(1))
    if type(alg) is not int or alg not in (ALG_ES256, ALG_PS256):  # not -7.0, not True
        raise TokenError(
            "unsupported_alg", f"HC1: expected alg -7 (ES256) or -37 (PS256), got {alg!r}"
        )
    kid = protected[4] if 4 in protected else unprotected.get(4)  # protected wins (§7)
    if not isinstance(kid, bytes):
        raise TokenError("unknown_key", "HC1: expected a kid bstr, got none")
    certs = trust.certificates_for_kid(kid)
    if not certs:
        raise TokenError("unknown_key", f"HC1: no trusted certificate with kid {kid.hex()}")
    message = sig_structure(protected_raw, payload_raw)
    good = [c for c in certs if _verifies(c, alg, signature, message)]
    if not good:
        raise TokenError(
            "bad_signature", f"HC1: signature verifies with none of {len(certs)} certs"
        )

    def verdict(outcome: Outcome, reason: str) -> Verdict:
        return Verdict(
            outcome, reason, "HC1", issuer=issuer, kid=kid.hex(), expires_at=int(exp),
            name_masked=name, cert_type=cert_type,
        )  # fmt: skip

    def permits(cert: TrustedCert) -> bool:
        allowed = _allowed_types(cert)
        return allowed is None or cert_type in allowed

    usable = [c for c in good if permits(c)]
    if not usable:
        return verdict(Outcome.INVALID, "wrong_key_usage")
    # The expiration check as the EU DCC test data defines it: the code is valid up to and
    # including its exp (DK and ES sets use a validation clock equal to exp and expect a pass),
    # and only while its signing certificate is within its validity period (common CO16: a DSC
    # not yet valid fails the expiration check). See docs/pk1-format.md, "HC1".
    if now > exp or not any(_cert_valid_at(c, now) for c in usable):
        return verdict(Outcome.INVALID, "expired")
    return verdict(Outcome.PASS, "ok")
