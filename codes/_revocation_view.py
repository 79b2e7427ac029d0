"""The read-only revocation interface the verifier needs (PK1 spec §4 step 7, §6).

Both the small in-memory list (from the §6 JSON interchange file) and the province-scale index
implement it, so ``verify`` does not care where the entries live.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Severity(enum.IntEnum):
    """Ordered so that ``max`` picks the most severe (red > yellow > green)."""

    GREEN = 0
    YELLOW = 1
    RED = 2


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
