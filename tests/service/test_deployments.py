"""Kiosk to service, end to end, against both deployments (``deployment`` fixture): SQLite in one
process, and two replicas over PostgreSQL behind nginx. The kiosk side is the real one: pull
(TUF), verify, push with its health report, background sync.
"""

from __future__ import annotations

import gzip
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

import codes
from codes import EntryKind, Kind, Outcome, Severity
from codes.wire import (
    HEALTH_PATH,
    UPLOAD_PATH,
    EntryRecord,
    KioskHealth,
    encode_batch,
    encode_health,
    new_record_id,
)
from service import enroll_kiosk
from service._store_pg import PostgresStorage
from sync import Store, background_sync, device_public_key
from sync._devicekey import DeviceKey, load_or_create_device_key
from sync._pull import KioskLists, pull
from sync._push import PushError, push_pending
from tests.service.conftest import Deployment
from tests.sync.servicekit import make_id18, now, root_of

HEALTH = KioskHealth(app_version="0.1.0", list_version=2, data_age_s=30, reader="ok",
                     camera="absent", clock_warnings=(), queue_depth=0, last_error=None)


def mk(at: int) -> EntryRecord:
    return EntryRecord(new_record_id(), at, "Hospital 3", "North", "pass", "ok", "PK1",
                       "ab" * 16, "cd" * 16)


def enrolled_kiosk(dep: Deployment, folder: Path) -> DeviceKey:
    key = load_or_create_device_key(folder)
    enroll_kiosk(dep.data, key.public_text, "gate 1", db_url=dep.db)
    return key


def stored_ids(dep: Deployment) -> list[str]:
    with dep.storage() as s:
        out = []
        for _ in range(1000):  # bounded paging
            page = s.received_records(500, out[-1].record_id if out else "")
            if not page:
                return [r.record_id for r in out]
            out.extend(page)
    raise AssertionError("paging did not end")


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_lists_reach_the_kiosk_and_revocations_apply(deployment: Deployment,
                                                     tmp_path: Path) -> None:
    st, kiosk = deployment.state, tmp_path / "kiosk"
    tok = st.issue(id18=make_id18(1), name="王五", status=0, kind=Kind.PHONE, proxy=False,
                   now=now() - 60)
    st.publish(now=now())
    first = pull(kiosk, deployment.url, now=now(), bootstrap_root=root_of(st))
    assert first.state.revocation_version == 2
    lists = KioskLists(kiosk)
    with lists.revocations.open() as rev:
        assert codes.verify(tok.text, lists.trust_store(), rev, now()).outcome is Outcome.PASS
    st.revoke(EntryKind.TOKEN, bytes.fromhex(tok.cti), Severity.REVOKED, now=now())
    st.publish(now=now())
    second = pull(kiosk, deployment.url, now=now())
    assert second.state.revocation_version == 3
    with lists.revocations.open() as rev:
        v = codes.verify(tok.text, lists.trust_store(), rev, now() + 1)
    assert (v.outcome, v.reason) == (Outcome.DENY, "revoked_token")
    with deployment.storage() as s:
        actions = [a for _, a, _ in s.audit_log()] if deployment.kind == "postgres" else None
    if actions is not None:  # one database: the state's audit lines are there too
        assert {"issue", "revoke", "publish"} <= set(actions)


def test_records_and_health_go_up_once_each(deployment: Deployment, tmp_path: Path) -> None:
    key = enrolled_kiosk(deployment, tmp_path / "kiosk")
    t = int(time.time())
    # Two days of records: on PostgreSQL they land in two day partitions.
    recs = [mk(t - i * 600) for i in range(250)]
    with Store(tmp_path / "kiosk") as store:
        for r in recs:
            store.add_record(r)
        res = push_pending(store, deployment.url, key, batch_size=100, health=HEALTH)
        assert (res.sent, res.new, res.batches, res.pending) == (250, 250, 3, 0)
    assert sorted(stored_ids(deployment)) == sorted(r.record_id for r in recs)
    with deployment.storage() as s:
        (row,) = s.latest_health()
        assert row.key_id == key.key_id and row.health == HEALTH
        assert len(s.health_history(key.key_id)) == 1


def test_a_batch_resent_after_a_lost_answer_is_stored_once(deployment: Deployment,
                                                           tmp_path: Path) -> None:
    key = enrolled_kiosk(deployment, tmp_path / "kiosk")
    recs = [mk(int(time.time()) - i) for i in range(20)]
    body = encode_batch(recs)
    url = deployment.url + UPLOAD_PATH
    for expected_new in (20, 0):  # the same batch again, freshly signed: nothing doubles
        headers = key.sign_request("POST", UPLOAD_PATH, int(time.time()), body)
        status, text = post(url, body, headers)
        assert status == 200 and f'"new": {expected_new}' in text, text
    assert len(stored_ids(deployment)) == 20
    # The very same request again is a replay: refused, and still nothing doubles.
    assert post(url, body, headers)[0] == 401
    assert len(stored_ids(deployment)) == 20


def test_background_sync_reports_health_with_every_push(deployment: Deployment,
                                                        tmp_path: Path) -> None:
    kiosk = tmp_path / "kiosk"
    with Store(kiosk) as store:
        pull(kiosk, deployment.url, now=now(), bootstrap_root=root_of(deployment.state))
        enroll_kiosk(deployment.data, device_public_key(kiosk), db_url=deployment.db)
        for i in range(5):
            store.add_record(mk(int(time.time()) - i))
        sched = background_sync(kiosk, store, deployment.url,
                                health=lambda: replace(HEALTH, data_age_s=None, reader="error",
                                                       camera="ok", clock_warnings=("skewed",),
                                                       queue_depth=99))
        status = sched.run_once()
        assert status.last_error is None, status.last_error
    with deployment.storage() as s:
        (row,) = s.latest_health()
    assert row.health.reader == "error" and row.health.clock_warnings == ("skewed",)
    assert row.health.queue_depth == 0  # the push fills in what is still queued after it
    assert row.health.data_age_s is not None  # the scheduler fills in the data age


def test_refusals_are_one_clear_error_each(deployment: Deployment, tmp_path: Path) -> None:
    key = enrolled_kiosk(deployment, tmp_path / "kiosk")
    url = deployment.url
    # A gzip bomb: small on the wire, far over the inflated cap; refused after the signature.
    bomb = gzip.compress(b"\n" * (40 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 2 * 1024 * 1024
    status, text = post(url + UPLOAD_PATH, bomb,
                        key.sign_request("POST", UPLOAD_PATH, int(time.time()), bomb))
    assert status == 413 and "inflated" in text, text
    # A health report that is not one: 400, saying what is wrong.
    bad = b'{"app_version": "1"}'
    status, text = post(url + HEALTH_PATH, bad,
                        key.sign_request("POST", HEALTH_PATH, int(time.time()), bad))
    assert status == 400 and "expected keys" in text, text
    # Signed by a key the service does not know: 401 before the body is looked at.
    stranger = load_or_create_device_key(tmp_path / "stranger")
    good = encode_health(HEALTH)
    status, text = post(url + HEALTH_PATH, good,
                        stranger.sign_request("POST", HEALTH_PATH, int(time.time()), good))
    assert status == 401 and "enrolled" in text, text
    # A good signature over other bytes: 401.
    headers = key.sign_request("POST", HEALTH_PATH, int(time.time()), good)
    status, text = post(url + HEALTH_PATH, good + b" ", headers)
    assert status == 401 and "signature" in text, text
    with deployment.storage() as s:
        assert s.received_count() == 0 and s.latest_health() == []


def test_a_kiosk_over_its_rate_is_told_when_to_come_back(deployment: Deployment,
                                                          tmp_path: Path) -> None:
    key = enrolled_kiosk(deployment, tmp_path / "kiosk")
    body = encode_health(HEALTH)
    statuses = []
    for _ in range(260):  # bounded: the default burst is 200
        headers = key.sign_request("POST", HEALTH_PATH, int(time.time()), body)
        status, text = post(deployment.url + HEALTH_PATH, body, headers)
        statuses.append(status)
        if status != 200:
            break
    assert statuses[-1] == 429 and "a minute" in text, text
    assert 150 <= statuses.count(200) <= 240  # the burst, plus what refilled meanwhile


@pytest.mark.postgres
@pytest.mark.parametrize("deployment", ["postgres"], indirect=True)
def test_a_replica_killed_and_a_database_restart_lose_nothing(deployment: Deployment,
                                                              tmp_path: Path) -> None:
    assert deployment.replicas is not None and deployment.lb is not None
    assert deployment.pg is not None
    key = enrolled_kiosk(deployment, tmp_path / "kiosk")
    sent: list[str] = []
    with Store(tmp_path / "kiosk") as store:
        def write(n: int) -> None:
            for i in range(n):
                r = mk(int(time.time()) - i)
                store.add_record(r)
                sent.append(r.record_id)

        write(30)
        assert push_pending(store, deployment.url, key, batch_size=10).sent == 30
        # Kill one replica: nginx takes the next uploads to the other one.
        deployment.replicas.kill(0)
        write(30)
        assert push_pending(store, deployment.url, key, batch_size=10).sent == 30
        deployment.replicas.start(0)
        # Stop the database: the upload fails cleanly (nothing marked), the retry succeeds.
        deployment.pg.stop()
        try:
            # Each replica's probe says it cannot store anything now.
            for i in range(2):
                status, text = get(deployment.replicas.url(i) + "/healthz")
                assert status == 503 and "database" in text, text
            write(10)
            with pytest.raises(PushError) as e:
                push_pending(store, deployment.url, key, batch_size=10)
            assert e.value.status in (502, 503, 504)
            assert store.record_counts().pending == 10
        finally:
            deployment.pg.start()
        res = push_pending(store, deployment.url, key, batch_size=10)
        assert (res.sent, res.pending) == (10, 0)
    ids = stored_ids(deployment)
    assert sorted(ids) == sorted(sent) and len(set(ids)) == len(ids)
    used = deployment.lb.upstreams_used()
    assert all(used[a] > 0 for a in deployment.replicas.addresses), used


def test_record_ids_are_stored_as_sent(deployment: Deployment, tmp_path: Path) -> None:
    key = enrolled_kiosk(deployment, tmp_path / "kiosk")
    r = mk(int(time.time()))
    body = encode_batch([r])
    status, _ = post(deployment.url + UPLOAD_PATH, body,
                     key.sign_request("POST", UPLOAD_PATH, int(time.time()), body))
    assert status == 200
    assert stored_ids(deployment) == [str(uuid.UUID(r.record_id))]


def test_a_week_offline_catches_up_once(deployment: Deployment, tmp_path: Path) -> None:
    """Seven days of records queued offline go up in batches; a lost answer resends one batch
    (same records, fresh signature) and nothing is doubled, across the days' partitions."""
    key = enrolled_kiosk(deployment, tmp_path / "kiosk")
    start = int(time.time()) - 7 * 86400
    with Store(tmp_path / "kiosk") as store:
        for i in range(7 * 60):
            store.add_record(mk(start + i * 1440))
        first = store.pending_records(150)
        body = encode_batch(first)  # this batch reached the service; its answer got lost
        headers = key.sign_request("POST", UPLOAD_PATH, int(time.time()), body)
        assert post(deployment.url + UPLOAD_PATH, body, headers)[0] == 200
        res = push_pending(store, deployment.url, key, batch_size=150)
        assert (res.sent, res.new, res.duplicates, res.pending) == (420, 270, 150, 0)
        sent = store.all_record_ids()
    ids = stored_ids(deployment)
    assert len(ids) == 420 and set(ids) == sent
    if deployment.kind == "postgres":
        with deployment.storage() as s:
            assert isinstance(s, PostgresStorage) and len(s.partitions()) >= 7
