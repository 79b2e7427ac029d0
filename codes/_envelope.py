"""The text envelope shared by PK1 and HC1 (spec §1): prefix, Base45, capped zlib."""

from __future__ import annotations

import zlib

from codes._base45 import base45_decode
from codes._errors import TokenError

MAX_INFLATED = 4096  # spec §1: more output than this is too_large


def _inflate_prefix(data: bytes) -> int:
    """Output length (capped at MAX_INFLATED + 1) of the longest input prefix zlib accepts."""
    lo, hi = 0, len(data)  # data[:lo] inflates without error, data[:hi] raises
    while hi - lo > 1:  # an error never goes away with more input, so bisect (log2 n rounds)
        mid = (lo + hi) // 2
        try:
            zlib.decompressobj().decompress(data[:mid], MAX_INFLATED + 1)
            lo = mid
        except zlib.error:
            hi = mid
    return len(zlib.decompressobj().decompress(data[:lo], MAX_INFLATED + 1))


def inflate_capped(data: bytes) -> bytes:
    """One complete RFC 1950 stream, at most MAX_INFLATED bytes of output.

    Inflation stops at MAX_INFLATED + 1 bytes, so a zlib bomb costs nothing; exceeding the cap is
    ``too_large`` and wins over any zlib error later in the stream (spec §1). Every other
    problem is ``malformed``: what Python's zlib reports, a stream that does not end, or bytes
    after its end.
    """
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, MAX_INFLATED + 1)
    except zlib.error as exc:
        # zlib may detect an error in the same call that produced the byte over the cap; the
        # output is lost then, so find out from the longest error-free prefix which came first.
        if _inflate_prefix(data) > MAX_INFLATED:
            raise TokenError(
                "too_large", f"zlib: expected at most {MAX_INFLATED} bytes of output, got more"
            ) from None
        raise TokenError(
            "malformed", f"zlib: expected a valid RFC 1950 stream, got {exc}"
        ) from None
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
    return inflate_capped(base45_decode(text[len(prefix) :]))
