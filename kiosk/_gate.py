"""The gate state machine: pure Python, no Qt, time always a parameter.

    idle ──present──▶ reading ──verdict──▶ verdict ──(hold elapsed | card removed | ack)──▶ idle
                                              │
                                              └──present (busy time over) ──▶ reading

The Qt window is a thin view over this machine: it forwards reader events and clock ticks in and
renders whatever state comes out. Keeping the rules here lets them be tested without a screen.

Why these rules:
- Every verdict stays at least :data:`MIN_HOLD_S` (3 s): long enough for an elderly person to read
  it. A presentation that arrives earlier waits its turn (it is queued, not dropped and not
  allowed to replace the verdict); the latest one waits, since a scanner repeats a held code.
- A verdict that needs staff (deny, and attention unless the site lets amber pass) cannot be
  cleared by the public: not by a touch, not by the next scan, not by pulling the card, until its
  alert time is over — or, when the site requires it, until staff acknowledge.
- While a read is in progress, further presentations are ignored (the same card is held ~2 s and a
  scanner may repeat a code); the read in progress finishes first.
- A read that never produces a verdict (a stuck device) ends in an ``invalid`` verdict with reason
  ``read_timeout``, and a card pulled before its read finished ends in ``card_removed``: the screen
  never freezes on "reading", and the person is told to try again and hold the card.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from codes import Outcome, Verdict

MIN_HOLD_S = 3.0


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
    # The read's work, opaque to the machine: the controller runs it when a read starts, which
    # may be later than the presentation when it had to wait its turn.
    payload: object = field(default=None, compare=False)
    queued: Presentation | None = None  # a presentation waiting for this verdict's busy time


@dataclass(frozen=True, slots=True)
class GateTimings:
    """Site policy for how long verdicts stay (hold times below :data:`MIN_HOLD_S` are raised)."""

    pass_hold_s: float = 3.0
    alert_hold_s: float = 8.0
    read_timeout_s: float = 10.0
    ack_required: bool = False  # deny/attention stay until staff acknowledge
    amber_may_pass: bool = False  # attention is shown as a pass that staff note

    def needs_staff(self, verdict: Verdict) -> bool:
        if verdict.outcome is Outcome.DENY:
            return True
        return verdict.outcome is Outcome.ATTENTION and not self.amber_may_pass

    def hold_for(self, verdict: Verdict) -> float | None:
        """How long the verdict stays on its own; None: until staff acknowledge."""
        if self.needs_staff(verdict):
            return None if self.ack_required else max(MIN_HOLD_S, self.alert_hold_s)
        if verdict.outcome is Outcome.INVALID:
            return max(MIN_HOLD_S, self.alert_hold_s)
        return max(MIN_HOLD_S, self.pass_hold_s)

    def busy_for(self, verdict: Verdict) -> float | None:
        """How long before the public (a touch, the next scan) may replace the verdict."""
        return self.hold_for(verdict) if self.needs_staff(verdict) else MIN_HOLD_S


# Reasons the gate itself produces (the core's reasons are in PK1 spec §4).
READ_TIMEOUT = "read_timeout"
READ_CARD_REMOVED = "card_removed"

Listener = Callable[[GateState], None]


def _elapsed(now: float, since: float, limit: float | None) -> bool:
    return limit is not None and now - since >= limit


@dataclass
class GateMachine:
    """Holds the current :class:`GateState` and applies events to it."""

    timings: GateTimings = field(default_factory=GateTimings)
    state: GateState = field(default_factory=lambda: GateState(Phase.IDLE, 0.0))
    _listeners: list[Listener] = field(default_factory=list, repr=False)
    _queued_payload: object = field(default=None, repr=False)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _enter(self, state: GateState) -> None:
        self.state = state
        for listener in list(self._listeners):
            listener(state)

    @property
    def awaiting_staff(self) -> bool:
        """A verdict is on screen that only staff may clear."""
        st = self.state
        return (
            st.phase is Phase.VERDICT
            and st.verdict is not None
            and self.timings.hold_for(st.verdict) is None
        )

    # Events -------------------------------------------------------------------------------

    def present(self, what: Presentation, now: float, payload: object = None) -> int | None:
        """A card was tapped, a code scanned or an ID typed. Returns the read id when the read
        starts now; None when it is ignored (a read is in progress) or queued (``state.queued``)."""
        st = self.state
        if st.phase is Phase.READING:
            return None
        if (
            st.phase is Phase.VERDICT
            and st.verdict is not None
            and not _elapsed(now, st.since, self.timings.busy_for(st.verdict))
        ):
            self._queued_payload = payload
            self._enter(_replace_queued(st, what))
            return None
        return self._start(what, payload, now)

    def verdict(self, read_id: int, verdict: Verdict, now: float) -> bool:
        """The verification of read ``read_id`` finished. Stale results are dropped."""
        st = self.state
        if st.phase is not Phase.READING or read_id != st.read_id:
            return False
        self._enter(
            GateState(Phase.VERDICT, now, presentation=st.presentation, verdict=verdict,
                      read_id=read_id)
        )
        return True

    def card_removed(self, now: float) -> None:
        """The card left the reader: an unfinished card read is abandoned; a card verdict that
        the public may clear ends once its minimum time is over."""
        st = self.state
        if st.phase is Phase.READING and st.presentation is Presentation.ID_CARD:
            self._fail(READ_CARD_REMOVED, now)
        elif (
            st.phase is Phase.VERDICT
            and st.presentation is Presentation.ID_CARD
            and st.verdict is not None
            and st.queued is None
            and not self.timings.needs_staff(st.verdict)
            and now - st.since >= MIN_HOLD_S
        ):
            self._idle(now)

    def dismiss(self, now: float) -> bool:
        """A touch on the verdict by anyone: honoured only once the public may clear it."""
        st = self.state
        if (
            st.phase is Phase.VERDICT
            and st.verdict is not None
            and _elapsed(now, st.since, self.timings.busy_for(st.verdict))
        ):
            self._next(now)
            return True
        return False

    def acknowledge(self, now: float) -> bool:
        """Staff acknowledged the verdict on screen (after their PIN): clears any verdict."""
        if self.state.phase is Phase.VERDICT:
            self._next(now)
            return True
        return False

    def tick(self, now: float) -> None:
        """Clock tick: starts a queued read when its turn comes, ends verdicts whose hold time
        elapsed and reads that hang."""
        st = self.state
        if st.phase is Phase.VERDICT and st.verdict is not None:
            if st.queued is not None and _elapsed(now, st.since,
                                                  self.timings.busy_for(st.verdict)):
                self._next(now)
            elif _elapsed(now, st.since, self.timings.hold_for(st.verdict)):
                self._idle(now)
        elif st.phase is Phase.READING and now - st.since >= self.timings.read_timeout_s:
            self._fail(READ_TIMEOUT, now)

    # Internals ----------------------------------------------------------------------------

    def _start(self, what: Presentation, payload: object, now: float) -> int:
        read_id = self.state.read_id + 1
        self._queued_payload = None
        self._enter(GateState(Phase.READING, now, presentation=what, read_id=read_id,
                              payload=payload))
        return read_id

    def _next(self, now: float) -> None:
        """Leave the verdict: the queued presentation's read starts, or the gate goes idle."""
        queued = self.state.queued
        if queued is not None:
            self._start(queued, self._queued_payload, now)
        else:
            self._idle(now)

    def _fail(self, reason: str, now: float) -> None:
        fmt = "CARD" if self.state.presentation is Presentation.ID_CARD else "PK1"
        self.verdict(self.state.read_id, Verdict(Outcome.INVALID, reason, format=fmt), now)

    def _idle(self, now: float) -> None:
        self._queued_payload = None
        self._enter(GateState(Phase.IDLE, now, read_id=self.state.read_id))


def _replace_queued(st: GateState, what: Presentation) -> GateState:
    return GateState(st.phase, st.since, st.presentation, st.verdict, st.read_id, st.payload,
                     queued=what)
