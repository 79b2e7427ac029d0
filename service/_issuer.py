"""The service's PK1 issuer key and its trust-list entry (PK1 spec §2 kid, §6 trust list).

The private key lives in ``<data>/keys/issuer.pem`` (mode 0600); the public half is published
to kiosks as a §6 trust-list entry inside the signed TUF targets.

Rotation adds a new entry and switches signing to the new key; the old entry stays in the trust
list unchanged, so tokens it signed keep verifying until they expire or its ``not_after`` passes
(§4 step 4), whichever comes first. Its private key is deleted: it signs nothing again.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from codes import DeviceError, write_atomic

ISSUER_KEY_FILE = "issuer.pem"
# A PK1 issuer key is valid for two years; rotating it means a new trust-list entry.
DEFAULT_KEY_LIFETIME = 2 * 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class TrustEntry:
    """One §6 trust-list entry."""

    kid: str  # 16 lower-case hex
    iss: str
    alg: str
    spki: str  # base64 DER
    not_before: int
    not_after: int
    revoked: bool = False

    def to_json(self) -> dict[str, object]:
        return {"kid": self.kid, "iss": self.iss, "alg": self.alg, "spki": self.spki,
                "not_before": self.not_before, "not_after": self.not_after,
                "revoked": self.revoked}


def kid_of(spki_der: bytes) -> bytes:
    """PK1 spec §2: first 8 bytes of SHA-256 over the SubjectPublicKeyInfo DER."""
    return hashlib.sha256(spki_der).digest()[:8]


def create_issuer_key(data_dir: Path, *, iss: str, now: int,
                      lifetime: int = DEFAULT_KEY_LIFETIME) -> TrustEntry:
    """Generate the Ed25519 issuer key (refusing to overwrite one) and return its entry."""
    path = data_dir / "keys" / ISSUER_KEY_FILE
    if path.exists():
        raise DeviceError(f"expected no issuer key yet, found {path}")
    return write_new_issuer_key(path, iss=iss, now=now, lifetime=lifetime)


def write_new_issuer_key(path: Path, *, iss: str, now: int,
                         lifetime: int = DEFAULT_KEY_LIFETIME) -> TrustEntry:
    """Generate an Ed25519 issuer key into ``path`` (0600, must not exist); return its entry."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    write_atomic(path, pem, mode=0o600, exclusive=True)
    spki = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return TrustEntry(kid=kid_of(spki).hex(), iss=iss, alg="EdDSA",
                      spki=base64.b64encode(spki).decode("ascii"),
                      not_before=now, not_after=now + lifetime)


def issuer_kid(path: Path) -> str:
    """The §2 kid of the issuer key in ``path`` (16 lower-case hex)."""
    spki = load_issuer_key_file(path).public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return kid_of(spki).hex()


def load_issuer_key(data_dir: Path) -> Ed25519PrivateKey:
    """The issuer's private key from the data folder."""
    return load_issuer_key_file(data_dir / "keys" / ISSUER_KEY_FILE)


def load_issuer_key_file(path: Path) -> Ed25519PrivateKey:
    """An issuer private key from a PEM file."""
    try:
        key = load_pem_private_key(path.read_bytes(), None)
    except FileNotFoundError as e:
        raise DeviceError(f"expected an issuer key at {path}, found none: run "
                          "`passkiosk service init` first") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise DeviceError(f"expected an Ed25519 issuer key in {path}, got {type(key).__name__}")
    return key


__all__ = ["DEFAULT_KEY_LIFETIME", "ISSUER_KEY_FILE", "TrustEntry", "create_issuer_key",
           "issuer_kid", "kid_of", "load_issuer_key", "load_issuer_key_file",
           "write_new_issuer_key"]
