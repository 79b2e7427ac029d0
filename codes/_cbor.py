"""A small strict CBOR (RFC 8949) decoder and a deterministic encoder for PK1 (spec §2).

Why our own: cbor2 accepts things PK1 forbids (tags anywhere, duplicate map keys, unbounded
nesting) and merges keys Python considers equal (``1``, ``1.0`` and ``True``). This decoder checks
well-formedness and the spec's extra rules while decoding, and every failure is a ``malformed``
TokenError. It never allocates more than the input size: every declared length or count is
checked against the bytes that remain before it is used.

Decoded values: ``int`` (major types 0/1 only), ``bytes``, ``str``, ``list``, ``dict``, ``bool``,
``None`` (null), ``float``, ``UNDEFINED`` and ``Simple`` for other simple values. Map keys that are
``int``, ``str`` or ``bytes`` are kept as they are; any other key is wrapped in ``OtherKey`` so
that keys of different CBOR types never collide in a Python dict (``1`` vs ``True`` vs ``1.0``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from codes._errors import TokenError

MAX_DEPTH = 16  # spec §2: deeper nesting is malformed; the outermost item is level 1
TAG_COSE_SIGN1 = 18


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


@dataclass(frozen=True, slots=True)
class Simple:
    """A simple value other than false/true/null/undefined (well-formed, no meaning here)."""

    value: int


@dataclass(frozen=True, slots=True)
class OtherKey:
    """A map key that is not int/str/bytes, as a canonical, hashable, type-tagged form."""

    canonical: tuple[Any, ...]


def _canonical(value: Any) -> tuple[Any, ...]:
    """Type-tagged form so that equal decoded values (and only those) compare equal."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, bytes):
        return ("bytes", value)
    if isinstance(value, str):
        return ("text", value)
    if isinstance(value, float):
        return ("float", struct.pack(">d", value))
    if isinstance(value, list):
        return ("array", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("map", frozenset((_canonical(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, OtherKey):
        return value.canonical
    if value is None:
        return ("null",)
    if value is UNDEFINED:
        return ("undefined",)
    if isinstance(value, Simple):
        return ("simple", value.value)
    raise TokenError("malformed", f"CBOR: unexpected decoded value {type(value).__name__}")


def _map_key(value: Any) -> Any:
    if isinstance(value, int | str | bytes) and not isinstance(value, bool):
        return value
    return OtherKey(_canonical(value))


def _malformed(what: str) -> TokenError:
    return TokenError("malformed", f"CBOR: {what}")


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise _malformed(
                f"expected {n} more bytes at offset {self.pos}, got {len(self.data) - self.pos}"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def head(self) -> tuple[int, int, int | None]:
        """Read an initial byte and its argument: (major, additional info, argument or None)."""
        ib = self.take(1)[0]
        major, ai = ib >> 5, ib & 0x1F
        if ai < 24:
            return major, ai, ai
        if ai <= 27:
            return major, ai, int.from_bytes(self.take(1 << (ai - 24)), "big")
        if ai == 31:
            return major, ai, None
        raise _malformed(f"expected additional info 0..27 or 31, got {ai} at {self.pos - 1}")

    def remaining(self) -> int:
        return len(self.data) - self.pos


def _decode(r: _Reader, level: int, allow_break: bool = False) -> Any:
    start = r.pos
    major, ai, arg = r.head()
    if level > MAX_DEPTH and not (allow_break and major == 7 and ai == 31):
        raise _malformed(f"expected nesting of at most {MAX_DEPTH} levels, got deeper at {start}")
    if major == 0:
        if arg is None:
            raise _malformed(f"indefinite length for an unsigned integer at {start}")
        return arg
    if major == 1:
        if arg is None:
            raise _malformed(f"indefinite length for a negative integer at {start}")
        return -1 - arg
    if major in (2, 3):
        return _decode_string(r, major, arg, start)
    if major == 4:
        items: list[Any] = []
        if arg is None:
            while True:
                item = _decode(r, level + 1, allow_break=True)
                if item is _BREAK:
                    return items
                items.append(item)
        if arg > r.remaining():  # every item takes at least one byte
            raise _malformed(f"array of {arg} items at {start} is longer than the input")
        for _ in range(arg):
            items.append(_decode(r, level + 1))
        return items
    if major == 5:
        return _decode_map(r, arg, level, start)
    if major == 6:
        # Spec §2: the only tag allowed is one outer tag 18, handled by decode_item.
        raise _malformed(f"expected no tag here, got tag {arg} at {start}")
    # major 7: simple values and floats
    if ai < 20:
        return Simple(ai)
    if ai == 20:
        return False
    if ai == 21:
        return True
    if ai == 22:
        return None
    if ai == 23:
        return UNDEFINED
    if ai == 24:
        assert arg is not None
        if arg < 32:
            raise _malformed(f"expected a two-byte simple value >= 32, got {arg} at {start}")
        return Simple(arg)
    if ai == 25:
        return float(struct.unpack(">e", r.data[r.pos - 2 : r.pos])[0])
    if ai == 26:
        return float(struct.unpack(">f", r.data[r.pos - 4 : r.pos])[0])
    if ai == 27:
        return float(struct.unpack(">d", r.data[r.pos - 8 : r.pos])[0])
    # ai == 31: break
    if not allow_break:
        raise _malformed(f"unexpected break byte at {start}")
    return _BREAK


_BREAK = object()


def _decode_string(r: _Reader, major: int, arg: int | None, start: int) -> bytes | str:
    if arg is not None:
        chunks = [r.take(arg)]
    else:
        chunks = []
        while True:
            cstart = r.pos
            cmajor, _, carg = r.head()
            if cmajor == 7 and carg is None:
                break
            if cmajor != major or carg is None:
                raise _malformed(
                    f"expected a definite chunk of major type {major} at {cstart}, "
                    f"got major type {cmajor}"
                )
            chunks.append(r.take(carg))
    if major == 2:
        return b"".join(chunks)
    try:
        return "".join(c.decode("utf-8") for c in chunks)
    except UnicodeDecodeError as exc:
        raise _malformed(f"text string at {start} is not valid UTF-8 ({exc.reason})") from None


def _decode_map(r: _Reader, arg: int | None, level: int, start: int) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    if arg is not None and 2 * arg > r.remaining():
        raise _malformed(f"map of {arg} pairs at {start} is longer than the input")
    count = 0
    while arg is None or count < arg:
        key = _decode(r, level + 1, allow_break=arg is None)
        if key is _BREAK:
            break
        value = _decode(r, level + 1)
        k = _map_key(key)
        if k in out:
            raise _malformed(f"duplicate map key {key!r} in the map at {start}")
        out[k] = value
        count += 1
    return out


def decode_item(data: bytes, *, allow_tag18: bool = False) -> tuple[Any, bool]:
    """Decode exactly one well-formed CBOR item with no trailing bytes.

    Returns (value, tagged): ``tagged`` is True when the item was wrapped in one outer tag 18,
    which is allowed only with ``allow_tag18``. Raises ``TokenError('malformed')``.
    """
    r = _Reader(data)
    tagged = False
    if allow_tag18 and data[:1] and data[0] >> 5 == 6:
        _, _, tag = r.head()
        if tag != TAG_COSE_SIGN1:
            raise _malformed(f"expected no tag or tag 18 outside, got tag {tag}")
        tagged = True
    value = _decode(r, 1)
    if r.remaining():
        raise _malformed(f"expected one item, got {r.remaining()} trailing bytes at {r.pos}")
    return value, tagged


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise TokenError("malformed", f"CBOR: expected an integer below 2**64, got {n}")


def encode(value: Any) -> bytes:
    """Deterministic encoding (RFC 8949 §4.2.1): shortest heads, definite lengths, sorted keys.

    Supports int, bytes, str, list/tuple, dict, bool and None, which is all PK1 needs.
    """
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, list | tuple):
        return _head(4, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, dict):
        pairs = sorted((encode(k), encode(v)) for k, v in value.items())
        return _head(5, len(pairs)) + b"".join(k + v for k, v in pairs)
    raise TokenError("malformed", f"CBOR: cannot encode a {type(value).__name__}")
