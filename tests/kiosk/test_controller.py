"""KioskController's clock: it ticks while a read or a verdict is on, and not on an idle gate."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from codes import Outcome, Verdict
from kiosk._controller import KioskController
from kiosk._gate import GateTimings, Phase
from tests.fakes.verifier import FakeVerifier


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def running_timers(controller: KioskController) -> list[QTimer]:
    return [t for t in controller.findChildren(QTimer) if t.isActive()]


def test_the_clock_runs_only_while_a_verdict_or_read_is_on(qtbot: QtBot) -> None:
    verifier = FakeVerifier()
    verifier.by_code = {"PK1:GREEN": Verdict(Outcome.PASS, "ok")}
    clock = FakeClock()
    controller = KioskController(verifier, GateTimings(pass_hold_s=3.0), clock=clock, tick_ms=20)
    try:
        assert running_timers(controller) == []  # idle after start
        verifier.release.clear()  # the read hangs until released
        controller.present_code("PK1:GREEN")
        assert controller.state.phase is Phase.READING
        assert len(running_timers(controller)) == 1
        with qtbot.waitSignal(controller.stateChanged, timeout=5000,
                              check_params_cb=lambda s: s.phase is Phase.VERDICT):
            verifier.release.set()
        assert len(running_timers(controller)) == 1
        # The verdict ends by itself once its hold time is over: the clock's ticks end it.
        clock.now += 3.1
        qtbot.waitUntil(lambda: controller.state.phase is Phase.IDLE, timeout=5000)
        assert running_timers(controller) == []
    finally:
        controller.shutdown()


def test_a_read_that_hangs_still_times_out(qtbot: QtBot) -> None:
    verifier = FakeVerifier()
    verifier.release.clear()
    clock = FakeClock()
    controller = KioskController(verifier, GateTimings(read_timeout_s=10.0), clock=clock,
                                 tick_ms=20)
    try:
        controller.present_code("PK1:STUCK")
        clock.now += 10.5
        qtbot.waitUntil(lambda: controller.state.phase is Phase.VERDICT, timeout=5000)
        verdict = controller.state.verdict
        assert verdict is not None and verdict.reason == "read_timeout"
    finally:
        verifier.release.set()
        controller.shutdown()
