"""Plain events every reader emits; kiosk/ turns them into Qt signals.

Readers never hold on to a raw ID number: ``id18`` travels once to the kiosk, which hashes it at
once (PK1 spec §5) and keeps only masked forms.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Health(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class CardPresented:
    serial: str | None  # 16 upper-case hex characters (PC/SC 00 36 00 00 08), if known
    id18: str | None = field(default=None, repr=False)  # from a GA/T 467 SAM reader
    name: str | None = field(default=None, repr=False)
    source: str = ""


@dataclass(frozen=True, slots=True)
class CardRemoved:
    source: str = ""


@dataclass(frozen=True, slots=True)
class CodeScanned:
    text: str
    source: str
    at: float  # monotonic seconds when the code was seen


@dataclass(frozen=True, slots=True)
class ReaderStatus:
    health: Health
    detail: str
    source: str = ""


ReaderEvent = CardPresented | CardRemoved | CodeScanned | ReaderStatus
