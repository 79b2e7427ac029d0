"""What the kiosk store's reports return (``sync._store``): record counts and the audit log.
Apart from the store because opening it for its settings and clock (``passkiosk verify
--data``) needs none of them, and each class costs a one-shot check time to make."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RecordCounts:
    total: int
    pending: int  # not yet accepted by the service
    uploaded: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: int
    actor: str
    action: str
    detail: str
    prev_hash: str
    row_hash: str


@dataclass(frozen=True, slots=True)
class AuditChainReport:
    """``ok`` is False when a row was edited, removed or reordered; ``first_bad_seq`` says where."""

    ok: bool
    rows: int
    first_bad_seq: int | None = None
    problem: str = ""
