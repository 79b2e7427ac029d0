"""Kiosk pull against the real service on 127.0.0.1: full snapshot, deltas, verify with the
synced state, delta-vs-full choice, trust anchor handling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import codes
from codes import EntryKind, Kind, Outcome, Severity
from service import BackgroundService, PublishConfig, ServiceState
from sync._pull import KioskLists, SyncError, pull
from tests.sync.servicekit import make_id18, new_service, now, root_of, sync_kiosk


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ServiceState, str]]:
    st = new_service(tmp_path / "svc")
    with BackgroundService(st.data_dir) as svc:
        yield st, svc.url
    st.close()


def test_first_sync_then_deltas_then_verify(served: tuple[ServiceState, str],
                                            tmp_path: Path) -> None:
    st, url = served
    kiosk = tmp_path / "kiosk"
    id_red, id_ok = make_id18(1), make_id18(2)
    tok = st.issue(id18=id_red, name="王五", status=0, kind=Kind.PHONE, proxy=False,
                   now=now() - 60)
    tok_ok = st.issue(id18=id_ok, name="赵六", status=0, kind=Kind.PRINTED, proxy=False,
                      now=now() - 60)
    # 50 unrelated tokens make the full snapshot bigger than two small deltas
    st.bulk_load(iter([(0, i.to_bytes(16, "big"), 3, 1) for i in range(50)]))
    st.publish(now=now())

    first = sync_kiosk(kiosk, url, st)
    assert first.applied == ("trust", "full 2")
    assert first.state.token_entries == 50 and first.state.trust_keys == 1
    lists = KioskLists(kiosk)
    with lists.revocations.open() as rev:
        v = codes.verify(tok.text, lists.trust_store(), rev, now())
    assert (v.outcome, v.reason) == (Outcome.PASS, "ok")

    st.revoke(EntryKind.SUBJECT, codes.subject_hash(id_red), Severity.RED, now=now())
    st.revoke(EntryKind.CARD, codes.card_hash("0123456789ABCDEF"), Severity.YELLOW, now=now())
    st.publish(now=now())
    st.revoke(EntryKind.TOKEN, bytes.fromhex(tok_ok.cti), Severity.REVOKED, now=now())
    st.publish(now=now())

    second = pull(kiosk, url, now=now())  # anchor already on disk
    assert second.applied == ("delta 3", "delta 4")
    assert second.state.revocation_version == 4
    assert (second.state.subject_entries, second.state.card_entries,
            second.state.token_entries) == (1, 1, 51)
    with lists.revocations.open() as rev:
        trust = lists.trust_store()
        v = codes.verify(tok.text, trust, rev, now() + 1)
        assert (v.outcome, v.reason) == (Outcome.DENY, "revoked_subject")
        v = codes.verify(tok_ok.text, trust, rev, now() + 1)
        assert (v.outcome, v.reason) == (Outcome.DENY, "revoked_token")
        assert codes.lookup_card("0123456789abcdef", rev, now() + 1).outcome is \
            Outcome.ATTENTION
        assert codes.lookup_id(id_ok, rev, now() + 1).reason == "no_record"

    third = pull(kiosk, url, now=now())
    assert third.applied == () and third.downloaded_bytes == 0
    state = json.loads((kiosk / "lists" / "state.json").read_bytes())
    assert state["revocation_version"] == 4 and state["last_error"] is None


def test_lifting_a_status_reaches_the_kiosk(served: tuple[ServiceState, str],
                                            tmp_path: Path) -> None:
    st, url = served
    kiosk = tmp_path / "k"
    sh = codes.subject_hash(make_id18(3))
    st.bulk_load(iter([(0, i.to_bytes(16, "big"), 3, 1) for i in range(10)]))
    st.revoke(EntryKind.SUBJECT, sh, Severity.RED, now=now())
    st.publish(now=now())
    sync_kiosk(kiosk, url, st)
    st.revoke(EntryKind.SUBJECT, sh, Severity.GREEN, now=now())
    st.publish(now=now())
    res = pull(kiosk, url, now=now())
    assert res.applied == ("delta 3",) and res.state.subject_entries == 0


def test_far_behind_kiosk_takes_the_full_snapshot(served: tuple[ServiceState, str],
                                                  tmp_path: Path) -> None:
    st, url = served
    kiosk = tmp_path / "k"
    sync_kiosk(kiosk, url, st)
    with ServiceState(st.data_dir, config=PublishConfig(keep_deltas=2)) as few_deltas:
        for i in range(4):
            few_deltas.revoke(EntryKind.CARD, bytes([i] * 16), Severity.RED, now=now())
            few_deltas.publish(now=now())
    res = pull(kiosk, url, now=now())
    assert res.applied == ("full 5",) and res.state.card_entries == 4


def test_no_anchor_refuses_and_wrong_anchor_fails(served: tuple[ServiceState, str],
                                                  tmp_path: Path) -> None:
    _, url = served
    with pytest.raises(SyncError) as e:
        pull(tmp_path / "k1", url, now=now())
    assert e.value.status == "no_anchor" and "--root" in str(e.value)
    other = new_service(tmp_path / "other")
    with pytest.raises(SyncError) as e:
        pull(tmp_path / "k2", url, now=now(), bootstrap_root=root_of(other))
    assert e.value.status == "bad_signature"
    assert KioskLists(tmp_path / "k2").state().verified_at is None
    other.close()


def test_service_serves_upload_route(served: tuple[ServiceState, str]) -> None:
    import urllib.error
    import urllib.request

    _, url = served
    req = urllib.request.Request(f"{url}/upload/v1/records", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code in (400, 401)  # E2's endpoint answers: not signed → refused


def test_missing_delta_falls_back_to_full(served: tuple[ServiceState, str],
                                          tmp_path: Path) -> None:
    st, url = served
    kiosk = tmp_path / "k"
    sync_kiosk(kiosk, url, st)
    with ServiceState(st.data_dir, config=PublishConfig(max_delta_records=3)) as small:
        small.bulk_load(iter([(1, i.to_bytes(16, "big"), 2, 5) for i in range(4)]))
        small.publish(now=now())
    res = pull(kiosk, url, now=now())
    assert res.applied == ("full 2",) and res.state.subject_entries == 4


def test_background_sync_round_trip(tmp_path: Path) -> None:
    from service import enroll_kiosk
    from sync import Store, background_sync, device_public_key

    st = new_service(tmp_path / "svc")
    kiosk = tmp_path / "k"
    with Store(kiosk) as store:
        sched = background_sync(kiosk, store, "http://127.0.0.1:9")
        status = sched.run_once()  # no trust anchor yet: the pull fails, the round is retried later
        assert status.consecutive_failures == 1 and "trust anchor" in (status.last_error or "")
        with BackgroundService(st.data_dir) as svc:
            pull(kiosk, svc.url, now=now(), bootstrap_root=root_of(st))  # enrolment: anchor
            enroll_kiosk(st.data_dir, device_public_key(kiosk))
            sched = background_sync(kiosk, store, svc.url)
            status = sched.run_once()
        assert status.last_error is None, status.last_error
        assert status.data_age_s is not None and status.data_age_s < 3600
    st.close()


def test_list_version_going_backwards_is_refused(served: tuple[ServiceState, str],
                                                 tmp_path: Path) -> None:
    from codes.wire import encode_header

    st, url = served
    kiosk = tmp_path / "k"
    sync_kiosk(kiosk, url, st)
    newer = tmp_path / "full99.pkrl"
    newer.write_bytes(encode_header("full", 0, 99, 0))
    KioskLists(kiosk).revocations.install_full(newer, expect_version=99)
    with pytest.raises(SyncError) as e:
        pull(kiosk, url, now=now())
    assert e.value.status == "bad_metadata" and ">= 99" in str(e.value)
    assert KioskLists(kiosk).revocations.version() == 99


def test_concurrent_publishers_are_serialised(served: tuple[ServiceState, str]) -> None:
    import threading

    st, _ = served
    errors: list[BaseException] = []

    def publish_many(state: ServiceState) -> None:
        try:
            for _ in range(5):
                state.publish(now=now())
        except BaseException as e:  # reported below
            errors.append(e)

    def in_thread() -> None:  # a second admin with its own connection, like a second process
        with ServiceState(st.data_dir) as other:
            publish_many(other)

    t = threading.Thread(target=in_thread)
    t.start()
    publish_many(st)
    t.join(timeout=120)
    assert not errors
    versions = st.repo.versions()
    assert st.list_version() == 11  # 1 from init + 10
    assert st.repo.targets()["revocation/full.pkrl"].custom["version"] == 11
    assert versions["timestamp"] == versions["snapshot"]


def test_unreadable_state_file_is_repaired(served: tuple[ServiceState, str],
                                           tmp_path: Path) -> None:
    st, url = served
    kiosk = tmp_path / "k"
    sync_kiosk(kiosk, url, st)
    (kiosk / "lists" / "state.json").write_bytes(b"{not json")
    with pytest.raises(codes.DeviceError, match="JSON list state"):
        KioskLists(kiosk).state()
    res = pull(kiosk, url, now=now())
    assert res.state.revocation_version == 1 and KioskLists(kiosk).state().verified_at


def test_garbage_anchor_and_unwritable_lists(served: tuple[ServiceState, str],
                                             tmp_path: Path) -> None:
    st, url = served
    with pytest.raises(SyncError) as e:
        pull(tmp_path / "k1", url, now=now(), bootstrap_root=b"{not a root")
    assert e.value.status == "bad_metadata"
    kiosk = tmp_path / "k2"
    (kiosk / "lists").mkdir(parents=True)
    (kiosk / "lists" / "revocation").write_bytes(b"a file where a folder belongs")
    with pytest.raises(SyncError) as e:
        sync_kiosk(kiosk, url, st)
    assert e.value.status == "local_error"
