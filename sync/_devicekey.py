"""The kiosk's device key (Ed25519); the request-signing rule it follows is ``codes.wire``'s.

Each kiosk generates its own key on first use, in its data folder, readable only by its user
(mode 0600). The service knows each enrolled kiosk's public key (``passkiosk service
enroll-kiosk PUBKEY``) and rejects every upload not signed by one of them.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from codes import write_atomic
from codes.wire import H_KEY_ID, H_NONCE, H_SIGNATURE, H_TIME, key_id_of, signing_payload

from ._store import StoreError

DEVICE_KEY_FILE = "device_key.pem"
MAX_KEY_FILE = 4096


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
    # Private from creation (0600), whole or absent after a crash, and two processes racing on
    # first use agree on one key: the loser's exclusive link fails and it reads the winner's.
    with contextlib.suppress(FileExistsError):
        write_atomic(path, pem, mode=0o600, exclusive=True)


def device_public_key(data_dir: Path | str) -> str:
    """The kiosk's public key text (creating the key on first use) for ``enroll-kiosk``."""
    return load_or_create_device_key(data_dir).public_text
