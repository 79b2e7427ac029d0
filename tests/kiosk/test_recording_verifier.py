"""The gate's additions around the synced-list verifier, on a real (never synced) data folder."""

from __future__ import annotations

import time
from pathlib import Path

from codes import Outcome
from kiosk._verifier import INTERNAL_ERROR, NO_DATA, RecordingVerifier
from readers import CardPresented
from sync import Store, SyncedVerifier
from tests.sync.servicekit import make_id18


def test_never_synced_kiosk_asks_staff_and_records_everything(tmp_path: Path) -> None:
    def now() -> int:
        return int(time.time())

    with Store(tmp_path) as store:
        synced = SyncedVerifier(tmp_path, clock=now)
        gate = RecordingVerifier(synced, store, site="S", gate="G", clock=now)
        code = gate.check_code("PK1:" + "0" * 60)  # not even decodable: still invalid
        assert code.outcome is Outcome.INVALID
        typed = gate.check_id(make_id18(3))
        assert typed.proxy and (typed.outcome, typed.reason) == (Outcome.ATTENTION, "stale_data")
        sam = gate.check_card(CardPresented(serial=None, id18=make_id18(4), name="王建国"))
        assert sam.name_masked == "王*国"
        assert store.record_counts().total == 3
        synced.close()


def test_unknown_issuer_before_any_sync_is_no_data(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    import codes

    t = int(time.time())
    token = codes.issue_pk1(
        signing_key=Ed25519PrivateKey.generate(), iss="CN-44", iat=t - 10, exp=t + 3600,
        cti=bytes(16), status=0, kind=0, sh=bytes(16),
    )
    with Store(tmp_path) as store:
        synced = SyncedVerifier(tmp_path, clock=lambda: t)
        gate = RecordingVerifier(synced, store, site="S", gate="G", clock=lambda: t)
        verdict = gate.check_code(token)
        assert (verdict.outcome, verdict.reason) == (Outcome.ATTENTION, NO_DATA)
        synced.close()


def test_a_check_that_fails_inside_is_shown_and_recorded(tmp_path: Path) -> None:
    # A damaged revocation index makes every lookup raise inside the verifier. The person still
    # gets a verdict (invalid / internal_error), and the entry record says so: one per verdict.
    from sync._pull import KioskLists

    index = KioskLists(tmp_path).revocations.path
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_bytes(b"garbage" * 100)
    t = int(time.time())
    with Store(tmp_path) as store:
        synced = SyncedVerifier(tmp_path, clock=lambda: t)
        gate = RecordingVerifier(synced, store, site="S", gate="G", clock=lambda: t)
        typed = gate.check_id(make_id18(5))
        card = gate.check_card(CardPresented(serial="0123456789ABCDEF"))
        assert (typed.outcome, typed.reason, typed.format) == (Outcome.INVALID, INTERNAL_ERROR,
                                                               "ID")
        assert (card.outcome, card.reason, card.format) == (Outcome.INVALID, INTERNAL_ERROR,
                                                            "CARD")
        records = store.pending_records(10)
        assert sorted((r.reason, r.format) for r in records) == [(INTERNAL_ERROR, "CARD"),
                                                                 (INTERNAL_ERROR, "ID")]
        synced.close()
