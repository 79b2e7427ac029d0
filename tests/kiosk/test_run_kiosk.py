"""`passkiosk run` assembled end to end on real parts.

A real reference service on 127.0.0.1 issues and publishes; the kiosk data folder is synced with
the real TUF client; a real serial scanner (pyserial on a pseudo-terminal) delivers the code; the
real window shows the verdict; the entry record lands in the real SQLite store and is uploaded
by the background scheduler.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from codes import Kind, Outcome
from kiosk._gate import Phase
from kiosk._keypad import Keypad
from kiosk._run import Kiosk, RunOptions
from kiosk._words import Availability
from readers import CardPresented, Health
from service import BackgroundService, ServiceState, UploadLedger, enroll_kiosk
from sync import KioskLists, StoreError, device_public_key
from tests.sync.servicekit import make_id18, new_service, now, sync_kiosk

STAFF_PIN = "2468"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[ServiceState, str]]:
    st = new_service(tmp_path / "svc")
    with BackgroundService(st.data_dir) as svc:
        yield st, svc.url
    st.close()


@pytest.fixture
def scanner_pty() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def headline(kiosk: Kiosk) -> str:
    label = kiosk.window.findChild(QLabel, "headline")
    assert label is not None
    return label.text()


def test_scanned_code_to_verdict_record_and_upload(
    qtbot: QtBot, tmp_path: Path, service: tuple[ServiceState, str], scanner_pty: tuple[int, str]
) -> None:
    st, url = service
    red_id = make_id18(7)
    green = st.issue(id18=make_id18(8), name="李秀英", status=0, kind=Kind.PRINTED, proxy=False,
                     now=now() - 60)
    red = st.issue(id18=red_id, name="赵丽", status=2, kind=Kind.PHONE, proxy=False,
                   now=now() - 60)
    st.publish(now=now())
    data = tmp_path / "kiosk"
    sync_kiosk(data, url, st)
    enroll_kiosk(st.data_dir, device_public_key(data), "gate 3")

    master, port = scanner_pty
    kiosk = Kiosk(RunOptions(data_dir=data, site="GZ-South", gate="3", service_url=url,
                             pcsc=False, scanner_port=port))
    kiosk.store.set_staff_pin(STAFF_PIN)
    qtbot.addWidget(kiosk.window)
    kiosk.window.resize(1280, 800)
    kiosk.window.show()
    try:
        # The scanner reports itself ready once its port is open; a code sent before that is
        # lost, as with a real gun whose cable is not plugged in yet.
        with qtbot.waitSignal(
            kiosk.bridge.statusChanged, timeout=10_000,
            check_params_cb=lambda s: s.source == "serial-scanner" and s.health is Health.OK,
        ):
            kiosk.start()
        for token, expected, words in (
            (green, Outcome.PASS, "请通行"),
            (red, Outcome.DENY, "禁止通行"),
        ):
            kiosk.controller.acknowledge()  # staff clear the previous verdict
            with qtbot.waitSignal(
                kiosk.controller.stateChanged, timeout=10_000,
                check_params_cb=lambda s: s.phase is Phase.VERDICT,
            ):
                os.write(master, token.text.encode() + b"\r\n")
            verdict = kiosk.controller.state.verdict
            assert verdict is not None and verdict.outcome is expected
            assert headline(kiosk) == words
        assert kiosk.store.record_counts().total == 2

        # Staff hold the corner, enter the PIN and press "sync now" in the panel. The
        # background scheduler uploads both records; the service holds each once.
        kiosk.controller.acknowledge()
        QTest.mousePress(kiosk.window.page.staff_corner, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: kiosk.window.current_screen() == "pin", timeout=5000)
        QTest.mouseRelease(kiosk.window.page.staff_corner, Qt.MouseButton.LeftButton)
        keypad = kiosk.gate.flow.pin.findChild(Keypad)
        assert keypad is not None
        for key in STAFF_PIN:
            QTest.mouseClick(keypad.key(key), Qt.MouseButton.LeftButton)
        QTest.mouseClick(kiosk.gate.flow.pin.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: kiosk.window.current_screen() == "panel", timeout=5000)
        sync = kiosk.gate.flow.panel.findChild(QPushButton, "syncNow")
        assert sync is not None
        QTest.mouseClick(sync, Qt.MouseButton.LeftButton)
        assert [e.action for e in kiosk.store.audit_entries()][-1] == "sync_now"
        deadline = time.monotonic() + 20
        while kiosk.store.record_counts().pending and time.monotonic() < deadline:
            qtbot.wait(100)
        assert kiosk.store.record_counts().pending == 0
    finally:
        kiosk.close()
    ledger = UploadLedger(st.data_dir)
    try:
        received = ledger.received_records()
        assert len(received) == 2
        assert {r.outcome for r in received} == {"pass", "deny"}
        assert {r.site for r in received} == {"GZ-South"}
        # The kiosk said how it is with its upload: its scanner works, it has no card reader.
        (row,) = ledger.latest_health()
        assert (row.health.reader, row.health.camera) == ("none", "ok")
        assert row.health.queue_depth == 0 and row.health.list_version >= 1
    finally:
        ledger.close()
    # No raw ID number anywhere in the kiosk's database files.
    for f in data.rglob("*.sqlite3*"):
        assert red_id.encode() not in f.read_bytes()


def test_stale_lists_turn_an_unlisted_card_into_attention(
    qtbot: QtBot, tmp_path: Path, service: tuple[ServiceState, str]
) -> None:
    st, url = service
    st.publish(now=now())
    data = tmp_path / "kiosk"
    sync_kiosk(data, url, st)
    lists = KioskLists(data)  # pretend the lists were confirmed 2 days ago (default stale: 24 h)
    lists.save_state(replace(lists.state(), verified_at=now() - 2 * 86_400))
    kiosk = Kiosk(RunOptions(data_dir=data, pcsc=False))
    qtbot.addWidget(kiosk.window)
    try:
        with qtbot.waitSignal(
            kiosk.controller.stateChanged, timeout=10_000,
            check_params_cb=lambda s: s.phase is Phase.VERDICT,
        ):
            kiosk.bridge.sink(CardPresented(serial="0011223344556677", source="test"))
        verdict = kiosk.controller.state.verdict
        assert verdict is not None
        assert (verdict.outcome, verdict.reason) == (Outcome.ATTENTION, "stale_data")
        assert kiosk.store.record_counts().total == 1
    finally:
        kiosk.close()


def test_camera_feed_to_verdict(
    qtbot: QtBot, tmp_path: Path, service: tuple[ServiceState, str]
) -> None:
    """A phone held up to the gate camera (a real video file through cv2.VideoCapture)."""
    import cv2
    import numpy as np

    from tests.readers.degrade import render_qr

    st, url = service
    token = st.issue(id18=make_id18(9), name="张小明", status=1, kind=Kind.PHONE, proxy=False,
                     now=now() - 60)
    st.publish(now=now())
    data = tmp_path / "kiosk"
    sync_kiosk(data, url, st)
    blank = np.full((720, 1280, 3), 200, np.uint8)
    frame = blank.copy()
    qr = cv2.cvtColor(render_qr(token.text, "Q", 4), cv2.COLOR_GRAY2BGR)
    frame[100 : 100 + qr.shape[0], 300 : 300 + qr.shape[1]] = qr
    video = tmp_path / "gate.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 30.0, (1280, 720))
    for f in [blank] * 10 + [frame] * 30:
        writer.write(f)
    writer.release()

    kiosk = Kiosk(RunOptions(data_dir=data, pcsc=False, camera=str(video)))
    qtbot.addWidget(kiosk.window)
    try:
        with qtbot.waitSignal(
            kiosk.controller.stateChanged, timeout=15_000,
            check_params_cb=lambda s: s.phase is Phase.VERDICT,
        ):
            kiosk.start()
        verdict = kiosk.controller.state.verdict
        assert verdict is not None
        assert (verdict.outcome, verdict.reason) == (Outcome.ATTENTION, "status_yellow")
        assert headline(kiosk) == "请稍候，工作人员核验"
    finally:
        kiosk.close()


def test_clock_set_back_is_shown_and_the_trusted_time_is_used(qtbot: QtBot, tmp_path: Path) -> None:
    from sync import Store, TrustedClock

    data = tmp_path / "kiosk"
    ahead = now() + 3600  # a signed time seen earlier lies an hour after the system clock
    with Store(data) as store:
        TrustedClock(store).observe_trusted(ahead)
    kiosk = Kiosk(RunOptions(data_dir=data, pcsc=False))
    qtbot.addWidget(kiosk.window)
    try:
        label = kiosk.window.findChild(QLabel, "freshness")
        assert label is not None
        assert label.text() == "系统时钟被回拨：使用最近可信时间"
        with qtbot.waitSignal(
            kiosk.controller.stateChanged, timeout=10_000,
            check_params_cb=lambda s: s.phase is Phase.VERDICT,
        ):
            kiosk.bridge.sink(CardPresented(serial="0011223344556677", source="test"))
        records = kiosk.store.pending_records(10)
        assert len(records) == 1 and records[0].at >= ahead
    finally:
        kiosk.close()


def test_a_failing_disk_puts_the_gate_out_of_service_until_it_works_again(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk = Kiosk(RunOptions(data_dir=tmp_path / "kiosk", pcsc=False))
    qtbot.addWidget(kiosk.window)
    kiosk.window.show()
    try:
        kiosk.start()
        assert kiosk.window.available is Availability.OK

        def disk_full(*_args: object) -> None:
            raise StoreError("database or disk is full")

        monkeypatch.setattr(kiosk.store, "add_record", disk_full)
        monkeypatch.setattr(kiosk.store, "kv_set", disk_full)
        kiosk.flow.code("PK1:NOT-A-REAL-CODE")
        qtbot.waitUntil(lambda: kiosk.window.available is Availability.OUT_STORAGE,
                        timeout=5000)
        assert headline(kiosk) == "本闸机暂停服务"
        kiosk.check_status()  # the disk still fails: still out of service
        assert kiosk.window.available is Availability.OUT_STORAGE
        monkeypatch.undo()
        kiosk.check_status()
        assert kiosk.window.available is Availability.OK
        assert headline(kiosk) == "无法识别，请重试"  # the failed read's own verdict, again
        kiosk.controller.acknowledge()
        assert headline(kiosk) == "请刷身份证 或 出示通行码"
    finally:
        kiosk.close()


def test_a_dead_card_reader_turns_the_idle_screen_to_codes(
    qtbot: QtBot, tmp_path: Path
) -> None:
    kiosk = Kiosk(RunOptions(data_dir=tmp_path / "kiosk", pcsc=False,
                             sam_port=str(tmp_path / "no-such-serial-port")))
    qtbot.addWidget(kiosk.window)
    kiosk.window.show()
    try:
        kiosk.start()
        qtbot.waitUntil(lambda: kiosk.window.available is Availability.NO_CARD, timeout=5000)
        assert headline(kiosk) == "读卡器故障 请出示通行码"
    finally:
        kiosk.close()


def test_a_sync_status_still_queued_at_close_is_dropped(qtbot: QtBot, tmp_path: Path) -> None:
    # The sync thread's status reaches the GUI thread as a queued event; one posted just before
    # close() arrives after the store and verifier are closed and must be let go, not handled.
    import threading

    from PySide6.QtCore import QCoreApplication

    kiosk = Kiosk(RunOptions(data_dir=tmp_path / "kiosk", pcsc=False,
                             service_url="http://127.0.0.1:9"))  # nothing listens there
    qtbot.addWidget(kiosk.window)
    scheduler = kiosk.scheduler
    assert scheduler is not None
    worker = threading.Thread(target=scheduler.run_once)  # as the sync thread runs a round
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    kiosk.close()
    QCoreApplication.processEvents()  # delivers the queued status
    assert scheduler.status().last_error  # the round did run, and failed to reach the service
