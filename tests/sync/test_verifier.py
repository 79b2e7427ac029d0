"""SyncedVerifier: the gate's verifier over a synced kiosk folder, following new list versions
without a restart, with the stale-data policy on lookups."""

from __future__ import annotations

from pathlib import Path

import codes
from codes import EntryKind, Kind, Outcome, Severity
from readers import CardPresented
from service import BackgroundService
from sync import SyncedVerifier
from sync._pull import pull
from tests.sync.servicekit import make_id18, new_service, now, sync_kiosk

SERIAL = "0123456789ABCDEF"


def test_never_synced_kiosk_is_honest(tmp_path: Path) -> None:
    v = SyncedVerifier(tmp_path / "k", clock=now)
    st = new_service(tmp_path / "svc")
    tok = st.issue(id18=make_id18(1), name="王五", status=0, kind=Kind.PHONE, proxy=False,
                   now=now())
    assert (v.check_code(tok.text).reason) == "unknown_key"
    assert (v.check_id(make_id18(1)).outcome, v.check_id(make_id18(1)).reason) == \
        (Outcome.ATTENTION, "stale_data")
    assert v.state().verified_at is None
    v.close()
    st.close()


def test_follows_new_versions_and_goes_stale(tmp_path: Path) -> None:
    st = new_service(tmp_path / "svc")
    kiosk = tmp_path / "k"
    id_a, id_b = make_id18(2), make_id18(3)
    tok = st.issue(id18=id_a, name="赵六", status=0, kind=Kind.PRINTED, proxy=False,
                   now=now() - 60)
    clock = [now()]
    v = SyncedVerifier(kiosk, clock=lambda: clock[0], max_age=3600)
    with BackgroundService(st.data_dir) as svc:
        sync_kiosk(kiosk, svc.url, st)
        assert v.check_code(tok.text).outcome is Outcome.PASS
        assert v.check_card(CardPresented(serial=SERIAL)).reason == "no_record"

        st.revoke(EntryKind.SUBJECT, codes.subject_hash(id_a), Severity.RED, now=now())
        st.revoke(EntryKind.CARD, codes.card_hash(SERIAL), Severity.YELLOW, now=now())
        st.publish(now=now())
        pull(kiosk, svc.url, now=now())  # what the background sync does
        clock[0] = now() + 1
        assert v.check_code(tok.text).reason == "revoked_subject"  # no restart needed
        assert v.check_card(CardPresented(serial=SERIAL)).outcome is Outcome.ATTENTION
        assert v.check_card(CardPresented(serial=None, id18=id_a)).outcome is Outcome.DENY
        assert v.check_id(id_b).reason == "no_record"

    clock[0] += 2 * 3600  # two hours without a sync, over this site's 1 h limit
    assert (v.check_id(id_b).outcome, v.check_id(id_b).reason) == \
        (Outcome.ATTENTION, "stale_data")
    assert v.check_id(id_a).outcome is Outcome.DENY  # a listed status still shows
    assert v.check_code(tok.text).reason == "revoked_subject"  # tokens keep working
    assert v.state().revocation_version == 2
    v.close()
    st.close()
