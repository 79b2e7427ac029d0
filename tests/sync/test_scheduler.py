"""SyncScheduler: backoff with jitter, status, sync now, bounded stop."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from codes import DeviceError
from codes.wire import EntryRecord, new_record_id
from service._ledger import UploadLedger, enroll_kiosk
from sync._devicekey import load_or_create_device_key
from sync._push import push_pending
from sync._scheduler import SyncScheduler, SyncStatus, backoff_delay
from sync._store import Store
from tests.sync._upload_server import UploadServer


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_790_000_000.0

    def __call__(self) -> float:
        return self.t


def test_backoff_grows_and_is_capped_with_jitter() -> None:
    rng = random.Random(7)
    for n, step in [(1, 5), (2, 10), (3, 20), (6, 160), (9, 900), (60, 900)]:
        samples = [backoff_delay(n, 5, 900, rng) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in samples)
        assert len({round(d, 6) for d in samples}) > 100  # really jittered


def test_rounds_success_failure_and_recovery() -> None:
    clock = FakeClock()
    pushed: list[int] = []
    fail_pull = [True, True, False]

    def pull() -> None:
        clock.t += 2
        if fail_pull.pop(0):
            raise DeviceError("service down")

    def push() -> None:
        pushed.append(1)

    statuses: list[SyncStatus] = []
    s = SyncScheduler(pull=pull, push=push, interval_s=300, backoff_base_s=10,
                      backoff_max_s=600, wall=clock, rng=random.Random(1),
                      on_status=statuses.append)
    a = s.run_once()
    assert a.last_error == "pull: DeviceError: service down"
    assert a.consecutive_failures == 1 and 5 <= a.next_attempt_in_s <= 10
    assert a.last_success_at is None and a.data_age_s is None
    assert a.last_push_success_at == clock.t  # push ran although pull failed
    b = s.run_once()
    assert b.consecutive_failures == 2 and 10 <= b.next_attempt_in_s <= 20
    clock.t += 100
    c = s.run_once()
    assert c.last_error is None and c.consecutive_failures == 0
    assert c.next_attempt_in_s == 300 and c.last_success_at == clock.t
    assert c.data_age_s == 0.0 and c.rounds == 3
    clock.t += 50
    fail_pull.append(True)
    d = s.run_once()
    assert d.data_age_s == 50 + 2  # the lists are as old as the last good pull
    assert len(pushed) == 4
    assert [st.running for st in statuses[:2]] == [True, False]


def test_data_age_callable_wins() -> None:
    s = SyncScheduler(pull=None, push=lambda: None, data_age=lambda: 1234.0)
    assert s.run_once().data_age_s == 1234.0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(DeviceError, match="interval_s"):
        SyncScheduler(pull=None, push=None, interval_s=0)


def test_thread_runs_now_and_on_sync_now_and_stops() -> None:
    rounds = threading.Semaphore(0)
    s = SyncScheduler(pull=lambda: None, push=lambda: None, interval_s=3600,
                      on_status=lambda st: None if st.running else rounds.release())
    s.start()
    try:
        assert rounds.acquire(timeout=30)  # the first round runs at start
        s.sync_now()
        assert rounds.acquire(timeout=30)  # staff pressed "sync now": no 1 h wait
        assert s.status().rounds == 2
    finally:
        assert s.stop(timeout_s=30)
    with pytest.raises(DeviceError, match="one start"):
        s.start()


def test_stop_is_bounded_when_a_round_hangs() -> None:
    entered, release = threading.Event(), threading.Event()

    def hanging_pull() -> None:
        entered.set()
        release.wait(60)

    s = SyncScheduler(pull=hanging_pull, push=None)
    s.start()
    assert entered.wait(30)
    assert s.stop(timeout_s=0.05) is False  # returns, does not wait for the stuck I/O
    release.set()
    assert s.stop(timeout_s=30) is True


def test_failing_callbacks_do_not_stop_sync() -> None:
    pushes = threading.Semaphore(0)

    def on_status(st: SyncStatus) -> None:
        raise RuntimeError("GUI went away")

    def data_age() -> float:
        raise RuntimeError("lists unreadable")

    s = SyncScheduler(pull=None, push=pushes.release, interval_s=3600, backoff_base_s=0.01,
                      backoff_max_s=0.02, on_status=on_status, data_age=data_age)
    st = s.run_once()
    assert st.last_error == "data age: RuntimeError: lists unreadable"
    assert st.consecutive_failures == 1
    s.start()
    try:
        assert pushes.acquire(timeout=30)  # the round ran
        assert pushes.acquire(timeout=30)  # and the ones after it (backoff, not a dead thread)
    finally:
        assert s.stop(timeout_s=30)


def test_background_push_while_the_gate_writes(tmp_path: Path) -> None:
    """The GUI thread writes records while the scheduler thread pushes them (real service)."""
    key = load_or_create_device_key(tmp_path / "kiosk")
    enroll_kiosk(tmp_path / "svc", key.public_text)
    rounds = threading.Semaphore(0)
    with Store(tmp_path / "kiosk") as store, UploadServer(tmp_path / "svc") as srv:
        s = SyncScheduler(
            pull=None, push=lambda: push_pending(store, srv.url, key, batch_size=7),
            interval_s=3600, on_status=lambda st: None if st.running else rounds.release(),
        )
        s.start()
        try:
            for i in range(60):
                store.add_record(EntryRecord(new_record_id(), int(time.time()), "S", "G",
                                             "pass", "ok", "PK1", None, None))
                if i % 15 == 0:
                    s.sync_now()
            for _ in range(20):  # bounded: a round that began before the last write
                s.sync_now()
                assert rounds.acquire(timeout=30)
                if store.record_counts().pending == 0 and not s.status().running:
                    break
            assert s.status().last_error is None
        finally:
            assert s.stop(timeout_s=30)
        assert store.record_counts().pending == 0
        local = store.all_record_ids()
    with UploadLedger(tmp_path / "svc") as led:
        assert led.received_ids() == local and len(local) == 60
