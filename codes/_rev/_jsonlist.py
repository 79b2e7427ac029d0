"""The small in-memory revocation list read from the §6 interchange JSON.

It implements ``RevocationView``; the province-scale index (``codes._rev``) implements the
same protocol, and ``verify``/lookups only ever use the protocol.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from codes._errors import TokenError
from codes._rev._model import KEY_FIELD, EntryKind, Severity, StatusEntry

MAX_REVOCATION_LIST_BYTES = 64 * 1024 * 1024  # ~400k entries of JSON; bigger lists use the index
_HEX32 = re.compile(r"[0-9A-Fa-f]{32}")
_STATUS = {"yellow": Severity.YELLOW, "red": Severity.RED}


class RevocationList:
    """Token ids, subject hashes and card hashes (16 raw bytes each) held in dicts."""

    def __init__(
        self,
        tokens: Iterable[bytes] = (),
        subjects: Iterable[tuple[bytes, StatusEntry]] = (),
        cards: Iterable[tuple[bytes, StatusEntry]] = (),
    ) -> None:
        self._tokens = frozenset(tokens)
        self._subjects: dict[bytes, list[StatusEntry]] = {}
        for sh, entry in subjects:
            self._subjects.setdefault(sh, []).append(entry)
        self._cards: dict[bytes, list[StatusEntry]] = {}
        for ch, entry in cards:
            self._cards.setdefault(ch, []).append(entry)

    def token_revoked(self, cti: bytes) -> bool:
        return cti in self._tokens

    def subject_entries(self, sh: bytes) -> Sequence[StatusEntry]:
        return tuple(self._subjects.get(sh, ()))

    def card_entries(self, ch: bytes) -> Sequence[StatusEntry]:
        return tuple(self._cards.get(ch, ()))

    def __len__(self) -> int:
        return (
            len(self._tokens)
            + sum(map(len, self._subjects.values()))
            + sum(map(len, self._cards.values()))
        )


def _unusable(message: str) -> TokenError:
    return TokenError("unusable_revocation_list", f"revocation list: {message}")


def _get(entry: dict[str, Any], name: str, kind: type, index: int) -> Any:
    if name not in entry:
        raise _unusable(f"entries[{index}]: expected field {name!r}, it is missing")
    value = entry[name]
    if type(value) is not kind:  # JSON true is not a number here
        raise _unusable(
            f"entries[{index}].{name}: expected {kind.__name__}, got {type(value).__name__}"
        )
    return value


def _hex16(entry: dict[str, Any], name: str, index: int) -> bytes:
    text = _get(entry, name, str, index)
    if not _HEX32.fullmatch(text):
        raise _unusable(f"entries[{index}].{name}: expected 32 hex characters, got {len(text)}")
    return bytes.fromhex(text)


def _status(entry: dict[str, Any], index: int) -> StatusEntry:
    status = _get(entry, "status", str, index)
    if status not in _STATUS:
        raise _unusable(f'entries[{index}].status: expected "yellow" or "red", got {status!r}')
    return StatusEntry(_STATUS[status], _get(entry, "since", int, index))


def parse_revocation_list(data: bytes) -> RevocationList:
    """Parse the §6 revocation-list JSON; an unusable file raises ``TokenError`` (CLI exit 2).

    Entries whose ``type`` is an unknown string are skipped (room for future kinds).
    """
    if len(data) > MAX_REVOCATION_LIST_BYTES:
        raise _unusable(f"expected at most {MAX_REVOCATION_LIST_BYTES} bytes, got {len(data)}")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _unusable(f"expected UTF-8 JSON, got an error: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        raise _unusable('expected an object with an "entries" array')
    tokens: list[bytes] = []
    listed: dict[EntryKind, list[tuple[bytes, StatusEntry]]] = {
        EntryKind.SUBJECT: [], EntryKind.CARD: []}
    for i, entry in enumerate(doc["entries"]):
        if not isinstance(entry, dict):
            raise _unusable(f"entries[{i}]: expected an object, got {type(entry).__name__}")
        kind = EntryKind.from_json(_get(entry, "type", str, i))
        if kind is EntryKind.TOKEN:
            tokens.append(_hex16(entry, KEY_FIELD[kind], i))
        elif kind is not None:
            listed[kind].append((_hex16(entry, KEY_FIELD[kind], i), _status(entry, i)))
    return RevocationList(tokens, listed[EntryKind.SUBJECT], listed[EntryKind.CARD])


EMPTY_REVOCATION = RevocationList()
