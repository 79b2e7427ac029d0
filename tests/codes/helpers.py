"""The project's own PK1/HC1 test material: fixed keys, a trust list, token builders.

Everything is derived from fixed seeds so the tests stand alone (no ../shared needed). ES256
signatures are randomised by nature, so ES256 tokens differ from run to run but verify the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from codes import base45_encode, kid_for_public_key, parse_trust_list
from codes._cbor import encode
from codes._issue import sign
from codes._pk1 import sig_structure

NOW = 1_800_000_000
IAT = NOW - 60
EXP = NOW + 3600
CTI = bytes(range(16))
SH = hashlib.sha256(b"subject").digest()[:16]

ED_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
ES_KEY = ec.derive_private_key(0x5EED_0000_1111_2222_3333_4444_5555_6666, ec.SECP256R1())
OTHER_ED = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(101, 133)))
REVOKED_ED = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(201, 233)))
EXPIRED_ED = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
ED_KID = kid_for_public_key(ED_KEY.public_key())
ES_KID = kid_for_public_key(ES_KEY.public_key())

DROP = object()  # marks a claim/label to leave out


def spki(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def entry(
    key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey,
    *,
    iss: str = "CN-44",
    kid: bytes | None = None,
    not_before: int = NOW - 10**6,
    not_after: int = NOW + 10**6,
    revoked: bool = False,
) -> dict[str, Any]:
    import base64

    alg = "EdDSA" if isinstance(key, ed25519.Ed25519PrivateKey) else "ES256"
    return {
        "kid": (kid or kid_for_public_key(key.public_key())).hex(),
        "iss": iss,
        "alg": alg,
        "spki": base64.b64encode(spki(key)).decode(),
        "not_before": not_before,
        "not_after": not_after,
        "revoked": revoked,
    }


def trust_entries() -> list[dict[str, Any]]:
    """The default trust list: one good key per alg plus the odd ones the reason tests need."""
    return [
        entry(ED_KEY),
        entry(ES_KEY, iss="CN-51"),
        entry(REVOKED_ED, revoked=True),
        entry(EXPIRED_ED, not_after=NOW - 1),
    ]


def trust_json(entries: list[dict[str, Any]] | None = None) -> bytes:
    return json.dumps({"keys": trust_entries() if entries is None else entries}).encode()


def trust(entries: list[dict[str, Any]] | None = None) -> Any:
    return parse_trust_list(trust_json(entries))


def claims(**over: Any) -> dict[int, Any]:
    """Default valid claims; keyword names iss/exp/nbf/iat/cti/pass or pass fields v/st/kd/sh/
    nm/im/px override (DROP removes)."""
    p: dict[Any, Any] = {1: 1, 2: 0, 3: 0, 4: SH, 5: "张*明", 6: "440106********123X"}
    for name, label in (("v", 1), ("st", 2), ("kd", 3), ("sh", 4), ("nm", 5), ("im", 6), ("px", 7)):
        if name in over:
            value = over.pop(name)
            if value is DROP:
                p.pop(label, None)
            else:
                p[label] = value
    c: dict[Any, Any] = {1: "CN-44", 4: EXP, 6: IAT, 7: CTI, -70000: p}
    for name, label in (
        ("iss", 1),
        ("exp", 4),
        ("nbf", 5),
        ("iat", 6),
        ("cti", 7),
        ("pass_", -70000),
    ):
        if name in over:
            value = over.pop(name)
            if value is DROP:
                c.pop(label, None)
            else:
                c[label] = value
    assert not over, over
    return c


def protected_for(key: Any, kid: bytes | None = None) -> bytes:
    alg = -8 if isinstance(key, ed25519.Ed25519PrivateKey) else -7
    return encode({1: alg, 4: kid or kid_for_public_key(key.public_key())})


def cose(
    payload: bytes,
    *,
    key: Any = ED_KEY,
    protected: bytes | None = None,
    unprotected: Any = None,
    signature: bytes | None = None,
    tag: bool = False,
) -> bytes:
    prot = protected_for(key) if protected is None else protected
    sig = sign(key, sig_structure(prot, payload)) if signature is None else signature
    body = encode([prot, {} if unprotected is None else unprotected, payload, sig])
    return b"\xd2" + body if tag else body


def wrap(raw_cose: bytes, prefix: str = "PK1:") -> str:
    return prefix + base45_encode(zlib.compress(raw_cose, 9))


def token(key: Any = ED_KEY, **over: Any) -> str:
    """A PK1 text with default claims (overridable) signed by key."""
    return wrap(cose(encode(claims(**over)), key=key))


# -- HC1 -------------------------------------------------------------------------------------

HC1_NOW = 1_700_000_000
HC1_ES_KEY = ec.derive_private_key(0xDCC_0001, ec.SECP256R1())
_TYPE_OID = {
    "test": "1.3.6.1.4.1.1847.2021.1.1",
    "vaccination": "1.3.6.1.4.1.1847.2021.1.2",
    "recovery": "1.3.6.1.4.1.1847.2021.1.3",
}


def dsc(key: Any, *, types: tuple[str, ...] = (), valid_days: int = 365) -> x509.Certificate:
    """A self-signed document signer certificate, optionally naming certificate types."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PK DSC test")])
    start = dt.datetime.fromtimestamp(HC1_NOW - 86_400 * 30, dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days))
    )
    if types:
        oids = [x509.ObjectIdentifier(_TYPE_OID[t]) for t in types]
        builder = builder.add_extension(x509.ExtendedKeyUsage(oids), critical=False)
    return builder.sign(key, hashes.SHA256())


def cert_kid(cert: x509.Certificate) -> bytes:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()[:8]


def hc1(
    key: Any,
    cert: x509.Certificate,
    *,
    cert_type: str = "v",
    exp: Any = HC1_NOW + 86_400,
    alg: int | None = None,
    kid_protected: bool = True,
    kid: bytes | None = None,
    trailing: bytes = b"",
) -> str:
    """An HC1 text signed by key (ES256 or PS256) with the kid of cert."""
    k = cert_kid(cert) if kid is None else kid
    if alg is None:
        alg = -7 if isinstance(key, ec.EllipticCurvePrivateKey) else -37
    prot_map: dict[int, Any] = {1: alg}
    unprot: dict[int, Any] = {}
    (prot_map if kid_protected else unprot)[4] = k
    prot = encode(prot_map)
    dcc = {"ver": "1.3.0", "nam": {"fn": "Musterfrau", "gn": "Erika"}, cert_type: [{"x": 1}]}
    payload: dict[int, Any] = {1: "DE", 6: HC1_NOW - 86_400, -260: {1: dcc}}
    if exp is not DROP:
        payload[4] = exp
    body = cbor2.dumps(payload)  # HC1 CBOR is plain RFC 8949 (floats allowed for exp)
    message = sig_structure(prot, body)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        assert isinstance(key, rsa.RSAPrivateKey)
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        sig = key.sign(message, pss, hashes.SHA256())
    raw = b"\xd2" + encode([prot, unprot, body, sig]) + trailing
    return "HC1:" + base45_encode(zlib.compress(raw, 9))
