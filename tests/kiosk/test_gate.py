"""The pure gate layer, without Qt: the state machine and what the screen shows for a state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codes import Kind, Outcome, Verdict
from kiosk import _words as W
from kiosk._gate import (
    MIN_HOLD_S,
    READ_CARD_REMOVED,
    READ_TIMEOUT,
    GateMachine,
    GateState,
    GateTimings,
    Phase,
    Presentation,
)
from kiosk._words import Phrase, Symbol, badges, freshness, readers_line, screen_for
from readers import Health

ROOT = Path(__file__).resolve().parents[2]

PASS = Verdict(Outcome.PASS, "ok")
DENY = Verdict(Outcome.DENY, "status_red")


def machine() -> tuple[GateMachine, list[Phase]]:
    m = GateMachine(GateTimings(pass_hold_s=3, alert_hold_s=8, read_timeout_s=10))
    seen: list[Phase] = []
    m.subscribe(lambda s: seen.append(s.phase))
    return m, seen


def phase(m: GateMachine) -> Phase:
    """The current phase, read through a call: each event may change it."""
    return m.state.phase


def test_full_cycle_idle_reading_verdict_idle() -> None:
    m, seen = machine()
    rid = m.present(Presentation.CODE, now=100.0)
    assert rid is not None
    assert m.verdict(rid, PASS, now=100.2)
    assert m.state.verdict == PASS
    m.tick(102.0)
    assert phase(m) is Phase.VERDICT  # pass is held 3 s
    m.tick(103.3)
    assert seen == [Phase.READING, Phase.VERDICT, Phase.IDLE]


def test_alerts_are_held_longer_than_passes() -> None:
    m, _ = machine()
    rid = m.present(Presentation.CODE, 0.0)
    assert rid is not None
    m.verdict(rid, DENY, 0.0)
    m.tick(7.9)
    assert phase(m) is Phase.VERDICT
    m.tick(8.0)
    assert phase(m) is Phase.IDLE


def test_presentation_during_read_is_ignored() -> None:
    m, seen = machine()
    assert m.present(Presentation.ID_CARD, 0.0) == 1
    assert m.present(Presentation.CODE, 0.5) is None
    assert seen == [Phase.READING]
    assert m.state.presentation is Presentation.ID_CARD


def test_next_person_can_start_once_an_alert_has_been_seen() -> None:
    m, _ = machine()
    first = m.present(Presentation.CODE, 0.0)
    assert first is not None
    m.verdict(first, DENY, 0.1)
    second = m.present(Presentation.ID_CARD, 8.1)
    assert second == first + 1
    assert phase(m) is Phase.READING


def test_late_result_of_an_older_read_is_dropped() -> None:
    m, _ = machine()
    first = m.present(Presentation.CODE, 0.0)
    assert first is not None
    m.tick(10.0)  # read timed out
    assert m.state.verdict is not None and m.state.verdict.reason == READ_TIMEOUT
    second = m.present(Presentation.CODE, 13.0)
    assert second is not None
    assert not m.verdict(first, PASS, 13.1)
    assert phase(m) is Phase.READING
    assert m.verdict(second, DENY, 13.2)
    assert m.state.verdict == DENY


def test_card_pulled_mid_read_tells_the_person_to_hold_it() -> None:
    m, _ = machine()
    m.present(Presentation.ID_CARD, 0.0)
    m.card_removed(0.5)
    assert phase(m) is Phase.VERDICT
    assert m.state.verdict is not None
    assert (m.state.verdict.outcome, m.state.verdict.reason) == (
        Outcome.INVALID,
        READ_CARD_REMOVED,
    )


def test_card_removed_after_pass_frees_the_gate_once_read_but_alerts_stay() -> None:
    m, _ = machine()
    rid = m.present(Presentation.ID_CARD, 0.0)
    assert rid is not None
    m.verdict(rid, PASS, 0.2)
    m.card_removed(1.7)  # pulled at once: the verdict still stays its minimum time
    assert phase(m) is Phase.VERDICT
    m.card_removed(3.2)
    assert phase(m) is Phase.IDLE
    rid = m.present(Presentation.ID_CARD, 4.0)
    assert rid is not None
    m.verdict(rid, DENY, 4.2)
    m.card_removed(7.5)
    assert phase(m) is Phase.VERDICT


def test_the_public_cannot_dismiss_a_red_or_amber_before_its_alert_time() -> None:
    m, _ = machine()
    rid = m.present(Presentation.CODE, 0.0)
    assert rid is not None
    m.verdict(rid, Verdict(Outcome.ATTENTION, "status_yellow"), 0.1)
    assert not m.dismiss(0.2)
    assert not m.dismiss(7.0)
    assert phase(m) is Phase.VERDICT
    assert m.dismiss(8.2)
    assert phase(m) is Phase.IDLE


def test_a_pass_or_invalid_is_dismissed_only_after_its_minimum_time() -> None:
    m, _ = machine()
    m.dismiss(0.0)
    assert phase(m) is Phase.IDLE
    rid = m.present(Presentation.TYPED_ID, 0.0)
    assert not m.dismiss(0.1)
    assert phase(m) is Phase.READING
    assert rid is not None
    m.verdict(rid, Verdict(Outcome.INVALID, "malformed"), 0.2)
    assert not m.dismiss(0.3)
    assert not m.dismiss(MIN_HOLD_S)
    assert m.dismiss(MIN_HOLD_S + 0.2)
    assert phase(m) is Phase.IDLE


def test_a_scan_during_the_minimum_time_waits_its_turn_then_starts() -> None:
    m, seen = machine()
    first = m.present(Presentation.CODE, 0.0, payload="first")
    assert first is not None
    m.verdict(first, PASS, 0.1)
    assert m.present(Presentation.ID_CARD, 1.0, payload="second") is None
    assert m.state.queued is Presentation.ID_CARD
    assert m.state.verdict == PASS  # still on screen
    m.tick(3.0)
    assert phase(m) is Phase.VERDICT
    m.tick(3.2)
    assert phase(m) is Phase.READING
    assert (m.state.presentation, m.state.payload, m.state.read_id) == (
        Presentation.ID_CARD, "second", first + 1)
    assert seen == [Phase.READING, Phase.VERDICT, Phase.VERDICT, Phase.READING]


def test_a_scan_after_the_minimum_time_starts_at_once() -> None:
    m, _ = machine()
    first = m.present(Presentation.CODE, 0.0)
    assert first is not None
    m.verdict(first, Verdict(Outcome.INVALID, "malformed"), 0.1)
    assert m.present(Presentation.CODE, 3.2) == first + 1


def test_site_policy_red_and_amber_stay_until_staff_acknowledge() -> None:
    m = GateMachine(GateTimings(ack_required=True))
    rid = m.present(Presentation.CODE, 0.0)
    assert rid is not None
    m.verdict(rid, DENY, 0.1)
    assert m.awaiting_staff
    m.tick(3600.0)
    assert not m.dismiss(3600.0)
    assert m.present(Presentation.CODE, 3600.5, payload="next") is None  # waits for staff
    assert phase(m) is Phase.VERDICT
    assert m.acknowledge(3601.0)
    assert (phase(m), m.state.payload) == (Phase.READING, "next")
    assert not m.awaiting_staff


def test_site_policy_amber_may_pass_behaves_like_a_pass() -> None:
    timings = GateTimings(amber_may_pass=True, pass_hold_s=4.0, alert_hold_s=20.0)
    amber = Verdict(Outcome.ATTENTION, "status_yellow")
    assert not timings.needs_staff(amber)
    assert timings.hold_for(amber) == 4.0
    assert timings.busy_for(amber) == MIN_HOLD_S
    assert GateTimings().needs_staff(amber)


def test_hold_times_below_the_minimum_are_raised() -> None:
    timings = GateTimings(pass_hold_s=0.5, alert_hold_s=1.0)
    assert timings.hold_for(PASS) == MIN_HOLD_S
    assert timings.hold_for(DENY) == MIN_HOLD_S


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["present", "verdict", "stale", "removed", "dismiss", "ack", "tick"]),
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
        elif name == "ack":
            m.acknowledge(now)
        else:
            m.tick(now)
        s = m.state
        assert (s.verdict is not None) == (s.phase is Phase.VERDICT)
        assert s.since <= now
    # Time always brings the gate back to idle: nothing is stuck.
    m.tick(now + 11.0)
    m.tick(now + 30.0)
    m.tick(now + 45.0)
    assert phase(m) is Phase.IDLE


def test_the_gate_layer_loads_no_qt() -> None:
    # A fresh interpreter: this test process has loaded Qt for other tests already.
    code = ("import sys, kiosk, kiosk._gate, kiosk._words\n"
            "print([m for m in sys.modules if 'PySide6' in m])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# What the screen shows ------------------------------------------------------------------------


def verdict_state(verdict: Verdict, presentation: Presentation = Presentation.CODE) -> GateState:
    return GateState(Phase.VERDICT, 0.0, presentation=presentation, verdict=verdict, read_id=1)


def test_idle_screen_says_what_to_do() -> None:
    screen = screen_for(GateState(Phase.IDLE, 0.0))
    assert (screen.outcome, screen.symbol) == (None, Symbol.CARD_OR_CODE)
    assert screen.headline == Phrase(W.IDLE_TITLE)
    assert screen.detail == Phrase(W.IDLE_HINT)
    assert screen.notes == (Phrase(W.IDLE_CODE_HINT),)


def test_idle_screen_says_what_still_works_when_a_reader_is_down() -> None:
    idle = GateState(Phase.IDLE, 0.0)
    no_card = screen_for(idle, available=W.Availability.NO_CARD)
    assert (no_card.symbol, no_card.headline) == (Symbol.QR, Phrase(W.IDLE_NO_CARD_TITLE))
    no_code = screen_for(idle, available=W.Availability.NO_CODE)
    assert no_code.headline == Phrase(W.IDLE_NO_CODE_TITLE)


@pytest.mark.parametrize(
    ("card", "code", "storage", "clock", "expected"),
    [
        (True, True, True, False, W.Availability.OK),
        (True, None, True, False, W.Availability.OK),
        (False, True, True, False, W.Availability.NO_CARD),
        (True, False, True, False, W.Availability.NO_CODE),
        (False, False, True, False, W.Availability.OUT_READERS),
        (False, None, True, False, W.Availability.NO_CARD),
        (None, None, True, False, W.Availability.OK),
        (None, False, True, False, W.Availability.OUT_READERS),
        (True, True, False, False, W.Availability.OUT_STORAGE),
        (True, True, True, True, W.Availability.OUT_CLOCK),
    ],
)
def test_availability(card: bool | None, code: bool | None, storage: bool, clock: bool,
                      expected: W.Availability) -> None:
    assert W.availability(card, code, storage_ok=storage, clock_rolled_back=clock) is expected


@pytest.mark.parametrize("available", [a for a in W.Availability if a.out_of_service])
def test_out_of_service_replaces_every_screen_and_tells_staff_what_to_do(
    available: W.Availability,
) -> None:
    for state in (GateState(Phase.IDLE, 0.0), verdict_state(PASS)):
        screen = screen_for(state, available=available)
        assert screen.headline == Phrase(W.OUT_TITLE)
        assert screen.detail is not None and len(screen.notes) == 2
        assert any("Staff" in n.source for n in screen.notes)


@pytest.mark.parametrize(
    ("presentation", "words"),
    [
        (Presentation.ID_CARD, W.READING_CARD),
        (Presentation.CODE, W.READING_CODE),
        (Presentation.TYPED_ID, W.READING_TYPED),
        (None, W.READING_CODE),
    ],
)
def test_reading_screen_names_what_is_being_checked(
    presentation: Presentation | None, words: str
) -> None:
    screen = screen_for(GateState(Phase.READING, 0.0, presentation=presentation, read_id=1))
    symbol = Symbol.CARD if presentation in (Presentation.ID_CARD, Presentation.TYPED_ID) \
        else Symbol.QR
    assert screen == W.Screen(None, symbol, Phrase(words))


@pytest.mark.parametrize(
    ("outcome", "symbol"),
    [
        (Outcome.PASS, Symbol.CHECK),
        (Outcome.ATTENTION, Symbol.EXCLAMATION),
        (Outcome.DENY, Symbol.CROSS),
        (Outcome.INVALID, Symbol.QUESTION),
    ],
)
def test_each_outcome_has_its_colour_shape_and_headline(outcome: Outcome, symbol: Symbol) -> None:
    screen = screen_for(verdict_state(Verdict(outcome, "status_red")))
    assert (screen.outcome, screen.symbol) == (outcome, symbol)
    assert screen.headline == Phrase(W.HEADLINES[outcome])
    assert screen.detail == Phrase(W.REASONS["status_red"])


def test_a_green_code_needs_no_explanation_and_an_unknown_reason_sends_to_staff() -> None:
    assert screen_for(verdict_state(PASS)).detail is None
    odd = screen_for(verdict_state(Verdict(Outcome.INVALID, "no_such_reason")))
    assert odd.detail == Phrase(W.UNKNOWN_REASON)


def test_the_gate_own_failures_are_explained() -> None:
    for reason in (READ_TIMEOUT, READ_CARD_REMOVED):
        screen = screen_for(verdict_state(Verdict(Outcome.INVALID, reason)))
        assert screen.detail == Phrase(W.REASONS[reason])


def test_verdict_shows_masked_person_badges_and_validity_in_china_time() -> None:
    verdict = Verdict(
        Outcome.PASS, "ok", name_masked="张*明", id_masked="440106********123X",
        kind=Kind.PHONE, proxy=True, expires_at=1_790_000_000,  # 2026-09-21 14:13:20 UTC
    )
    screen = screen_for(verdict_state(verdict))
    assert screen.person == ("张*明", "440106********123X")
    assert screen.badges == (Phrase(W.KIND_PHONE), Phrase(W.PROXY),
                             Phrase(W.VALID_UNTIL, "09-21 22:13"))


def test_validity_only_for_a_pass() -> None:
    verdict = Verdict(Outcome.DENY, "status_red", kind=Kind.PRINTED, expires_at=1_790_000_000)
    assert badges(verdict, Presentation.CODE) == (Phrase(W.BADGE_PRINTED),)


@pytest.mark.parametrize(
    ("verdict", "presentation", "kind"),
    [
        (Verdict(Outcome.PASS, "ok", format="HC1", kind=Kind.PHONE), Presentation.CODE,
         W.KIND_HC1),
        (Verdict(Outcome.PASS, "no_record", format="CARD"), Presentation.ID_CARD, W.KIND_CARD),
        (Verdict(Outcome.PASS, "no_record", format="ID", proxy=True), Presentation.TYPED_ID,
         W.BADGE_PROXY),
        (Verdict(Outcome.PASS, "ok", kind=Kind.PRINTED), Presentation.CODE, W.BADGE_PRINTED),
    ],
)
def test_badges_say_how_the_check_was_made(
    verdict: Verdict, presentation: Presentation, kind: str
) -> None:
    assert badges(verdict, presentation) == (Phrase(kind),)


def test_an_unreadable_code_shows_no_person_and_no_badge() -> None:
    screen = screen_for(verdict_state(Verdict(Outcome.INVALID, "malformed")))
    assert (screen.person, screen.badges) == ((), ())


def test_verdict_notes_staff_alert_data_age_and_a_waiting_person() -> None:
    state = GateState(Phase.VERDICT, 0.0, Presentation.CODE, DENY, 1,
                      queued=Presentation.ID_CARD)
    screen = screen_for(state, stale_age_s=30 * 3600.0)
    assert screen.notes == (Phrase(W.WAIT_FOR_STAFF), Phrase(W.DATA_AGE, "30"),
                            Phrase(W.NEXT_WAITS))
    amber = verdict_state(Verdict(Outcome.ATTENTION, "status_yellow"))
    assert screen_for(amber, GateTimings(amber_may_pass=True)).headline == Phrase(W.AMBER_PASS)
    assert screen_for(amber).notes == (Phrase(W.WAIT_FOR_STAFF),)


@pytest.mark.parametrize(
    ("age_s", "rolled_back", "expected"),
    [
        (59 * 60.0, False, (Phrase(W.DATA_FRESH, "59"), False)),
        (24 * 3600.0, False, (Phrase(W.DATA_FRESH, "1440"), False)),
        (25 * 3600.0, False, (Phrase(W.DATA_STALE, "25"), True)),
        (None, False, (Phrase(W.DATA_NEVER), True)),
        (60.0, True, (Phrase(W.CLOCK_ROLLED_BACK), True)),
        (None, True, (Phrase(W.CLOCK_ROLLED_BACK), True)),
    ],
)
def test_freshness_alerts_staff_when_data_is_old_missing_or_the_clock_went_back(
    age_s: float | None, rolled_back: bool, expected: tuple[Phrase, bool]
) -> None:
    assert freshness(age_s, 24 * 3600.0, rolled_back) == expected


def test_readers_line_lists_every_reader_by_name_with_its_health() -> None:
    health = {"serial": Health.LOST, "camera": Health.DEGRADED, "pcsc": Health.OK}
    assert readers_line(health) == "camera ⚠  pcsc ✓  serial ✗"
    assert readers_line({}) == ""
