"""SyncedVerifier: the gate's verifier over a synced kiosk folder, following new list versions
without a restart, with the stale-data policy on lookups.

The lists come from ``InMemoryRepository`` through the real pull(): what is tested is the
verifier over whatever a sync left on disk, not the transport (test_pull.py keeps a sync +
verify over HTTP).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import codes
from codes import EntryKind, Kind, Outcome, Severity
from readers import CardPresented
from sync import SyncedVerifier
from sync._pull import SyncError
from tests.fakes.tuf_repo import InMemoryRepository, pull_from
from tests.sync.servicekit import make_id18, now

SERIAL = "0123456789ABCDEF"


def test_never_synced_kiosk_is_honest(tmp_path: Path) -> None:
    v = SyncedVerifier(tmp_path / "k", clock=now)
    code = InMemoryRepository(now=now()).issue(make_id18(1), iat=now())
    assert (v.check_code(code.text).reason) == "unknown_key"
    assert (v.check_id(make_id18(1)).outcome, v.check_id(make_id18(1)).reason) == \
        (Outcome.ATTENTION, "stale_data")
    assert v.state().verified_at is None
    v.close()


def test_follows_new_versions_and_goes_stale(tmp_path: Path) -> None:
    repo = InMemoryRepository(now=now())
    kiosk = tmp_path / "k"
    id_a, id_b = make_id18(2), make_id18(3)
    code = repo.issue(id_a, iat=now() - 60, kind=Kind.PRINTED, lifetime=7 * 86_400)
    clock = [now()]
    v = SyncedVerifier(kiosk, clock=lambda: clock[0], max_age=3600)
    pull_from(repo, kiosk, now=clock[0], bootstrap=True)
    assert v.check_code(code.text).outcome is Outcome.PASS
    assert v.check_card(CardPresented(serial=SERIAL)).reason == "no_record"

    repo.revoke(EntryKind.SUBJECT, codes.subject_hash(id_a), Severity.RED, since=clock[0])
    repo.revoke(EntryKind.CARD, codes.card_hash(SERIAL), Severity.YELLOW, since=clock[0])
    repo.publish()
    pull_from(repo, kiosk, now=clock[0])  # what the background sync does
    clock[0] += 1
    assert v.check_code(code.text).reason == "revoked_subject"  # no restart needed
    assert v.check_card(CardPresented(serial=SERIAL)).outcome is Outcome.ATTENTION
    assert v.check_card(CardPresented(serial=None, id18=id_a)).outcome is Outcome.DENY
    assert v.check_id(id_b).reason == "no_record"

    clock[0] += 2 * 3600  # two hours without a sync, over this site's 1 h limit
    assert (v.check_id(id_b).outcome, v.check_id(id_b).reason) == \
        (Outcome.ATTENTION, "stale_data")
    assert v.check_id(id_a).outcome is Outcome.DENY  # a listed status still shows
    assert v.check_code(code.text).reason == "revoked_subject"  # tokens keep working
    assert v.state().revocation_version == 2
    v.close()


def test_a_failed_sync_keeps_the_lists_and_the_age(tmp_path: Path) -> None:
    repo = InMemoryRepository(now=now())
    kiosk = tmp_path / "k"
    clock = [now()]
    v = SyncedVerifier(kiosk, clock=lambda: clock[0], max_age=3600)
    repo.revoke(EntryKind.SUBJECT, codes.subject_hash(make_id18(4)), Severity.RED,
                since=clock[0])
    repo.publish()
    pull_from(repo, kiosk, now=clock[0], bootstrap=True)
    repo.fail("metadata/timestamp.json", 503)
    clock[0] += 2 * 3600
    with pytest.raises(SyncError, match="HTTP 503"):
        pull_from(repo, kiosk, now=clock[0])
    # the failed attempt does not count as confirmation: the lists are two hours old
    assert v.check_id(make_id18(5)).reason == "stale_data"
    assert v.check_id(make_id18(4)).outcome is Outcome.DENY
    assert v.state().last_error is not None and v.state().verified_at == clock[0] - 2 * 3600
    v.close()
