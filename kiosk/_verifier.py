"""The real kiosk's verifier: synced lists in a data folder, the trusted clock, entry records.

Every verdict the gate shows is written as an entry record (出入登记) before it is returned, in
its own durable transaction (sync.Store), so a record exists for every verdict a person saw even
if the kiosk loses power a moment later. The verdict carries only hashes and masked forms; the
raw ID number of a typed lookup or a GA/T 467 card lives only in this call's frame.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import codes
from codes import DeviceError, Outcome, RevocationList, RevocationView, TrustStore, Verdict
from readers import CardPresented
from sync import (
    DEFAULT_MAX_AGE,
    KioskLists,
    ListState,
    Store,
    TrustedClock,
    apply_stale_policy,
    record_from_verdict,
)

log = logging.getLogger(__name__)

NO_DATA = "no_data"  # the kiosk has never synced a trust list: no code can be checked


class KioskVerifier:
    """Answers the gate from a kiosk data folder. Thread-safe: verification runs off the GUI
    thread and :meth:`reload` is called from the sync thread after a successful pull."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        site: str,
        gate: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._lists = KioskLists(data_dir)
        self._clock = TrustedClock(store)
        self._wall = clock
        self._site = site
        self._gate = gate
        cfg = store.site_config()
        self._max_age = DEFAULT_MAX_AGE if cfg is None else cfg.stale_after_s
        self._lock = threading.Lock()
        self._trust: TrustStore | None = None
        self._revocation: RevocationView = RevocationList()
        self._state = ListState()
        self.reload()

    def reload(self) -> None:
        """Pick up the lists the last sync installed (or keep the old ones if they are bad)."""
        try:
            state = self._lists.state()
            trust = self._lists.trust_store() if state.verified_at is not None else None
            revocation: RevocationView = (
                self._lists.revocations.open() if state.revocation_version else RevocationList()
            )
        except (DeviceError, codes.TokenError) as exc:
            log.error("keeping the previous lists: %s", exc)
            return
        with self._lock:
            self._trust, self._revocation, self._state = trust, revocation, state

    def list_state(self) -> ListState:
        with self._lock:
            return self._state

    def now(self) -> int:
        return self._clock.reading(self._wall()).now

    # Verifier protocol ----------------------------------------------------------------------

    def check_code(self, text: str) -> Verdict:
        now = self.now()
        with self._lock:
            trust, revocation = self._trust, self._revocation
        if trust is None:
            fmt = "HC1" if text.startswith("HC1:") else "PK1"
            return self._record(Verdict(Outcome.ATTENTION, NO_DATA, format=fmt), now)
        return self._record(codes.verify(text, trust, revocation, now), now)

    def check_card(self, card: CardPresented) -> Verdict:
        now = self.now()
        with self._lock:
            revocation = self._revocation
        if card.id18 is not None:  # a GA/T 467 reader read the ID number itself
            verdict = codes.lookup_id(card.id18, revocation, now)
            if card.name and verdict.outcome is not Outcome.INVALID:
                verdict = replace(verdict, name_masked=codes.mask_name(card.name))
        else:
            verdict = codes.lookup_card(card.serial or "", revocation, now)
        return self._record(self._stale_checked(verdict, now), now)

    def check_id(self, id18: str) -> Verdict:
        now = self.now()
        with self._lock:
            revocation = self._revocation
        verdict = codes.lookup_id(id18, revocation, now)
        return self._record(self._stale_checked(replace(verdict, proxy=True), now), now)

    # Internals ----------------------------------------------------------------------------------

    def _stale_checked(self, verdict: Verdict, now: int) -> Verdict:
        with self._lock:
            state = self._state
        return apply_stale_policy(verdict, state, now, self._max_age)

    def _record(self, verdict: Verdict, now: int) -> Verdict:
        record = record_from_verdict(verdict, at=now, site=self._site, gate=self._gate)
        self._store.add_record(record)
        return verdict
