"""Delta operations on a revocation index (PK1 spec §6): what a sync applies when lists arrive
(``codes.indexing.apply_delta``). Apart from ``_model`` because a check never needs them and
each of these classes costs a one-shot ``passkiosk verify`` time to make."""

from __future__ import annotations

from dataclasses import dataclass

from codes._rev._model import KEY_FIELD, EntryKind, RevocationEntry, check_key, check_since


@dataclass(frozen=True, slots=True)
class Put:
    """Add an entry, or replace the status of the entry with the same (kind, key, since)."""

    entry: RevocationEntry


@dataclass(frozen=True, slots=True)
class Remove:
    """Remove the entry (kind, key, since); ``since`` is ignored for tokens. Absent: no-op."""

    kind: EntryKind
    key: bytes
    since: int = 0

    def __post_init__(self) -> None:
        check_key(self.key, KEY_FIELD[self.kind])
        if self.kind is not EntryKind.TOKEN:
            check_since(self.since)


@dataclass(frozen=True, slots=True)
class RemoveKey:
    """Remove every entry of (kind, key). Absent: no-op."""

    kind: EntryKind
    key: bytes

    def __post_init__(self) -> None:
        check_key(self.key, KEY_FIELD[self.kind])


DeltaOp = Put | Remove | RemoveKey
