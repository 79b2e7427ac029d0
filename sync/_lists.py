"""List state and policy, pure: freshness and the stale-data rule.

No clock, no files, no network: times are parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from codes import Outcome, Verdict

# Lists not confirmed current for a day are stale for lookups (the site config may say otherwise).
DEFAULT_MAX_AGE = 24 * 3600


# -- freshness and the stale-data policy -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListState:
    """What a kiosk knows about its synced lists (kept by ``sync._pull`` in the data folder)."""

    revocation_version: int = 0
    trust_sha256: str = ""
    verified_at: int | None = None  # kiosk time of the last successful refresh
    last_attempt_at: int | None = None
    last_error: str | None = None
    token_entries: int = 0
    subject_entries: int = 0
    card_entries: int = 0
    trust_keys: int = 0

    def age(self, now: int) -> int | None:
        """Seconds since the lists were last confirmed current; None if never synced."""
        return None if self.verified_at is None else max(0, now - self.verified_at)

    def is_stale(self, now: int, max_age: int = DEFAULT_MAX_AGE) -> bool:
        """True if never synced or last confirmed more than max_age seconds ago."""
        age = self.age(now)
        return age is None or age > max_age

    def attempted(self, now: int, error: str | None) -> ListState:
        return replace(self, last_attempt_at=now, last_error=error)


def apply_stale_policy(verdict: Verdict, state: ListState, now: int,
                       max_age: int = DEFAULT_MAX_AGE) -> Verdict:
    """The stale rule for the no-token path (ID-card tap, typed ID number).

    A lookup answers from the revocation list only, so with a stale list "no record" proves
    nothing: a ``pass`` becomes ``attention`` with reason ``stale_data`` and staff decide. A
    listed status (attention/deny) is still shown, since an old red is still red. Tokens carry
    their own signed status and expiry, so token verdicts are never changed here; the caller
    shows the list age beside them.
    """
    if verdict.format not in ("ID", "CARD") or verdict.outcome is not Outcome.PASS:
        return verdict
    if not state.is_stale(now, max_age):
        return verdict
    return replace(verdict, outcome=Outcome.ATTENTION, reason="stale_data")
