"""The issuing side of PK1 (pure): what the reference service and the tests use to make tokens."""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from codes._base45 import base45_encode
from codes._cbor import encode
from codes._errors import TokenError
from codes._pk1 import (
    CLAIM_CTI,
    CLAIM_EXP,
    CLAIM_IAT,
    CLAIM_ISS,
    CLAIM_NBF,
    CLAIM_PASS,
    LABEL_ALG,
    LABEL_KID,
    PREFIX,
    sig_structure,
)
from codes._verdict import Kind

SigningKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def kid_for_public_key(pub: PublicKey) -> bytes:
    """§2: first 8 bytes of SHA-256 over the SubjectPublicKeyInfo DER."""
    spki = pub.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8]


def cose_alg(key: SigningKey) -> int:
    """COSE alg of a signing key: -8 for Ed25519, -7 for ECDSA P-256."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return -8
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return -7
    raise TokenError("unsupported_alg", f"signing key: expected Ed25519 or P-256, got {key!r}")


def sign(key: SigningKey, message: bytes) -> bytes:
    """Ed25519 signature, or ES256 as raw r||s (64 bytes) as COSE requires."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign1(key: SigningKey, protected: bytes, payload: bytes, *, tag: bool = False) -> bytes:
    """Encoded COSE_Sign1 over already-encoded protected header and payload."""
    sig = sign(key, sig_structure(protected, payload))
    body = encode([protected, {}, payload, sig])
    return b"\xd2" + body if tag else body


def wrap_text(cose: bytes, prefix: str = PREFIX) -> str:
    """``PK1:`` + Base45(zlib(COSE)) at the highest compression level."""
    return prefix + base45_encode(zlib.compress(cose, 9))


def issue_pk1(
    *,
    signing_key: SigningKey,
    kid: bytes | None = None,
    iss: str,
    iat: int,
    exp: int,
    cti: bytes,
    status: int,
    kind: Kind | int,
    sh: bytes,
    nm: str | None = None,
    im: str | None = None,
    px: bool | None = None,
    nbf: int | None = None,
) -> str:
    """Make a signed ``PK1:`` text (§1–§3). ``kid`` defaults to the key's §2 kid.

    ``status`` is 0 green / 1 yellow / 2 red; ``kind`` is ``Kind.PHONE``/0 or ``Kind.PRINTED``/1.
    Values are encoded as given, so tests can also make tokens a verifier must reject.
    """
    if kid is None:
        kid = kid_for_public_key(signing_key.public_key())
    kd = kind if isinstance(kind, int) else (1 if kind == Kind.PRINTED else 0)
    pass_map: dict[int, Any] = {1: 1, 2: int(status), 3: kd, 4: sh}
    if nm is not None:
        pass_map[5] = nm
    if im is not None:
        pass_map[6] = im
    if px is not None:
        pass_map[7] = px
    claims: dict[int, Any] = {
        CLAIM_ISS: iss, CLAIM_EXP: exp, CLAIM_IAT: iat, CLAIM_CTI: cti, CLAIM_PASS: pass_map,
    }  # fmt: skip
    if nbf is not None:
        claims[CLAIM_NBF] = nbf
    protected = encode({LABEL_ALG: cose_alg(signing_key), LABEL_KID: kid})
    return wrap_text(sign1(signing_key, protected, encode(claims)))
