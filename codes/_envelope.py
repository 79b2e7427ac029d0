"""The text envelope shared by PK1 and HC1 (spec §1): prefix, Base45, capped zlib."""

from __future__ import annotations

import zlib

from codes._base45 import base45_decode
from codes._errors import TokenError

HC1_PREFIX = "HC1:"  # spec §1: the one prefix that is not PK1's
MAX_INFLATED = 4096  # spec §1: more output than this is too_large
# Our own cap on the text itself (the spec has none): a QR code holds at most 4,296 characters,
# so a million is generous, and it bounds the work Base45 does before zlib's cap applies.
MAX_TEXT_CHARS = 1 << 20
# RFC 1950 CINFO (window = 2**(CINFO + 8)) from which the window holds all 4,096 bytes the cap
# allows, so no back-reference can reach past it without also reaching past the output so far.
_FULL_WINDOW_CINFO = 4


def _inflate_bytewise(d: zlib._Decompress, data: bytes) -> bytes:
    """Inflate one output byte per call, so that zlib checks every back-reference against the
    window the header declares (spec §1): within one call zlib only checks the output so far."""
    out = bytearray()
    chunk = data
    for _ in range(MAX_INFLATED + 2):  # each round yields a byte or has used all the input
        piece = d.decompress(chunk, 1)
        out += piece
        chunk = d.unconsumed_tail
        if len(out) > MAX_INFLATED or d.eof or not (piece or chunk):
            break
    return bytes(out)


def _inflate(data: bytes) -> tuple[bytes, zlib._Decompress]:
    """At most MAX_INFLATED + 1 bytes of output and the decompressor; raises zlib.error."""
    d = zlib.decompressobj(wbits=0)  # 0: use the window size the stream's header declares
    if data[:1] and data[0] >> 4 < _FULL_WINDOW_CINFO:  # a small declared window: rare
        return _inflate_bytewise(d, data), d
    return d.decompress(data, MAX_INFLATED + 1), d


def _output_before_error(data: bytes) -> int:
    """Output length (capped at MAX_INFLATED + 1) of the longest input prefix zlib accepts."""
    lo, hi = 0, len(data)  # data[:lo] inflates without error, data[:hi] raises
    while hi - lo > 1:  # an error never goes away with more input, so bisect (log2 n rounds)
        mid = (lo + hi) // 2
        try:
            _inflate(data[:mid])
            lo = mid
        except zlib.error:
            hi = mid
    return len(_inflate(data[:lo])[0])


def inflate_capped(data: bytes) -> bytes:
    """One complete RFC 1950 stream, at most MAX_INFLATED bytes of output.

    Inflation stops at MAX_INFLATED + 1 bytes, so a zlib bomb costs nothing; exceeding the cap is
    ``too_large`` and wins over any zlib error later in the stream (spec §1). Every other
    problem is ``malformed``: what Python's zlib reports (with the header's window size), a
    stream that does not end, or bytes after its end.
    """
    try:
        out, d = _inflate(data)
    except zlib.error as exc:
        # zlib may detect an error in the same call that produced the byte over the cap; the
        # output is lost then, so find out from the longest error-free prefix which came first.
        if _output_before_error(data) > MAX_INFLATED:
            raise TokenError(
                "too_large", f"zlib: expected at most {MAX_INFLATED} bytes of output, got more"
            ) from None
        raise TokenError("malformed", f"zlib: expected a valid stream, got {exc}") from None
    if len(out) > MAX_INFLATED:
        raise TokenError(
            "too_large", f"zlib: expected at most {MAX_INFLATED} bytes of output, got more"
        )
    if not d.eof:
        raise TokenError("malformed", "zlib: expected a complete stream, got a truncated one")
    if d.unused_data:
        raise TokenError(
            "malformed", f"zlib: expected nothing after the stream, got {len(d.unused_data)} bytes"
        )
    return out


def unwrap(text: str, prefix: str) -> bytes:
    """Strip ``prefix`` (checked by the caller), Base45-decode and inflate with the cap."""
    if len(text) > MAX_TEXT_CHARS:
        raise TokenError(
            "too_large", f"text: expected at most {MAX_TEXT_CHARS} characters, got {len(text)}"
        )
    return inflate_capped(base45_decode(text[len(prefix) :]))
