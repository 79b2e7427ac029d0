"""Push against the real upload route on 127.0.0.1: batches, faults, a week offline."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codes.wire import EntryRecord, new_record_id
from service._ledger import UploadLedger, enroll_kiosk
from sync._devicekey import DeviceKey, load_or_create_device_key
from sync._push import PushError, push_pending
from sync._store import Store
from tests.sync._upload_server import UploadServer

DAY = 86400


def mk(at: int) -> EntryRecord:
    return EntryRecord(new_record_id(), at, "Hospital 3", "North", "pass", "ok", "PK1",
                       "ab" * 16, "cd" * 16)


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[tuple[Store, DeviceKey]]:
    key = load_or_create_device_key(tmp_path / "kiosk")
    enroll_kiosk(tmp_path / "svc", key.public_text)
    with Store(tmp_path / "kiosk") as store:
        yield store, key


def upstream(svc: Path) -> list[EntryRecord]:
    with UploadLedger(svc) as led:
        out: list[EntryRecord] = []
        for _ in range(1000):  # bounded paging
            page = led.received_records(500, out[-1].record_id if out else "")
            if not page:
                return out
            out.extend(page)
    raise AssertionError("paging did not end")


def test_push_sends_everything_in_batches(kiosk: tuple[Store, DeviceKey], tmp_path: Path) -> None:
    store, key = kiosk
    now = int(time.time())
    recs = [mk(now - i) for i in range(250)]
    for r in recs:
        store.add_record(r)
    with UploadServer(tmp_path / "svc") as srv:
        res = push_pending(store, srv.url + "/", key, batch_size=100)
        assert (res.sent, res.new, res.duplicates, res.batches, res.pending) == (250, 250, 0, 3, 0)
        assert push_pending(store, srv.url, key).batches == 0  # nothing left to send
    got = upstream(tmp_path / "svc")
    assert sorted(got, key=lambda r: r.record_id) == sorted(recs, key=lambda r: r.record_id)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_service_down_marks_nothing(kiosk: tuple[Store, DeviceKey]) -> None:
    store, key = kiosk
    store.add_record(mk(int(time.time())))
    with pytest.raises(PushError, match="expected an answer") as ei:
        push_pending(store, f"http://127.0.0.1:{_free_port()}", key, timeout_s=5)
    assert ei.value.status is None
    assert store.record_counts().pending == 1


@pytest.mark.parametrize("url", ["ftp://x/", "127.0.0.1:80", "http://h:99999/"])
def test_bad_service_url(kiosk: tuple[Store, DeviceKey], url: str) -> None:
    with pytest.raises(PushError, match="service URL"):
        push_pending(kiosk[0], url, kiosk[1])


def test_faults_lose_nothing_and_double_nothing(
    kiosk: tuple[Store, DeviceKey], tmp_path: Path
) -> None:
    store, key = kiosk
    now = int(time.time())
    for i in range(30):
        store.add_record(mk(now - i))
    with UploadServer(tmp_path / "svc") as srv:
        srv.faults.status_500 = 1
        with pytest.raises(PushError, match="got 500") as ei:
            push_pending(store, srv.url, key, batch_size=10)
        assert ei.value.status == 500 and store.record_counts().pending == 30

        # The service commits the second batch but the answer is lost: the kiosk re-sends it.
        srv.faults.drop_after_commit = 1
        with pytest.raises(PushError, match="expected an answer"):
            push_pending(store, srv.url, key, batch_size=10)
        assert store.record_counts().pending == 30
        assert len(upstream(tmp_path / "svc")) == 10

        srv.faults.hang = 1  # a service that never answers: the client gives up
        with pytest.raises(PushError, match="timed out"):
            push_pending(store, srv.url, key, batch_size=10, timeout_s=0.5)

        res = push_pending(store, srv.url, key, batch_size=10)
        assert (res.sent, res.new, res.duplicates, res.pending) == (30, 20, 10, 0)
    assert len(upstream(tmp_path / "svc")) == 30
    assert {r.record_id for r in upstream(tmp_path / "svc")} == store.all_record_ids()


def test_a_week_offline_catches_up(kiosk: tuple[Store, DeviceKey], tmp_path: Path) -> None:
    """Seven days of gate traffic with no network, then a flaky reconnection."""
    store, key = kiosk
    start = int(time.time()) - 7 * DAY
    for i in range(7 * 200):  # 200 people a day (each write is a durable fsync'd commit)
        store.add_record(mk(start + i * 432))
    dead = f"http://127.0.0.1:{_free_port()}"
    for _ in range(3):  # the week's sync attempts: all fail, nothing is marked
        with pytest.raises(PushError):
            push_pending(store, dead, key, timeout_s=5)
    assert store.record_counts().pending == 1400
    with UploadServer(tmp_path / "svc") as srv:
        srv.faults.status_500, srv.faults.drop_after_commit = 1, 2
        attempts = 0
        while store.record_counts().pending and attempts < 20:  # bounded retries
            attempts += 1
            try:
                push_pending(store, srv.url, key, batch_size=150)
            except PushError:
                continue
        assert store.record_counts().pending == 0
        assert srv.faults.seen.count(-1) == 2 and srv.faults.seen.count(500) == 1
    got = upstream(tmp_path / "svc")
    assert len(got) == 1400 == len({r.record_id for r in got})
    assert {r.record_id for r in got} == store.all_record_ids()


def test_push_purges_uploaded_records_past_retention(
    kiosk: tuple[Store, DeviceKey], tmp_path: Path
) -> None:
    store, key = kiosk
    now = int(time.time())
    old, recent = mk(now - 15 * DAY), mk(now - DAY)
    store.add_record(old)
    store.add_record(recent)
    with UploadServer(tmp_path / "svc") as srv:
        # The first push uploads both; the purge after it drops the one past 14 days.
        res = push_pending(store, srv.url, key)
        assert (res.sent, res.purged) == (2, 1)
        assert store.all_record_ids() == {recent.record_id}
        res = push_pending(store, srv.url, key, clock=lambda: now + 14 * DAY)
        assert (res.sent, res.purged) == (0, 1)
    # Records that never reached the service are kept, however old.
    stuck = mk(now - 30 * DAY)
    store.add_record(stuck)
    with pytest.raises(PushError):
        push_pending(store, f"http://127.0.0.1:{_free_port()}", key, timeout_s=5)
    assert store.purge_uploaded(now + 365 * DAY) == 0
    assert store.all_record_ids() == {stuck.record_id}
