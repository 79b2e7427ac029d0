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
    READ_CARD_REMOVED,
    READ_TIMEOUT,
    GateMachine,
    GateState,
    GateTimings,
    Phase,
    Presentation,
)
from kiosk._words import Phrase, Symbol, freshness, person_line, readers_line, screen_for
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


def test_next_person_can_start_while_verdict_shows() -> None:
    m, _ = machine()
    first = m.present(Presentation.CODE, 0.0)
    assert first is not None
    m.verdict(first, DENY, 0.1)
    second = m.present(Presentation.ID_CARD, 1.0)
    assert second == first + 1
    assert phase(m) is Phase.READING


def test_late_result_of_an_older_read_is_dropped() -> None:
    m, _ = machine()
    first = m.present(Presentation.CODE, 0.0)
    assert first is not None
    m.tick(10.0)  # read timed out
    assert m.state.verdict is not None and m.state.verdict.reason == READ_TIMEOUT
    second = m.present(Presentation.CODE, 11.0)
    assert second is not None
    assert not m.verdict(first, PASS, 11.1)
    assert phase(m) is Phase.READING
    assert m.verdict(second, DENY, 11.2)
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


def test_card_removed_after_pass_frees_the_gate_but_alerts_stay() -> None:
    m, _ = machine()
    rid = m.present(Presentation.ID_CARD, 0.0)
    assert rid is not None
    m.verdict(rid, PASS, 0.2)
    m.card_removed(2.0)
    assert phase(m) is Phase.IDLE
    rid = m.present(Presentation.ID_CARD, 3.0)
    assert rid is not None
    m.verdict(rid, DENY, 3.2)
    m.card_removed(5.0)
    assert phase(m) is Phase.VERDICT


def test_dismiss_only_ends_verdicts() -> None:
    m, _ = machine()
    m.dismiss(0.0)
    assert phase(m) is Phase.IDLE
    rid = m.present(Presentation.TYPED_ID, 0.0)
    m.dismiss(0.1)
    assert phase(m) is Phase.READING
    assert rid is not None
    m.verdict(rid, DENY, 0.2)
    m.dismiss(0.3)
    assert phase(m) is Phase.IDLE


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
    assert (screen.outcome, screen.symbol) == (None, Symbol.CARD)
    assert screen.headline == Phrase(W.IDLE_TITLE)
    assert screen.detail == Phrase(W.IDLE_HINT)
    assert screen.person == (Phrase(W.IDLE_CODE_HINT),)


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
    assert screen == W.Screen(None, Symbol.CARD, Phrase(words))


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


def test_person_line_masked_name_id_kind_proxy_and_validity_in_china_time() -> None:
    verdict = Verdict(
        Outcome.PASS, "ok", name_masked="张*明", id_masked="440106********123X",
        kind=Kind.PHONE, proxy=True, expires_at=1_790_000_000,  # 2026-09-21 14:13:20 UTC
    )
    assert person_line(verdict, Presentation.CODE) == (
        "张*明", "440106********123X", Phrase(W.KIND_PHONE), Phrase(W.PROXY),
        Phrase(W.VALID_UNTIL, "09-21 22:13"),
    )


def test_person_line_validity_only_for_a_pass() -> None:
    verdict = Verdict(Outcome.DENY, "status_red", kind=Kind.PRINTED, expires_at=1_790_000_000)
    assert person_line(verdict, Presentation.CODE) == (Phrase(W.KIND_PRINTED),)


@pytest.mark.parametrize(
    ("verdict", "presentation", "kind"),
    [
        (Verdict(Outcome.PASS, "ok", format="HC1", kind=Kind.PHONE), Presentation.CODE,
         W.KIND_HC1),
        (Verdict(Outcome.PASS, "no_record", format="CARD"), Presentation.ID_CARD, W.KIND_CARD),
        (Verdict(Outcome.PASS, "no_record", format="ID"), Presentation.TYPED_ID, W.KIND_TYPED),
    ],
)
def test_person_line_says_what_was_presented(
    verdict: Verdict, presentation: Presentation, kind: str
) -> None:
    assert person_line(verdict, presentation) == (Phrase(kind),)


def test_person_line_of_an_unreadable_code_is_empty() -> None:
    assert person_line(Verdict(Outcome.INVALID, "malformed"), Presentation.CODE) == ()


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
