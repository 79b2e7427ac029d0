"""The kiosk's health report on its way up: the scheduler completes the app's report (last
error, data age) and the push fills in the queue depth and sends it signed after the batches."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from codes.wire import EntryRecord, KioskHealth, looks_like_id_number, new_record_id
from service._ledger import UploadLedger, enroll_kiosk
from sync._devicekey import load_or_create_device_key
from sync._push import PushError, push_pending
from sync._scheduler import SyncScheduler
from sync._store import Store
from tests.sync._upload_server import UploadServer

APP = KioskHealth("0.1.0", 5, None, "ok", "absent", (), 0, None)


def mk(at: int) -> EntryRecord:
    return EntryRecord(new_record_id(), at, "Hospital 3", "North", "pass", "ok", "PK1")


def test_the_scheduler_adds_the_last_error_and_the_data_age() -> None:
    def fail() -> None:
        raise OSError("connection refused by 10.0.0.1, card 110105198001010013")

    sched = SyncScheduler(pull=fail, push=None, data_age=lambda: 42.5, health=lambda: APP)
    assert sched.health_report() == replace(APP, data_age_s=42)  # nothing failed yet
    sched.run_once()
    report = sched.health_report()
    assert report is not None and report.last_error is not None
    assert "connection refused" in report.last_error
    assert not looks_like_id_number(report.last_error)  # the service would refuse it
    # The app's own last error and data age win over the scheduler's.
    own = replace(APP, last_error="camera lost", data_age_s=7)
    sched = SyncScheduler(pull=fail, push=None, health=lambda: own)
    sched.run_once()
    assert sched.health_report() == own
    assert SyncScheduler(pull=None, push=None).health_report() is None


def test_a_broken_health_source_never_holds_back_the_records() -> None:
    def broken() -> KioskHealth:
        raise RuntimeError("camera driver crashed")

    assert SyncScheduler(pull=None, push=None, health=broken).health_report() is None
    unsendable = replace(APP, reader="melted")
    assert SyncScheduler(pull=None, push=None, health=lambda: unsendable).health_report() \
        is None


def test_push_sends_the_report_after_the_batches(tmp_path: Path) -> None:
    key = load_or_create_device_key(tmp_path / "kiosk")
    enroll_kiosk(tmp_path / "svc", key.public_text)
    with Store(tmp_path / "kiosk") as store, UploadServer(tmp_path / "svc") as srv:
        for i in range(12):
            store.add_record(mk(int(time.time()) - i))
        res = push_pending(store, srv.url, key, batch_size=5, health=replace(APP,
                                                                            queue_depth=999))
        assert (res.sent, res.batches) == (12, 3)
        assert srv.faults.seen == [200, 200, 200, 200]  # three batches, then the report
        srv.faults.status_500 = 1
        store.add_record(mk(int(time.time())))
        with pytest.raises(PushError):
            push_pending(store, srv.url, key, health=APP)
    with UploadLedger(tmp_path / "svc") as led:
        (row,) = led.latest_health()
    assert row.key_id == key.key_id and row.health == APP  # queue depth: what was left, 0
