"""The gate state machine: pure Python, no Qt, time always a parameter.

    idle ──present──▶ reading ──verdict──▶ verdict ──(hold elapsed | card removed | next)──▶ idle

The Qt window is a thin view over this machine: it forwards reader events and clock ticks in and
renders whatever state comes out. Keeping the rules here lets them be tested without a screen.

Why these rules:
- A new presentation while a verdict is on screen starts a new read at once: the next person in
  the queue must not wait for the previous verdict to time out.
- While a read is in progress, further presentations are ignored (the same card is held ~2 s and
  a scanner may repeat a code); the read in progress finishes first.
- A read that never produces a verdict (a stuck device) ends in an ``invalid`` verdict with
  reason ``read_timeout``, and a card pulled before its read finished ends in ``card_removed``:
  the screen never freezes on "reading", and the person is told to try again and hold the card.
- ``pass`` verdicts stay briefly; ``attention``/``deny``/``invalid`` stay longer because gate
  staff must see them and act.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from codes import Outcome, Verdict


class Phase(enum.StrEnum):
    IDLE = "idle"
    READING = "reading"
    VERDICT = "verdict"


class Presentation(enum.StrEnum):
    """What the person presented: shapes the "reading" screen's words."""

    ID_CARD = "id_card"
    CODE = "code"
    TYPED_ID = "typed_id"


@dataclass(frozen=True, slots=True)
class GateState:
    phase: Phase
    since: float  # monotonic seconds when this phase began
    presentation: Presentation | None = None
    verdict: Verdict | None = None
    read_id: int = 0  # increases with every read; late results of an older read are dropped


@dataclass(frozen=True, slots=True)
class GateTimings:
    pass_hold_s: float = 3.0
    alert_hold_s: float = 8.0  # attention / deny / invalid
    read_timeout_s: float = 10.0

    def hold_for(self, outcome: Outcome) -> float:
        return self.pass_hold_s if outcome is Outcome.PASS else self.alert_hold_s


# Reasons the gate itself produces (the core's reasons are in PK1 spec §4).
READ_TIMEOUT = "read_timeout"
READ_CARD_REMOVED = "card_removed"

Listener = Callable[[GateState], None]


@dataclass
class GateMachine:
    """Holds the current :class:`GateState` and applies events to it."""

    timings: GateTimings = field(default_factory=GateTimings)
    state: GateState = field(default_factory=lambda: GateState(Phase.IDLE, 0.0))
    _listeners: list[Listener] = field(default_factory=list, repr=False)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _enter(self, state: GateState) -> None:
        self.state = state
        for listener in list(self._listeners):
            listener(state)

    # Events -------------------------------------------------------------------------------

    def present(self, what: Presentation, now: float) -> int | None:
        """A card was tapped, a code scanned or an ID typed. Returns the read id, or None when
        the presentation is ignored because a read is already in progress."""
        if self.state.phase is Phase.READING:
            return None
        read_id = self.state.read_id + 1
        self._enter(GateState(Phase.READING, now, presentation=what, read_id=read_id))
        return read_id

    def verdict(self, read_id: int, verdict: Verdict, now: float) -> bool:
        """The verification of read ``read_id`` finished. Stale results are dropped."""
        if self.state.phase is not Phase.READING or read_id != self.state.read_id:
            return False
        self._enter(
            GateState(
                Phase.VERDICT,
                now,
                presentation=self.state.presentation,
                verdict=verdict,
                read_id=read_id,
            )
        )
        return True

    def card_removed(self, now: float) -> None:
        """The card left the reader. A pass verdict has been seen; the gate is free again.
        Alerts stay for staff; an unfinished card read is abandoned."""
        st = self.state
        if st.phase is Phase.READING and st.presentation is Presentation.ID_CARD:
            self._fail(READ_CARD_REMOVED, now)
        elif (
            st.phase is Phase.VERDICT
            and st.presentation is Presentation.ID_CARD
            and st.verdict is not None
            and st.verdict.outcome is Outcome.PASS
            and now - st.since >= self.timings.pass_hold_s / 2
        ):
            self._idle(now)

    def dismiss(self, now: float) -> None:
        """Staff (or the person) acknowledged the verdict."""
        if self.state.phase is Phase.VERDICT:
            self._idle(now)

    def tick(self, now: float) -> None:
        """Clock tick: ends verdicts whose hold time elapsed and reads that hang."""
        st = self.state
        if st.phase is Phase.VERDICT and st.verdict is not None:
            if now - st.since >= self.timings.hold_for(st.verdict.outcome):
                self._idle(now)
        elif st.phase is Phase.READING and now - st.since >= self.timings.read_timeout_s:
            self._fail(READ_TIMEOUT, now)

    def _fail(self, reason: str, now: float) -> None:
        fmt = "CARD" if self.state.presentation is Presentation.ID_CARD else "PK1"
        self.verdict(self.state.read_id, Verdict(Outcome.INVALID, reason, format=fmt), now)

    def _idle(self, now: float) -> None:
        self._enter(GateState(Phase.IDLE, now, read_id=self.state.read_id))
