"""The request-signing rule for entry-record uploads, shared by the kiosk (signs) and the
service (checks).

Public key text: standard base64 of the 32 raw Ed25519 key bytes (44 characters). The key id is
the first 8 bytes of SHA-256 of the raw key, in hex; it only selects the key, the signature
proves it.

Signed message (see :func:`signing_payload`): a fixed context line, the HTTP method, the path,
the timestamp, a random nonce and the SHA-256 of the exact body bytes, one per line. The service
rejects timestamps more than :data:`MAX_SKEW_S` away from its own clock and nonces it has seen.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from codes._errors import DeviceError
from codes.wire._records import shown

MAX_SKEW_S = 300
_CONTEXT = b"passkiosk-upload-v1"

UPLOAD_PATH = "/upload/v1/records"

# Request headers carrying the signature.
H_KEY_ID = "X-PK-Key-Id"
H_TIME = "X-PK-Time"
H_NONCE = "X-PK-Nonce"
H_SIGNATURE = "X-PK-Signature"
SIGNATURE_HEADERS = (H_KEY_ID, H_TIME, H_NONCE, H_SIGNATURE)


class DeviceKeyError(DeviceError):
    """A device public key (or its text) is not an Ed25519 key."""


def key_id_of(public_raw: bytes) -> str:
    # hashlib loads OpenSSL's digests (~2 ms); importing codes.wire to read records should not.
    import hashlib

    return hashlib.sha256(public_raw).digest()[:8].hex()


def parse_public_key(text: str) -> bytes:
    """Raw 32-byte Ed25519 public key from its base64 text; DeviceKeyError when it is not one."""
    if len(text) > 100:
        raise DeviceKeyError(f"public key: expected 44 characters of base64, got {len(text)}")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as e:
        raise DeviceKeyError(f"public key: expected base64 text, got {shown(text)}") from e
    if len(raw) != 32:
        raise DeviceKeyError(f"public key: expected 32 bytes of Ed25519 key, got {len(raw)}")
    return raw


def signing_payload(method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    """The exact bytes a kiosk signs for one request."""
    import hashlib

    return b"\n".join(
        [
            _CONTEXT,
            method.upper().encode(),
            path.encode(),
            str(int(timestamp)).encode(),
            nonce.encode(),
            hashlib.sha256(body).hexdigest().encode(),
        ]
    )


def verify_signature(public_raw: bytes, signature: bytes, payload: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, payload)
    except (InvalidSignature, ValueError):
        return False
    return True
