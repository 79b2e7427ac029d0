"""The kiosk's device key (Ed25519) and the request-signing rule shared with the service.

Each kiosk generates its own key on first use, in its data folder, readable only by its user
(mode 0600). The service knows each enrolled kiosk's public key (``passkiosk service
enroll-kiosk PUBKEY``) and rejects every upload not signed by one of them.

Public key text: standard base64 of the 32 raw key bytes (44 characters). The key id is the
first 8 bytes of SHA-256 of the raw key, in hex; it only selects the key, the signature proves it.

Signed message (see :func:`signing_payload`): a fixed context line, the HTTP method, the path,
the timestamp, a random nonce and the SHA-256 of the exact body bytes, one per line. The service
rejects timestamps more than :data:`MAX_SKEW_S` away from its own clock and nonces it has seen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ._records import StoreError, shown

DEVICE_KEY_FILE = "device_key.pem"
MAX_SKEW_S = 300
MAX_KEY_FILE = 4096
_CONTEXT = b"passkiosk-upload-v1"

UPLOAD_PATH = "/upload/v1/records"  # the service's upload route (sync._upload_api)

# Request headers carrying the signature.
H_KEY_ID = "X-PK-Key-Id"
H_TIME = "X-PK-Time"
H_NONCE = "X-PK-Nonce"
H_SIGNATURE = "X-PK-Signature"


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).digest()[:8].hex()


def parse_public_key(text: str) -> bytes:
    """Raw 32-byte Ed25519 public key from its base64 text; StoreError when it is not one."""
    if len(text) > 100:
        raise StoreError(f"public key: expected 44 characters of base64, got {len(text)}")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as e:
        raise StoreError(f"public key: expected base64 text, got {shown(text)}") from e
    if len(raw) != 32:
        raise StoreError(f"public key: expected 32 bytes of Ed25519 key, got {len(raw)}")
    return raw


def signing_payload(method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    """The exact bytes a kiosk signs for one request."""
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


@dataclass(frozen=True)
class DeviceKey:
    """A loaded device key. ``public_text`` is what staff give to ``enroll-kiosk``."""

    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_text(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    def sign_request(
        self, method: str, path: str, timestamp: int, body: bytes
    ) -> dict[str, str]:
        """The signature headers for one request."""
        nonce = secrets.token_hex(16)
        sig = self.private.sign(signing_payload(method, path, timestamp, nonce, body))
        return {
            H_KEY_ID: self.key_id,
            H_TIME: str(int(timestamp)),
            H_NONCE: nonce,
            H_SIGNATURE: base64.b64encode(sig).decode(),
        }


def load_or_create_device_key(data_dir: Path | str) -> DeviceKey:
    """This kiosk's key from ``data_dir/device_key.pem``, generated (0600) on first use."""
    folder = Path(data_dir)
    path = folder / DEVICE_KEY_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            _create(path)
        if path.stat().st_size > MAX_KEY_FILE:
            raise StoreError(f"{path}: expected a small PEM key, got {path.stat().st_size} bytes")
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # a copied-in key may have come with loose permissions
        pem = path.read_bytes()
    except OSError as e:
        raise StoreError(f"{path}: expected a readable device key file, got {e}") from e
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as e:
        raise StoreError(f"{path}: expected a PEM Ed25519 private key, got unreadable data") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise StoreError(f"{path}: expected an Ed25519 key, got {type(key).__name__}")
    return DeviceKey(key)


def _create(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written to a private temp file, fsynced, then linked into place: a crash leaves either no
    # key or a whole one, and two processes racing on first use agree on one key (link fails
    # for the loser, which then reads the winner's).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def device_public_key(data_dir: Path | str) -> str:
    """The kiosk's public key text (creating the key on first use) for ``enroll-kiosk``."""
    return load_or_create_device_key(data_dir).public_text
