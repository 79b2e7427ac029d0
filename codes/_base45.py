"""Base45 (RFC 9285), strict: the spec's §1 forbids trimming and case folding.

Every irregularity is a ``malformed`` TokenError: a character outside the 45-character alphabet
(space included in it), a length that is 1 mod 3, or a group whose value does not fit its byte
count (> 65535 for three characters, > 255 for two).
"""

from __future__ import annotations

import struct

from codes._errors import TokenError

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {ch: i for i, ch in enumerate(_ALPHABET)}


def base45_encode(data: bytes) -> str:
    """Encode bytes as RFC 9285 Base45 text."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        e, rest = divmod(n, 45 * 45)
        d, c = divmod(rest, 45)
        out.append(_ALPHABET[c] + _ALPHABET[d] + _ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out.append(_ALPHABET[c] + _ALPHABET[d])
    return "".join(out)


_CHUNK = 3 * 2048  # characters decoded per step, so temporary lists stay small


def _decode_groups(text: str, offset: int) -> bytes:
    """Full 3-character groups of ``text`` (a multiple of 3 long) as bytes."""
    try:
        v = [_VALUE[ch] for ch in text]
    except KeyError:
        pos, ch = next((i, c) for i, c in enumerate(text) if c not in _VALUE)
        raise TokenError(
            "malformed", f"Base45: expected one of {_ALPHABET!r}, got {ch!r} at {offset + pos}"
        ) from None
    groups = [c + d * 45 + e * 2025 for c, d, e in zip(v[0::3], v[1::3], v[2::3], strict=True)]
    if groups and max(groups) > 0xFFFF:
        i = next(i for i, n in enumerate(groups) if n > 0xFFFF)
        raise TokenError(
            "malformed",
            f"Base45: expected a 3-character group <= 65535, got {groups[i]} at {offset + 3 * i}",
        )
    return struct.pack(f">{len(groups)}H", *groups)


def base45_decode(text: str) -> bytes:
    """Decode RFC 9285 Base45 text; any deviation raises ``TokenError('malformed')``."""
    if len(text) % 3 == 1:
        raise TokenError(
            "malformed", f"Base45: expected a length of 0 or 2 mod 3, got {len(text)} characters"
        )
    full = len(text) - len(text) % 3
    out = b"".join(
        _decode_groups(text[i : min(i + _CHUNK, full)], i) for i in range(0, full, _CHUNK)
    )
    if full != len(text):
        tail = text[full:]
        if tail[0] not in _VALUE or tail[1] not in _VALUE:
            pos = full if tail[0] not in _VALUE else full + 1
            raise TokenError(
                "malformed", f"Base45: expected one of {_ALPHABET!r}, got {text[pos]!r} at {pos}"
            )
        n = _VALUE[tail[0]] + _VALUE[tail[1]] * 45
        if n > 0xFF:
            raise TokenError(
                "malformed", f"Base45: expected a final 2-character group <= 255, got {n}"
            )
        out += bytes([n])
    return out
