"""The pure scanner-wedge burst detector, fed synthetic key timings (no Qt involved)."""

from __future__ import annotations

import itertools
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codes import DeviceError
from kiosk._wedge_detect import (
    DEFAULT_MAX_GAP_S,
    DEFAULT_MIN_CHARS,
    MAX_SCAN_CHARS,
    WedgeConfigError,
    WedgeDetector,
    normalise_case,
)

ROOT = Path(__file__).resolve().parents[2]

B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
TOKEN = "PK1:6BFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3DSPTLRR+%3"  # shaped like a PK1 text
ENTER = "\n"


@dataclass
class Run:
    delivered: list[int]  # indexes of keys that reached the application, in delivery order
    scans: list[tuple[str, list[int]]]  # scanned text and the indexes of keys it swallowed
    rejected: list[str]


def run(det: WedgeDetector, keys: list[tuple[str, float]]) -> Run:
    """Apply the detector's Steps the way WedgeFilter does; ``ENTER`` stands for Enter."""
    out: list[int] = []
    held: list[int] = []
    scans: list[tuple[str, list[int]]] = []
    rejected: list[str] = []
    for i, (ch, t) in enumerate(keys):
        step = det.enter(t) if ch == ENTER else det.char(ch, t)
        if step.release_held:
            out += held
            held = []
        if step.rejected is not None:
            rejected.append(step.rejected)
        if step.scanned is not None:
            scans.append((step.scanned, [*held, i]))
            held = []
        elif step.hold:
            held.append(i)
        else:
            out.append(i)
    step = det.abandon()
    if step.release_held:
        out += held
        held = []
    if step.rejected is not None:
        rejected.append(step.rejected)
    assert held == [], "keys held after abandon()"
    assert not det.pending
    return Run(out, scans, rejected)


def timed(text: str, gap: float, start: float = 100.0) -> list[tuple[str, float]]:
    return [(ch, start + i * gap) for i, ch in enumerate(text)]


def test_fast_burst_with_prefix_and_enter_is_one_scan_and_swallowed() -> None:
    keys = timed(TOKEN + ENTER, 0.004)
    r = run(WedgeDetector(), keys)
    assert r.scans == [(TOKEN, list(range(len(keys))))]
    assert r.delivered == []
    assert r.rejected == []


def test_hc1_prefix_is_a_scan_too() -> None:
    text = "HC1:" + TOKEN[4:]
    r = run(WedgeDetector(), timed(text + ENTER, 0.01))
    assert [s for s, _ in r.scans] == [text]


def test_gap_exactly_at_the_limit_is_still_a_burst() -> None:
    # 1/16 s: exact in binary floating point, so every gap equals the limit exactly.
    r = run(WedgeDetector(max_gap_s=0.0625), timed(TOKEN + ENTER, 0.0625, start=0.0))
    assert [s for s, _ in r.scans] == [TOKEN]


def test_slow_human_typing_is_never_a_scan_and_every_key_arrives_in_order() -> None:
    keys = timed(TOKEN + ENTER, 0.12)  # a brisk typist
    r = run(WedgeDetector(), keys)
    assert r.scans == []
    assert r.delivered == list(range(len(keys)))


def test_one_slow_gap_in_the_middle_breaks_the_burst() -> None:
    keys = timed(TOKEN[:10], 0.005) + timed(TOKEN[10:] + ENTER, 0.005, start=100.2)
    r = run(WedgeDetector(), keys)
    assert r.scans == []
    assert r.delivered == list(range(len(keys)))
    assert any("ms gap after" in why for why in r.rejected)


def test_slow_enter_after_a_fast_burst_is_not_a_scan() -> None:
    keys = [*timed(TOKEN, 0.005), (ENTER, 100.0 + len(TOKEN) * 0.005 + 0.3)]
    r = run(WedgeDetector(), keys)
    assert r.scans == []
    assert r.delivered == list(range(len(keys)))
    assert any("before Enter" in why for why in r.rejected)


def test_short_burst_is_rejected_with_a_reason_and_delivered() -> None:
    keys = timed("PK1:ABC" + ENTER, 0.005)
    r = run(WedgeDetector(), keys)
    assert r.scans == []
    assert r.delivered == list(range(len(keys)))
    assert len(r.rejected) == 1 and f"fewer than {DEFAULT_MIN_CHARS}" in r.rejected[0]


def test_fast_text_without_the_prefix_passes_straight_through() -> None:
    # A typed ID number starts with a digit: its keys are never held back, not even briefly.
    det = WedgeDetector()
    for i, ch in enumerate("44010619900101123X"):
        step = det.char(ch, i * 0.001)
        assert not step.hold and not step.release_held
    assert det.enter(0.02).scanned is None


def test_near_prefix_is_released_at_the_first_wrong_key() -> None:
    det = WedgeDetector()
    assert det.char("P", 0.0).hold
    assert det.char("K", 0.01).hold
    step = det.char("2", 0.02)  # "PK2" cannot become PK1:
    assert step.release_held and not step.hold and step.rejected is None


def test_a_released_key_can_start_the_next_burst() -> None:
    # "H" ends a "P..." that went wrong, and is itself the start of HC1:.
    keys = timed("PH" + "C1:" + TOKEN[4:] + ENTER, 0.003)
    r = run(WedgeDetector(), keys)
    assert r.delivered == [0]
    assert [s for s, _ in r.scans] == ["HC1:" + TOKEN[4:]]


def test_caps_lock_scan_is_upper_cased_back() -> None:
    r = run(WedgeDetector(), timed(TOKEN.lower() + ENTER, 0.004))
    assert [s for s, _ in r.scans] == [TOKEN]


def test_mixed_case_is_passed_on_as_typed_for_the_verifier_to_reject() -> None:
    typed = "Pk1:" + TOKEN[4:]
    r = run(WedgeDetector(), timed(typed + ENTER, 0.004))
    assert [s for s, _ in r.scans] == [typed]


def test_normalise_case() -> None:
    assert normalise_case("pk1:abc 12$%") == "PK1:ABC 12$%"
    assert normalise_case("PK1:ABC") == "PK1:ABC"
    assert normalise_case("PK1:aBC") == "PK1:aBC"  # not a caps-lock artefact: leave it
    assert normalise_case("1234 $%") == "1234 $%"
    assert normalise_case("pk1:ß") == "PK1:ß"  # only ASCII letters change


def test_size_cap_longest_qr_is_accepted_one_more_is_not() -> None:
    body = (B45 * (MAX_SCAN_CHARS // len(B45) + 1))[: MAX_SCAN_CHARS - 4]
    ok = "PK1:" + body
    assert len(ok) == MAX_SCAN_CHARS
    r = run(WedgeDetector(), timed(ok + ENTER, 0.001))
    assert [s for s, _ in r.scans] == [ok]

    too_long = ok + "A"
    keys = timed(too_long + ENTER, 0.001)
    r = run(WedgeDetector(), keys)
    assert r.scans == []
    assert sorted(r.delivered) == list(range(len(keys)))
    assert any(f"more than {MAX_SCAN_CHARS}" in why for why in r.rejected)


def test_clock_going_backwards_ends_a_burst() -> None:
    keys = [*timed(TOKEN[:8], 0.005), *timed(TOKEN[8:] + ENTER, 0.005, start=50.0)]
    r = run(WedgeDetector(), keys)
    assert r.scans == []
    assert r.delivered == list(range(len(keys)))


def test_other_key_ends_a_burst() -> None:
    det = WedgeDetector()
    for i, ch in enumerate(TOKEN):
        assert det.char(ch, i * 0.001).hold
    step = det.other()
    assert step.release_held and step.rejected is not None and "another key" in step.rejected
    assert not det.pending


def test_non_printable_char_counts_as_another_key() -> None:
    det = WedgeDetector()
    det.char("P", 0.0)
    assert det.char("\t", 0.001).release_held
    assert det.char("", 0.002) == det.other()  # nothing held any more: plain pass


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_chars": 3},  # shorter than the prefix
        {"min_chars": 50, "max_chars": 40},
        {"max_chars": MAX_SCAN_CHARS + 1},
        {"max_gap_s": 0.0},
        {"max_gap_s": 5.0},
        {"prefixes": ()},
        {"prefixes": ("PK1:", "")},
    ],
)
def test_impossible_settings_raise_our_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(WedgeConfigError, match="expected") as info:
        WedgeDetector(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, DeviceError)


# --- properties --------------------------------------------------------------------------------

_chars = st.sampled_from(B45 + "pkhc" + ENTER)
_gaps = st.one_of(
    st.floats(0.0, DEFAULT_MAX_GAP_S * 0.99),  # scanner speed
    st.floats(0.051, 0.6),  # people
)


@st.composite
def key_streams(draw: st.DrawFn) -> list[tuple[str, float]]:
    """Mixed streams: random keys, whole scans, prefixes, at scanner or human speed."""
    keys: list[tuple[str, float]] = []
    t = 1000.0
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["random", "scan", "prefix"]))
        if kind == "random":
            text = "".join(draw(st.lists(_chars, max_size=30)))
        elif kind == "scan":
            text = draw(st.sampled_from(["PK1:", "HC1:", "pk1:"])) + "".join(
                draw(st.lists(st.sampled_from(B45), min_size=10, max_size=40))
            )
            text += ENTER
        else:
            text = draw(st.sampled_from(["P", "PK", "PK1", "H", "HC1:", "hc"]))
        fast = draw(st.booleans())
        for ch in text:
            t += draw(st.floats(0.0, 0.02)) if fast else draw(_gaps)
            keys.append((ch, t))
    return keys


@settings(max_examples=300, deadline=None)
@given(key_streams())
def test_no_key_is_lost_or_reordered_and_every_scan_is_a_real_burst(
    keys: list[tuple[str, float]],
) -> None:
    det = WedgeDetector(min_chars=12)
    r = run(det, keys)
    # Every key is either delivered or part of exactly one scan; delivery keeps typing order.
    swallowed = [i for _, idx in r.scans for i in idx]
    assert sorted(r.delivered + swallowed) == list(range(len(keys)))
    assert r.delivered == sorted(r.delivered)
    for text, idx in r.scans:
        # A scan is a contiguous run of keys ending in Enter ...
        assert idx == list(range(idx[0], idx[-1] + 1))
        assert keys[idx[-1]][0] == ENTER
        typed = "".join(keys[i][0] for i in idx[:-1])
        # ... its text is what was typed (caps lock undone), with a prefix, within the sizes ...
        assert text == normalise_case(typed)
        assert text[:4] in ("PK1:", "HC1:") or typed[:4].upper() in ("PK1:", "HC1:")
        assert 12 <= len(text) <= MAX_SCAN_CHARS
        assert ENTER not in typed
        # ... and every gap in it, the Enter's included, is scanner-fast.
        times = [keys[i][1] for i in idx]
        assert all(0.0 <= b - a <= DEFAULT_MAX_GAP_S for a, b in itertools.pairwise(times))


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=B45, min_size=8, max_size=200),
    st.lists(st.floats(0.0505, 2.0), min_size=1, max_size=1),
)
def test_human_speed_never_scans(body: str, gap: list[float]) -> None:
    keys = timed("PK1:" + body + ENTER, gap[0])
    r = run(WedgeDetector(min_chars=4), keys)
    assert r.scans == []
    assert r.delivered == list(range(len(keys)))


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=B45, min_size=DEFAULT_MIN_CHARS, max_size=600),
    # Just under the limit: times are sums, and float rounding may nudge a gap of exactly the
    # limit over it (the limit itself is tested with exact binary fractions above).
    st.floats(0.0, DEFAULT_MAX_GAP_S * 0.99),
    st.sampled_from(["PK1:", "HC1:"]),
    st.booleans(),
)
def test_any_fast_prefixed_burst_scans_exactly(
    body: str, gap: float, prefix: str, caps_lock: bool
) -> None:
    text = prefix + body
    typed = text.lower() if caps_lock else text
    r = run(WedgeDetector(), timed(typed + ENTER, gap))
    assert [s for s, _ in r.scans] == [text]
    assert r.delivered == []


def test_the_detector_loads_no_qt() -> None:
    # A fresh interpreter: this test process has loaded Qt for other tests already.
    code = "import sys, kiosk._wedge_detect\nprint([m for m in sys.modules if 'PySide6' in m])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
