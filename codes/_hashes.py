"""Subject and card hashes (PK1 spec §5): scrypt, memory-hard on purpose.

The ID number space is small (region x birth date x sequence), so a fast hash could be
enumerated; scrypt with n=2**14, r=8 makes each guess cost 16 MiB and tens of milliseconds.
"""

from __future__ import annotations

import re

from codes._errors import TokenError
from codes._idnum import normalize_id18

_SUBJECT_SALT = b"PK1/subject/v1"
_CARD_SALT = b"PK1/card/v1"
_N, _R, _P, _DKLEN = 2**14, 8, 1, 16
# scrypt needs 128 * r * n bytes (16 MiB) plus overhead; OpenSSL's default cap is 32 MiB but
# some builds count differently, so give it clear headroom.
_MAXMEM = 64 * 1024 * 1024
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_SERIAL_SHAPE = re.compile(r"[0-9A-Fa-f]{16}")


def _scrypt(password: bytes, salt: bytes) -> bytes:
    # hashlib loads OpenSSL's digests (~2 ms): a PK1 check that hashes nothing skips it.
    import hashlib

    return hashlib.scrypt(password, salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN, maxmem=_MAXMEM)


def subject_hash(id18: str) -> bytes:
    """sh (16 bytes) of an 18-character ID number; a lower-case ``x`` is normalised first.

    Checks the shape only (17 digits + digit/X); use ``check_id18`` for the full §5 rules.
    """
    id18 = normalize_id18(id18)
    if not _ID_SHAPE.fullmatch(id18):
        raise TokenError("bad_id_number", "ID number: expected 17 ASCII digits and a digit or X")
    return _scrypt(id18.encode("ascii"), _SUBJECT_SALT)


def normalize_serial(serial: str) -> str:
    """16 upper-case hex characters, or ``TokenError('bad_card_serial')``."""
    if not _SERIAL_SHAPE.fullmatch(serial):
        raise TokenError(
            "bad_card_serial", f"card serial: expected 16 hex characters, got {len(serial)} chars"
        )
    return serial.upper()


def card_hash(serial: str) -> bytes:
    """ch (16 bytes) of a card's 8-byte serial given as 16 hex characters (any case)."""
    return _scrypt(normalize_serial(serial).encode("ascii"), _CARD_SALT)
