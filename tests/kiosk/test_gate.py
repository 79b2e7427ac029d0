"""The pure gate state machine, without Qt."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from codes import Outcome, Verdict
from kiosk._gate import (
    READ_CARD_REMOVED,
    READ_TIMEOUT,
    GateMachine,
    GateTimings,
    Phase,
    Presentation,
)

PASS = Verdict(Outcome.PASS, "ok")
DENY = Verdict(Outcome.DENY, "status_red")


def machine() -> tuple[GateMachine, list[Phase]]:
    m = GateMachine(GateTimings(pass_hold_s=3, alert_hold_s=8, read_timeout_s=10))
    seen: list[Phase] = []
    m.subscribe(lambda s: seen.append(s.phase))
    return m, seen


def test_full_cycle_idle_reading_verdict_idle() -> None:
    m, seen = machine()
    rid = m.present(Presentation.CODE, now=100.0)
    assert rid is not None
    assert m.verdict(rid, PASS, now=100.2)
    assert m.state.verdict == PASS
    m.tick(102.0)
    assert m.state.phase is Phase.VERDICT  # pass is held 3 s
    m.tick(103.3)
    assert seen == [Phase.READING, Phase.VERDICT, Phase.IDLE]


def test_alerts_are_held_longer_than_passes() -> None:
    m, _ = machine()
    rid = m.present(Presentation.CODE, 0.0)
    assert rid is not None
    m.verdict(rid, DENY, 0.0)
    m.tick(7.9)
    assert m.state.phase is Phase.VERDICT
    m.tick(8.0)
    assert m.state.phase is Phase.IDLE


def test_presentation_during_read_is_ignored() -> None:
    m, seen = machine()
    assert m.present(Presentation.ID_CARD, 0.0) == 1
    assert m.present(Presentation.CODE, 0.5) is None
    assert seen == [Phase.READING]
    assert m.state.presentation is Presentation.ID_CARD


def test_next_person_can_start_while_verdict_shows() -> None:
    m, _ = machine()
    first = m.present(Presentation.CODE, 0.0)
    assert first is not None
    m.verdict(first, DENY, 0.1)
    second = m.present(Presentation.ID_CARD, 1.0)
    assert second == first + 1
    assert m.state.phase is Phase.READING


def test_late_result_of_an_older_read_is_dropped() -> None:
    m, _ = machine()
    first = m.present(Presentation.CODE, 0.0)
    assert first is not None
    m.tick(10.0)  # read timed out
    assert m.state.verdict is not None and m.state.verdict.reason == READ_TIMEOUT
    second = m.present(Presentation.CODE, 11.0)
    assert second is not None
    assert not m.verdict(first, PASS, 11.1)
    assert m.state.phase is Phase.READING
    assert m.verdict(second, DENY, 11.2)
    assert m.state.verdict == DENY


def test_card_pulled_mid_read_tells_the_person_to_hold_it() -> None:
    m, _ = machine()
    m.present(Presentation.ID_CARD, 0.0)
    m.card_removed(0.5)
    assert m.state.phase is Phase.VERDICT
    assert m.state.verdict is not None
    assert (m.state.verdict.outcome, m.state.verdict.reason) == (
        Outcome.INVALID,
        READ_CARD_REMOVED,
    )


def test_card_removed_after_pass_frees_the_gate_but_alerts_stay() -> None:
    m, _ = machine()
    rid = m.present(Presentation.ID_CARD, 0.0)
    assert rid is not None
    m.verdict(rid, PASS, 0.2)
    m.card_removed(2.0)
    assert m.state.phase is Phase.IDLE
    rid = m.present(Presentation.ID_CARD, 3.0)
    assert rid is not None
    m.verdict(rid, DENY, 3.2)
    m.card_removed(5.0)
    assert m.state.phase is Phase.VERDICT


def test_dismiss_only_ends_verdicts() -> None:
    m, _ = machine()
    m.dismiss(0.0)
    assert m.state.phase is Phase.IDLE
    rid = m.present(Presentation.TYPED_ID, 0.0)
    m.dismiss(0.1)
    assert m.state.phase is Phase.READING
    assert rid is not None
    m.verdict(rid, DENY, 0.2)
    m.dismiss(0.3)
    assert m.state.phase is Phase.IDLE


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["present", "verdict", "stale", "removed", "dismiss", "tick"]),
        st.floats(min_value=0, max_value=5),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(EVENTS)
def test_any_event_sequence_keeps_the_machine_consistent(events: list[tuple[str, float]]) -> None:
    m, _ = machine()
    now = 0.0
    for name, dt in events:
        now += dt
        if name == "present":
            m.present(Presentation.ID_CARD, now)
        elif name == "verdict":
            m.verdict(m.state.read_id, PASS, now)
        elif name == "stale":
            m.verdict(m.state.read_id - 1, DENY, now)
        elif name == "removed":
            m.card_removed(now)
        elif name == "dismiss":
            m.dismiss(now)
        else:
            m.tick(now)
        s = m.state
        assert (s.verdict is not None) == (s.phase is Phase.VERDICT)
        assert s.since <= now
    # Time always brings the gate back to idle: nothing is stuck.
    m.tick(now + 11.0)
    m.tick(now + 30.0)
    assert m.state.phase is Phase.IDLE
