"""Qt adapter around the pure gate machine: reader events in, state changes out as signals.

Verification runs off the GUI thread (an ID-card lookup costs one scrypt hash, spec §5), so the
screen keeps animating while a card is read. Results come back through a queued signal and are
matched to their read id, so a slow result of an earlier read can never overwrite a newer one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from codes import Outcome, Verdict
from kiosk._gate import GateMachine, GateState, GateTimings, Phase, Presentation
from readers import CardPresented

log = logging.getLogger(__name__)


class Verifier(Protocol):
    """What the gate needs from the verification side (demo data or the synced store)."""

    def check_code(self, text: str) -> Verdict: ...

    def check_card(self, card: CardPresented) -> Verdict: ...

    def check_id(self, id18: str) -> Verdict: ...


class KioskController(QObject):
    stateChanged = Signal(GateState)
    readFailed = Signal(object)  # the exception a read's verification raised (storage trouble…)
    _resultReady = Signal(int, Verdict)  # read id, its verdict

    def __init__(
        self,
        verifier: Verifier,
        timings: GateTimings | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick_ms: int = 200,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._verifier = verifier
        self._clock = clock
        self._machine = GateMachine(timings or GateTimings())
        self._started = 0  # the last read id whose job was submitted
        self._machine.subscribe(self._on_state)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verify")
        self._resultReady.connect(self._on_result)
        # The clock ticks only while a read or a verdict is on: an idle gate has nothing that
        # ends by itself, and a low-power box should not wake five times a second all day.
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)

    @property
    def state(self) -> GateState:
        return self._machine.state

    @property
    def timings(self) -> GateTimings:
        return self._machine.timings

    @property
    def awaiting_staff(self) -> bool:
        """A deny/attention verdict is on screen that only staff may clear (site policy)."""
        return self._machine.awaiting_staff

    def set_timings(self, timings: GateTimings) -> None:
        """The site policy changed (staff panel): applies from the next event on."""
        self._machine.timings = timings

    # Inputs (slots: connected to reader bridges, the scanner wedge and demo buttons) ------------

    @Slot(str)
    def present_code(self, text: str) -> None:
        self._start(Presentation.CODE, lambda: self._verifier.check_code(text))

    @Slot(CardPresented)
    def present_card(self, card: CardPresented) -> None:
        self._start(Presentation.ID_CARD, lambda: self._verifier.check_card(card))

    @Slot(str)
    def present_id(self, id18: str) -> None:
        self._start(Presentation.TYPED_ID, lambda: self._verifier.check_id(id18))

    @Slot()
    def card_removed(self) -> None:
        self._machine.card_removed(self._clock())

    @Slot()
    def dismiss(self) -> None:
        """A touch on the verdict: clears it only once the public may (see kiosk._gate)."""
        self._machine.dismiss(self._clock())

    @Slot()
    def acknowledge(self) -> bool:
        """Staff acknowledged the verdict on screen."""
        return self._machine.acknowledge(self._clock())

    def shutdown(self) -> None:
        self._timer.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # Internals ----------------------------------------------------------------------------------

    def _start(self, what: Presentation, job: Callable[[], Verdict]) -> None:
        # The job runs when its read starts: now, or later when it waits for a verdict's turn.
        self._machine.present(what, self._clock(), payload=job)

    def _on_state(self, state: GateState) -> None:
        if state.phase is Phase.IDLE:
            self._timer.stop()
        elif not self._timer.isActive():
            self._timer.start()
        if state.phase is Phase.READING and state.read_id != self._started:
            self._started = state.read_id
            self._pool.submit(self._run, state.read_id, state.payload)
        self.stateChanged.emit(state)

    def _run(self, read_id: int, job: object) -> None:
        try:
            if not callable(job):
                raise TypeError(f"read job: expected a callable, got {type(job).__name__}")
            verdict = job()
            if not isinstance(verdict, Verdict):
                raise TypeError(f"read job: expected a Verdict, got {type(verdict).__name__}")
        except Exception as exc:  # the kiosk must never crash on one bad read
            log.exception("verification failed")
            verdict = Verdict(Outcome.INVALID, "internal_error")
            self.readFailed.emit(exc)
        self._resultReady.emit(read_id, verdict)

    @Slot(int, Verdict)
    def _on_result(self, read_id: int, verdict: Verdict) -> None:
        self._machine.verdict(read_id, verdict, self._clock())

    @Slot()
    def _tick(self) -> None:
        self._machine.tick(self._clock())
