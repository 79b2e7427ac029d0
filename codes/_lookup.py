"""The no-token path (spec §6 last paragraph, §7 ``lookup``): an ID card tap or a typed number."""

from __future__ import annotations

from codes._errors import TokenError
from codes._hashes import card_hash, normalize_serial
from codes._hashes import subject_hash as _subject_hash
from codes._idnum import mask_id, require_id18
from codes._rev import RevocationView, Severity, StatusEntry
from codes._verdict import Outcome, Verdict

_OUTCOME = {Severity.RED: Outcome.DENY, Severity.YELLOW: Outcome.ATTENTION}


def _worst(entries: tuple[StatusEntry, ...] | list[StatusEntry], now: int) -> Severity | None:
    """Most severe entry already in force (``since <= now``), or None."""
    counted = [e.status for e in entries if e.since <= now]
    return max(counted) if counted else None


def lookup_subject_hash(
    sh: bytes, revocation: RevocationView, now: int, *, id_masked: str | None = None
) -> Verdict:
    """Status of a subject hash at ``now``: listed → its status; unlisted → pass/no_record."""
    worst = _worst(list(revocation.subject_entries(sh)), now)
    if worst is None or worst == Severity.GREEN:
        return Verdict(Outcome.PASS, "no_record", "ID", subject_hash=sh.hex(), id_masked=id_masked)
    return Verdict(
        _OUTCOME[worst], "revoked_subject", "ID", subject_hash=sh.hex(), id_masked=id_masked
    )


def lookup_id(id18: str, revocation: RevocationView, now: int) -> Verdict:
    """Typed (or SAM-read) ID number: §5 check, hash, look up. Never keeps the raw number."""
    try:
        normal = require_id18(id18, now)
    except TokenError as exc:
        return Verdict(Outcome.INVALID, exc.reason, "ID")
    return lookup_subject_hash(_subject_hash(normal), revocation, now, id_masked=mask_id(normal))


def lookup_card(serial_hex16: str, revocation: RevocationView, now: int) -> Verdict:
    """ID-card tap by physical serial (16 hex characters, any case)."""
    try:
        serial = normalize_serial(serial_hex16)
    except TokenError as exc:
        return Verdict(Outcome.INVALID, exc.reason, "CARD")
    ch = card_hash(serial)
    worst = _worst(list(revocation.card_entries(ch)), now)
    if worst is None or worst == Severity.GREEN:
        return Verdict(Outcome.PASS, "no_record", "CARD", card_hash=ch.hex())
    return Verdict(_OUTCOME[worst], "revoked_card", "CARD", card_hash=ch.hex())
