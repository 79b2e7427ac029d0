"""The Verdict: what the core tells the kiosk about one presented code or lookup."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Outcome(enum.StrEnum):
    """Gate outcomes (PK1 spec §4, "Outcomes")."""

    PASS = "pass"
    ATTENTION = "attention"
    DENY = "deny"
    INVALID = "invalid"


# Every reason a Verdict can carry: the spec's (§4 steps 1-8, §6 lookups, §7 HC1) and the
# kiosk's own (stale or missing lists, a card pulled or a read timed out, an internal failure).
# Entry records accept these and nothing else: a reason is never free text.
SPEC_REASONS = frozenset({
    "ok", "wrong_prefix", "malformed", "too_large", "unsupported_alg", "unknown_key",
    "bad_signature", "key_revoked", "key_expired", "not_yet_valid", "expired", "lifetime",
    "revoked_token", "revoked_subject", "revoked_card", "status_yellow", "status_red",
    "no_record", "bad_id_number", "bad_card_serial", "wrong_key_usage",
})
KIOSK_REASONS = frozenset({"stale_data", "no_data", "card_removed", "read_timeout",
                           "internal_error"})
REASONS = SPEC_REASONS | KIOSK_REASONS


class Kind(enum.StrEnum):
    """How the code was carried (PK1 spec §3 ``kd``)."""

    PHONE = "phone"
    PRINTED = "printed"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Result of verifying a token or looking up a subject/card.

    Never carries a raw ID number: only the masked forms given by the issuer (or made by
    ``codes.mask_id``) and the subject hash.
    """

    outcome: Outcome
    reason: str
    format: str = "PK1"  # "PK1" | "HC1" | "ID" (typed ID lookup) | "CARD" (ID-card tap)
    issuer: str | None = None
    kid: str | None = None  # hex
    expires_at: int | None = None  # epoch seconds
    name_masked: str | None = None
    id_masked: str | None = None
    kind: Kind | None = None
    proxy: bool = False
    token_id: str | None = None  # cti, lower-case hex
    subject_hash: str | None = None  # sh, lower-case hex
    card_hash: str | None = None  # ch, lower-case hex
    cert_type: str | None = None  # HC1: "test" | "vaccination" | "recovery"
