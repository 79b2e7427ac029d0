"""GA/T 467 frames and the ID card text block (pure functions, no I/O).

Our reading of the protocol (GA/T 467-2004 and the SAM module manuals that follow it; checked
against several open implementations):

    command  : AA AA AA 96 69 | LEN1 LEN2 | CMD | PARA | DATA... | CHK
    response : AA AA AA 96 69 | LEN1 LEN2 | SW1 | SW2 | SW3 | DATA... | CHK

- LEN (big-endian) counts every byte after itself, checksum included: CMD+PARA+DATA+CHK for a
  command, SW1+SW2+SW3+DATA+CHK for a response.
- CHK is the XOR of every byte between the preamble and CHK (LEN1 .. last DATA byte).
- SW3 is the SAM's status: 90 success, 9F card found, 80 no card found, 81 select failed,
  41 read failed (card gone), 10 our checksum was wrong, 11 bad length, 21 bad command,
  24 unrecognised error; SW1 SW2 are the card's status, 00 00 when all is well.
- ``30 01`` (read basic info) answers 00 00 90 then DATA = text length (2 bytes, big-endian,
  256) | photo length (2 bytes, 1024) | text | photo (a WLT-compressed picture we drop).

Text block (256 bytes, UCS-2 little-endian, fields padded with spaces): name 30 @0, sex 2 @30,
ethnicity 4 @32, birth date 16 @36 (YYYYMMDD), address 70 @52, ID number 36 @122, issuing
authority 30 @158, valid from 16 @188, valid to 16 @204 (a date or 长期), reserved 36 @220.
We decode only what the kiosk uses (name, ID number, validity); the address, authority, photo
and the rest are never decoded or kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from readers._errors import FrameError

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
CMD_FIND = (0x20, 0x01)
CMD_SELECT = (0x20, 0x02)
CMD_READ_BASE = (0x30, 0x01)

SW3_OK = 0x90
SW3_FOUND = 0x9F
SW3_NO_CARD = 0x80
SW3_SELECT_FAILED = 0x81
SW3_READ_FAILED = 0x41
SW3_BAD_CHECKSUM = 0x10

TEXT_LEN = 256
PHOTO_LEN = 1024
# The largest answer of any command we send is read-basic-info (4 + 256 + 1024 data bytes);
# readers with fingerprints add 1024 more. Anything longer is not a GA/T 467 frame.
MAX_LEN = 3 + 4 + TEXT_LEN + PHOTO_LEN + 1024 + 1
MIN_RESPONSE_LEN = 4  # SW1 SW2 SW3 CHK

_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_DATE = re.compile(r"[0-9]{8}")


def xor(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out


def encode_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A complete command frame."""
    length = 2 + len(data) + 1
    body = length.to_bytes(2, "big") + bytes([cmd, para]) + data
    return PREAMBLE + body + bytes([xor(body)])


@dataclass(frozen=True, slots=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes = field(repr=False)  # may hold a whole ID card: never in logs


def check_length(length: int) -> None:
    if not MIN_RESPONSE_LEN <= length <= MAX_LEN:
        raise FrameError(f"GA/T 467 length: expected {MIN_RESPONSE_LEN}..{MAX_LEN}, got {length}")


def decode_response_body(length_bytes: bytes, rest: bytes) -> Response:
    """Check and split LEN1 LEN2 + the ``LEN`` bytes that follow them."""
    length = int.from_bytes(length_bytes, "big")
    check_length(length)
    if len(rest) != length:
        raise FrameError(f"GA/T 467 frame: expected {length} bytes after LEN, got {len(rest)}")
    expected = xor(length_bytes + rest[:-1])
    if rest[-1] != expected:
        raise FrameError(f"GA/T 467 checksum: expected 0x{expected:02X}, got 0x{rest[-1]:02X}")
    return Response(rest[0], rest[1], rest[2], rest[3:-1])


@dataclass(frozen=True, slots=True)
class IdText:
    """What the kiosk needs from the text block. ``id18`` never appears in a repr."""

    name: str = field(repr=False)
    id18: str = field(repr=False)
    valid_from: str  # YYYYMMDD
    valid_to: str  # YYYYMMDD or "长期" (no expiry)


def _field(text: bytes, offset: int, size: int, what: str) -> str:
    try:
        value = text[offset : offset + size].decode("utf-16-le")
    except UnicodeDecodeError:
        raise FrameError(f"ID card {what}: expected UCS-2 text, got undecodable bytes") from None
    return value.rstrip(" \x00")


def parse_read_base(data: bytes) -> IdText:
    """Decode the DATA of a ``30 01`` answer into name, ID number and validity."""
    if len(data) < 4:
        raise FrameError(f"read basic info: expected at least 4 data bytes, got {len(data)}")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if text_len != TEXT_LEN:
        raise FrameError(f"read basic info: expected text length {TEXT_LEN}, got {text_len}")
    if photo_len > PHOTO_LEN:
        raise FrameError(f"read basic info: expected photo <= {PHOTO_LEN} bytes, got {photo_len}")
    if len(data) < 4 + text_len + photo_len:
        raise FrameError(
            f"read basic info: expected {4 + text_len + photo_len} data bytes, got {len(data)}"
        )
    text = data[4 : 4 + TEXT_LEN]
    name = _field(text, 0, 30, "name")
    id18 = _field(text, 122, 36, "ID number")
    valid_from = _field(text, 188, 16, "valid-from date")
    valid_to = _field(text, 204, 16, "valid-to date")
    if not name:
        raise FrameError("ID card name: expected 1..15 characters, got an empty field")
    if not _ID18.fullmatch(id18):
        # The value itself is never put in a message (it may be most of an ID number).
        raise FrameError(
            f"ID card number: expected 17 digits and a check character, got {len(id18)} chars"
        )
    if not _DATE.fullmatch(valid_from):
        raise FrameError("ID card valid-from: expected YYYYMMDD")
    if valid_to != "长期" and not _DATE.fullmatch(valid_to):
        raise FrameError("ID card valid-to: expected YYYYMMDD or 长期")
    return IdText(name=name, id18=id18, valid_from=valid_from, valid_to=valid_to)
