"""Trust store: issuer keys for PK1 (spec §2, §4, §6) and X.509 signing certificates for HC1 (§7).

Several keys may share a kid (it is only 8 bytes of a hash), so lookups return every candidate.
Revocation of a key propagates to every entry with identical SubjectPublicKeyInfo bytes (§4
step 4): a revoked key cannot come back under another kid or issuer.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from codes._errors import TokenError

if TYPE_CHECKING:
    from cryptography import x509

MAX_TRUST_LIST_BYTES = 8 * 1024 * 1024  # a province has tens of keys; 8 MiB is generous
MAX_CERT_BYTES = 64 * 1024
ALG_EDDSA = "EdDSA"
ALG_ES256 = "ES256"
COSE_ALG = {ALG_EDDSA: -8, ALG_ES256: -7}  # RFC 9053 algorithm identifiers
_KID_HEX = re.compile(r"[0-9A-Fa-f]{16}")
# The whole DER of a SubjectPublicKeyInfo before the key bytes, for the two algorithms of §2:
# Ed25519 (RFC 8410 §4; 32 key bytes follow) and P-256 with an uncompressed point (RFC 5480
# §2; 65 bytes follow, starting 04).
_ED25519_SPKI = bytes.fromhex("302a300506032b6570032100")
_P256_SPKI = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


def _unusable(message: str) -> TokenError:
    return TokenError("unusable_trust_list", f"trust list: {message}")


def load_spki(spki: bytes, alg: str) -> PublicKey:
    """Parse SubjectPublicKeyInfo DER for ``alg`` (EdDSA = Ed25519 only, ES256 = P-256)."""
    # The usual encodings are read from their fixed DER layout: the general DER reader lives in
    # cryptography's serialization package, whose import (SSH keys, ciphers) would cost a
    # one-shot `passkiosk verify` more than its check. Anything else, a bad point included,
    # takes the general reader and its error.
    if isinstance(spki, bytes):
        with contextlib.suppress(ValueError):
            if alg == ALG_EDDSA and len(spki) == 44 and spki.startswith(_ED25519_SPKI):
                return ed25519.Ed25519PublicKey.from_public_bytes(spki[12:])
            if alg == ALG_ES256 and len(spki) == 91 and spki.startswith(_P256_SPKI):
                return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), spki[26:])
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        key = load_der_public_key(spki)
    except UnsupportedAlgorithm as exc:  # well-formed, but a key type cryptography lacks
        raise _unusable(f"expected a {alg} public key, got an unsupported one ({exc})") from None
    except (ValueError, TypeError) as exc:
        raise _unusable(
            f"expected DER SubjectPublicKeyInfo, got unparseable bytes ({exc})"
        ) from None
    if alg == ALG_EDDSA and isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if (
        alg == ALG_ES256
        and isinstance(key, ec.EllipticCurvePublicKey)
        and isinstance(key.curve, ec.SECP256R1)
    ):
        return key
    raise _unusable(f"expected a {alg} public key, got {type(key).__name__}")


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One trust-list entry (§6). ``kid`` is authoritative (never recomputed from ``spki``)."""

    kid: bytes
    iss: str
    alg: str  # "EdDSA" | "ES256"
    spki: bytes
    not_before: int
    not_after: int
    revoked: bool = False
    public_key: PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "public_key", load_spki(self.spki, self.alg))


@dataclass(frozen=True, slots=True)
class TrustedCert:
    """An HC1 document signer certificate; ``kid`` = first 8 bytes of SHA-256 over its DER."""

    kid: bytes
    certificate: x509.Certificate = field(repr=False)


def _load_certificate(data: bytes) -> x509.Certificate:
    # X.509 is parsed only for HC1 signing certificates (§7): a PK1-only process never loads it.
    from cryptography import x509

    if len(data) > MAX_CERT_BYTES:
        raise TokenError(
            "unusable_certificate",
            f"certificate: expected at most {MAX_CERT_BYTES} bytes, got {len(data)}",
        )
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        if data[:1] != b"\x30":  # not a DER SEQUENCE: maybe PEM's body without its armour,
            # as test data such as the EU DCC set's TESTCTX.CERTIFICATE carries it
            with contextlib.suppress(binascii.Error, ValueError):  # else DER parsing reports it
                data = base64.b64decode(b"".join(data.split()), validate=True)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise TokenError(
            "unusable_certificate",
            f"certificate: expected X.509 in DER, PEM or base64, got ({exc})",
        ) from None


class TrustStore:
    """Trusted PK1 issuer keys and HC1 signing certificates (immutable after construction)."""

    def __init__(
        self, keys: Iterable[TrustedKey] = (), certificates: Iterable[bytes | x509.Certificate] = ()
    ) -> None:
        self._keys: tuple[TrustedKey, ...] = tuple(keys)
        revoked_spki = {k.spki for k in self._keys if k.revoked}
        # §4 step 4: revocation follows the key material, whatever kid or iss it is listed under.
        self._revoked: frozenset[int] = frozenset(
            i for i, k in enumerate(self._keys) if k.spki in revoked_spki
        )
        self._by_kid: dict[bytes, list[int]] = {}
        for i, k in enumerate(self._keys):
            self._by_kid.setdefault(k.kid, []).append(i)
        certs: list[TrustedCert] = []
        for c in certificates:
            # Only a store with certificates needs X.509 (and hashlib, for the kid).
            import hashlib

            from cryptography import x509
            from cryptography.hazmat.primitives import serialization

            cert = c if isinstance(c, x509.Certificate) else _load_certificate(c)
            der = cert.public_bytes(serialization.Encoding.DER)
            certs.append(TrustedCert(hashlib.sha256(der).digest()[:8], cert))
        self._certs = tuple(certs)

    @property
    def keys(self) -> tuple[TrustedKey, ...]:
        return self._keys

    @property
    def certificates(self) -> tuple[TrustedCert, ...]:
        return self._certs

    def with_certificates(self, certificates: Iterable[bytes | x509.Certificate]) -> TrustStore:
        """A new store with the same keys plus these certificates (DER/PEM bytes or parsed)."""
        return TrustStore(self._keys, [*(c.certificate for c in self._certs), *certificates])

    def candidates(self, kid: bytes, alg: str, iss: str) -> list[tuple[TrustedKey, bool]]:
        """Keys matching kid, alg and iss (§4 step 2), each with its effective revoked flag."""
        return [
            (self._keys[i], i in self._revoked)
            for i in self._by_kid.get(kid, ())
            if self._keys[i].alg == alg and self._keys[i].iss == iss
        ]

    def certificates_for_kid(self, kid: bytes) -> list[TrustedCert]:
        return [c for c in self._certs if c.kid == kid]


def _field(entry: dict[str, Any], name: str, kind: type, index: int) -> Any:
    if name not in entry:
        raise _unusable(f"keys[{index}]: expected field {name!r}, it is missing")
    value = entry[name]
    # bool is an int in Python; JSON true/false must not pass for a number and vice versa.
    if type(value) is not kind:
        raise _unusable(
            f"keys[{index}].{name}: expected {kind.__name__}, got {type(value).__name__}"
        )
    return value


def parse_trust_list(data: bytes) -> TrustStore:
    """Parse the §6 trust-list JSON; an unusable file raises ``TokenError`` (CLI exit 2).

    Entries whose ``alg`` is not ``EdDSA``/``ES256`` (case-sensitive) are skipped entirely: a key
    type this verifier cannot use. In the other entries any defect makes the file unusable.
    """
    if len(data) > MAX_TRUST_LIST_BYTES:
        raise _unusable(f"expected at most {MAX_TRUST_LIST_BYTES} bytes, got {len(data)}")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _unusable(f"expected UTF-8 JSON, got an error: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise _unusable('expected an object with a "keys" array')
    keys: list[TrustedKey] = []
    for i, entry in enumerate(doc["keys"]):
        if not isinstance(entry, dict):
            raise _unusable(f"keys[{i}]: expected an object, got {type(entry).__name__}")
        alg = entry.get("alg")
        if not isinstance(alg, str) or alg not in COSE_ALG:
            continue  # §6: a key type this verifier cannot use is ignored, not an error
        kid_hex = _field(entry, "kid", str, i)
        if not _KID_HEX.fullmatch(kid_hex):
            raise _unusable(f"keys[{i}].kid: expected 16 hex characters, got {len(kid_hex)}")
        iss = _field(entry, "iss", str, i)
        spki_b64 = _field(entry, "spki", str, i)
        try:
            spki = base64.b64decode(spki_b64, validate=True)
        except (binascii.Error, ValueError):
            raise _unusable(f"keys[{i}].spki: expected base64, got invalid text") from None
        not_before = _field(entry, "not_before", int, i)
        not_after = _field(entry, "not_after", int, i)
        revoked = _field(entry, "revoked", bool, i)
        try:
            keys.append(
                TrustedKey(bytes.fromhex(kid_hex), iss, alg, spki, not_before, not_after, revoked)
            )
        except TokenError as exc:
            raise _unusable(f"keys[{i}].spki: {exc}") from None
    return TrustStore(keys)
