"""Reader events from a reader's own thread reach the gate on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from codes import Outcome, Verdict
from kiosk._bridge import ReaderBridge
from kiosk._controller import KioskController
from kiosk._gate import GateTimings, Phase
from readers import CardPresented, CardRemoved, CodeScanned, Health, ReaderStatus
from tests.fakes.verifier import FakeVerifier


def test_events_from_a_reader_thread_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    bridge = ReaderBridge()
    seen: list[tuple[str, bool]] = []
    gui = QThread.currentThread()

    def record(kind: str) -> Callable[[object], None]:
        return lambda _event: seen.append((kind, QThread.currentThread() is gui))

    bridge.cardPresented.connect(record("card"))
    bridge.cardRemoved.connect(record("removed"))
    bridge.codeScanned.connect(record("code"))
    bridge.statusChanged.connect(record("status"))

    def reader() -> None:
        bridge.sink(ReaderStatus(Health.OK, "ready", "pcsc"))
        bridge.sink(CardPresented(serial="0011223344556677", source="pcsc"))
        bridge.sink(CardRemoved(source="pcsc"))
        bridge.sink(CodeScanned("PK1:X", "camera", 1.0))

    with qtbot.waitSignal(bridge.codeScanned, timeout=5000):
        thread = threading.Thread(target=reader)
        thread.start()
    thread.join(5)
    assert seen == [("status", True), ("card", True), ("removed", True), ("code", True)]


def test_bridge_drives_the_gate(qtbot: QtBot) -> None:
    verifier = FakeVerifier()
    verifier.by_code = {"PK1:GREEN": Verdict(Outcome.PASS, "ok")}
    controller = KioskController(verifier, GateTimings(), tick_ms=50)
    bridge = ReaderBridge()
    bridge.codeScanned.connect(controller.present_code)
    with qtbot.waitSignal(
        controller.stateChanged, timeout=5000, check_params_cb=lambda s: s.phase is Phase.VERDICT
    ):
        scan = CodeScanned("PK1:GREEN", "camera", 0.0)
        threading.Thread(target=bridge.sink, args=(scan,)).start()
    assert controller.state.verdict == Verdict(Outcome.PASS, "ok")
    controller.shutdown()
