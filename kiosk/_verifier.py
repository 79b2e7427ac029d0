"""What the real gate adds around the synced-list verifier (``sync.SyncedVerifier``).

- Every verdict the gate shows is written as an entry record (出入登记) before it is returned,
  in its own durable transaction (``sync.Store``): a record exists for every verdict a person
  saw, even if the kiosk loses power a moment later. That includes a check that failed inside
  the verifier: the person sees ``internal_error`` and the record says so. Only a store that
  cannot write at all leaves a verdict unrecorded (its error reaches the controller).
- A kiosk that has never synced knows no issuer: a code it cannot check is ``attention`` with
  reason ``no_data`` (staff decide), not ``invalid``, which would wrongly tell the person their
  code is bad.
- A typed ID number is a helper's proxy lookup: the verdict carries the proxy flag.
- A GA/T 467 reader also reads the holder's name: the screen shows it masked.

The raw ID number of a typed lookup or a GA/T 467 card lives only in this call's frame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import codes
from codes import Outcome, Verdict
from codes.wire import record_from_verdict
from readers import CardPresented
from sync import ListState, Store, SyncedVerifier

NO_DATA = "no_data"
INTERNAL_ERROR = "internal_error"

log = logging.getLogger(__name__)


class RecordingVerifier:
    """The gate's Verifier for a kiosk data folder. Thread-safe like the verifier it wraps."""

    def __init__(
        self,
        inner: SyncedVerifier,
        store: Store,
        *,
        site: str,
        gate: str,
        clock: Callable[[], int],
    ) -> None:
        self._inner = inner
        self._store = store
        self._site = site
        self._gate = gate
        self._clock = clock

    def state(self) -> ListState:
        return self._inner.state()

    def check_code(self, text: str) -> Verdict:
        fmt = "HC1" if text.startswith("HC1:") else "PK1"  # spec §1 prefix dispatch
        verdict = self._checked(lambda: self._inner.check_code(text), fmt)
        if verdict.reason == "unknown_key" and self._inner.state().verified_at is None:
            verdict = replace(verdict, outcome=Outcome.ATTENTION, reason=NO_DATA)
        return self._record(verdict)

    def check_card(self, card: CardPresented) -> Verdict:
        fmt = "ID" if card.id18 else "CARD"
        verdict = self._checked(lambda: self._inner.check_card(card), fmt)
        if card.name and verdict.outcome is not Outcome.INVALID:
            verdict = replace(verdict, name_masked=codes.mask_name(card.name))
        return self._record(verdict)

    def check_id(self, id18: str) -> Verdict:
        verdict = self._checked(lambda: self._inner.check_id(id18), "ID")
        return self._record(replace(verdict, proxy=True))

    @staticmethod
    def _checked(check: Callable[[], Verdict], fmt: str) -> Verdict:
        try:
            return check()
        except Exception:  # one bad check must not leave the gate without a verdict or record
            log.exception("verification failed")
            return Verdict(Outcome.INVALID, INTERNAL_ERROR, fmt)

    def _record(self, verdict: Verdict) -> Verdict:
        record = record_from_verdict(verdict, at=self._clock(), site=self._site, gate=self._gate)
        self._store.add_record(record)
        return verdict
