"""Base45 (RFC 9285), strict: the spec's §1 forbids trimming and case folding.

Every irregularity is a ``malformed`` TokenError: a character outside the 45-character alphabet
(space included in it), a length that is 1 mod 3, or a group whose value does not fit its byte
count (> 65535 for three characters, > 255 for two).
"""

from __future__ import annotations

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


def base45_decode(text: str) -> bytes:
    """Decode RFC 9285 Base45 text; any deviation raises ``TokenError('malformed')``."""
    if len(text) % 3 == 1:
        raise TokenError(
            "malformed", f"Base45: expected a length of 0 or 2 mod 3, got {len(text)} characters"
        )
    values: list[int] = []
    for pos, ch in enumerate(text):
        v = _VALUE.get(ch)
        if v is None:
            raise TokenError(
                "malformed", f"Base45: expected one of {_ALPHABET!r}, got {ch!r} at {pos}"
            )
        values.append(v)
    out = bytearray()
    full = len(values) - len(values) % 3
    for i in range(0, full, 3):
        n = values[i] + values[i + 1] * 45 + values[i + 2] * 45 * 45
        if n > 0xFFFF:
            raise TokenError(
                "malformed", f"Base45: expected a 3-character group <= 65535, got {n} at {i}"
            )
        out += n.to_bytes(2, "big")
    if full != len(values):
        n = values[full] + values[full + 1] * 45
        if n > 0xFF:
            raise TokenError(
                "malformed", f"Base45: expected a final 2-character group <= 255, got {n}"
            )
        out.append(n)
    return bytes(out)
