"""Console passwords (scrypt, RFC 7914) and session tokens.

A password is stored as ``scrypt$N$r$p$salt$hash`` (base64), so the cost can be raised later
and old hashes still verify. Session cookies carry a random token; the database keeps only its
SHA-256, so a copy of the database opens no session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from codes import DeviceError

SCRYPT_N = 2**14  # 16 MiB of memory and a few tens of ms per guess (RFC 7914 §2 interactive)
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSWORD = 10
MAX_PASSWORD = 200


_USER_NAME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")
ROLES = ("worker", "health", "ops", "admin")


class AccountError(DeviceError):
    """A user name, role or password the console cannot accept."""


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"password: expected {MIN_PASSWORD}..{MAX_PASSWORD} characters, "
                           f"got {len(password)}")


def check_user_name(text: str) -> str:
    """The user name in its stored form (lower case), or AccountError."""
    name = text.strip().lower()
    if not 3 <= len(name) <= 32 or set(name) - _USER_NAME:
        raise AccountError(f"user name: expected 3..32 of a-z, 0-9, '_', '.', '-', got "
                           f"{len(name)} characters")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"role: expected one of {', '.join(ROLES)}, got {role[:20]!r}")
    return role


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32,
                          maxmem=256 * n * r + 1024 * 1024)


def hash_password(password: str) -> str:
    check_password_rules(password)
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


# Checked for unknown user names too, so a login takes as long whether the name exists or not.
_DUMMY = hash_password("not-a-password-" + secrets.token_hex(8))


def verify_password(password: str, stored: str | None) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    parts = (stored or _DUMMY).split("$")
    try:
        scheme, n, r, p, salt, digest = parts
        ok = scheme == "scrypt" and 2 <= int(n) <= 2**20 and 1 <= int(r) <= 32 and \
            1 <= int(p) <= 16
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        return ok and stored is not None and hmac.compare_digest(got, base64.b64decode(digest))
    except ValueError:
        return False


def new_token() -> tuple[str, str]:
    """A fresh session token and the hash the database keeps."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
