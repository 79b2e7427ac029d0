"""The revocation vocabulary, one for every layer (PK1 spec §4 step 7, §6): entry kinds,
statuses, entries and the read-only view the verifier needs (the delta operations on them are
in ``_delta``).

The numbers are the ones the PKRL wire files carry (``codes.wire``): kind 0 token, 1 subject,
2 card; status 0 green (in a delta: the entry is lifted), 1 yellow, 2 red, 3 revoked (tokens).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from codes._errors import TokenError

KEY_SIZE = 16
# since lies in the signed 64-bit range (like the §3 time claims); a value outside it is refused
# rather than silently clamped.
SINCE_MIN = -(1 << 63)
SINCE_MAX = (1 << 63) - 1


class Severity(enum.IntEnum):
    """Ordered so that ``max`` picks the most severe (red > yellow > green). ``REVOKED`` marks a
    revoked token on the wire; subject and card entries are only ever yellow or red, and green
    in a delta lifts an entry."""

    GREEN = 0
    YELLOW = 1
    RED = 2
    REVOKED = 3


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One subject or card entry: its status and since when it holds (epoch seconds)."""

    status: Severity
    since: int


class RevocationView(Protocol):
    """Lookups by token id (cti), subject hash (sh) and card hash (ch); all keys 16 raw bytes."""

    def token_revoked(self, cti: bytes) -> bool: ...

    def subject_entries(self, sh: bytes) -> Sequence[StatusEntry]: ...

    def card_entries(self, ch: bytes) -> Sequence[StatusEntry]: ...


class RevocationIndexError(TokenError):
    """An index buffer, a delta or an entry is not what the format requires."""

    def __init__(self, message: str) -> None:
        super().__init__("malformed", message)


class EntryKind(enum.IntEnum):
    """The three §6 entry types; the value is the wire number, ``json`` the §6 ``type``."""

    TOKEN = 0
    SUBJECT = 1
    CARD = 2

    @property
    def json(self) -> str:
        return self.name.lower()

    @classmethod
    def from_json(cls, text: str) -> EntryKind | None:
        """The kind named by a §6 ``type``; None for a type this version does not know."""
        return {k.json: k for k in cls}.get(text)


KEY_FIELD = {EntryKind.TOKEN: "id", EntryKind.SUBJECT: "sh", EntryKind.CARD: "ch"}


def check_key(key: object, what: str) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_SIZE:
        got = f"{len(key)} bytes" if isinstance(key, bytes | bytearray) else type(key).__name__
        raise RevocationIndexError(f"expected a {KEY_SIZE}-byte {what}, got {got}")
    return bytes(key)


def check_since(since: object) -> int:
    if not isinstance(since, int) or isinstance(since, bool):
        raise RevocationIndexError(f"expected an integer since, got {type(since).__name__}")
    if not SINCE_MIN <= since <= SINCE_MAX:
        raise RevocationIndexError(f"expected since within signed 64 bits, got {since}")
    return since


@dataclass(frozen=True, slots=True)
class RevocationEntry:
    """One §6 entry. For tokens ``status`` and ``since`` carry no meaning and are ignored."""

    kind: EntryKind
    key: bytes
    status: Severity = Severity.RED
    since: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, EntryKind):
            raise RevocationIndexError(f"expected an EntryKind, got {self.kind!r}")
        check_key(self.key, KEY_FIELD[self.kind])
        if self.kind is not EntryKind.TOKEN:
            if self.status not in (Severity.YELLOW, Severity.RED):
                raise RevocationIndexError(f"expected status yellow or red, got {self.status!r}")
            check_since(self.since)
