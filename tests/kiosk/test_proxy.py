"""Helper proxy lookup rules without a screen: the typed number, the rate limit, the helper id."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes import check_id18, id18_check_char
from kiosk._proxy import (
    LAST_IS_DIGIT,
    LAST_IS_X,
    NUMBER_FULL,
    NUMBER_OK,
    PROBLEM_WORDS,
    PROVINCES,
    X_ONLY_LAST,
    HelperId,
    HelperKind,
    IdEntry,
    Problem,
    RateLimiter,
)

NOW = 1790042550  # 2026-09-22 in China
GB_EXAMPLE = "11010519491231002X"  # the GB 11643 standard's own example


def full(body17: str) -> str:
    return body17 + id18_check_char(body17)


def test_typing_groups_six_eight_four() -> None:
    e = IdEntry()
    seen = []
    for ch in "44010219900307123":
        assert e.push(ch)
        seen.append(e.grouped())
    assert seen[0] == "4"
    assert seen[5] == "440102"
    assert seen[6] == "440102 1"
    assert seen[13] == "440102 19900307"
    assert seen[14] == "440102 19900307 1"
    last = id18_check_char(e.text)
    assert e.push(last)
    assert e.grouped() == f"440102 19900307 123{last}"
    assert e.complete and len(e) == 18


def test_x_only_as_the_eighteenth_character() -> None:
    e = IdEntry("1101051949")
    assert e.refusal("X") == X_ONLY_LAST
    assert not e.push("X") and not e.push("x")
    assert e.text == "1101051949"
    e = IdEntry(GB_EXAMPLE[:17])
    assert e.refusal("X") is None
    assert e.push("x")  # lower case is accepted and upper-cased (§5)
    assert e.text == GB_EXAMPLE
    assert e.refusal("1") == NUMBER_FULL and e.refusal("X") == NUMBER_FULL
    assert not e.push("1")
    assert e.text == GB_EXAMPLE


@pytest.mark.parametrize("key", ["", "12", "a", "１", "-", " ", "⌫"])
def test_only_single_digits_and_x_are_typed(key: str) -> None:
    e = IdEntry("1101")
    assert not e.push(key)
    assert e.text == "1101"


def test_delete_and_clear() -> None:
    e = IdEntry("440102")
    e.pop()
    assert e.text == "44010"
    e.clear()
    assert e.text == "" and e.grouped() == ""
    e.pop()  # deleting on empty is harmless
    assert e.text == ""
    with pytest.raises(ValueError):
        IdEntry("44X")


def test_problems_as_typed() -> None:
    assert IdEntry().problem(NOW) is Problem.TOO_SHORT
    assert IdEntry("4").problem(NOW) is Problem.TOO_SHORT
    assert IdEntry("99").problem(NOW) is Problem.BAD_REGION
    assert IdEntry("9").problem(NOW) is Problem.BAD_REGION  # no province code starts with 9
    assert IdEntry("8").problem(NOW) is Problem.TOO_SHORT
    assert IdEntry("84").problem(NOW) is Problem.BAD_REGION
    assert IdEntry("440102").problem(NOW) is Problem.TOO_SHORT
    assert IdEntry("4401021").problem(NOW) is Problem.TOO_SHORT
    assert IdEntry("4401023").problem(NOW) is Problem.BAD_DATE  # no year 3xxx
    assert IdEntry("44010218").problem(NOW) is Problem.BAD_DATE  # 18xx is before 1900
    assert IdEntry("4401022027").problem(NOW) is Problem.BAD_DATE  # a future year
    assert IdEntry("44010219902").problem(NOW) is Problem.BAD_DATE  # month 2x
    assert IdEntry("440102199013").problem(NOW) is Problem.BAD_DATE  # month 13
    assert IdEntry("4401021990024").problem(NOW) is Problem.BAD_DATE  # day 4x
    assert IdEntry("44010219900230").problem(NOW) is Problem.BAD_DATE  # 30 February
    assert IdEntry("44010220260923").problem(NOW) is Problem.BAD_DATE  # tomorrow in China
    assert IdEntry("44010220260922").problem(NOW) is Problem.TOO_SHORT  # today
    assert IdEntry("44010219900307123").problem(NOW) is Problem.TOO_SHORT
    good = full("44010219900307123")
    assert IdEntry(good).problem(NOW) is None
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert IdEntry(wrong).problem(NOW) is Problem.BAD_CHECK
    assert IdEntry(GB_EXAMPLE).problem(NOW) is None


def test_advice_lines() -> None:
    assert IdEntry("440102").advice(NOW) == (PROBLEM_WORDS[Problem.TOO_SHORT], "6")
    assert IdEntry("11010519491231002").advice(NOW) == (LAST_IS_X, None)
    assert IdEntry("44010219900307123").advice(NOW)[0] in (LAST_IS_X, LAST_IS_DIGIT)
    digit_body = next(b for b in (f"4401021990030712{i}" for i in range(10))
                      if id18_check_char(b) != "X")
    assert IdEntry(digit_body).advice(NOW) == (LAST_IS_DIGIT, None)
    assert IdEntry(GB_EXAMPLE).advice(NOW) == (NUMBER_OK, None)
    assert IdEntry("11010519491231002" + "1").advice(NOW) == (
        PROBLEM_WORDS[Problem.BAD_CHECK], None
    )


def test_masked_hides_the_birth_date() -> None:
    assert IdEntry(GB_EXAMPLE).masked() == "110105********002X"
    assert IdEntry("1101").masked() == "****"


digits17 = st.text(alphabet="0123456789", min_size=17, max_size=17)


@given(digits17)
def test_valid_problem_agrees_with_codes(body: str) -> None:
    for last in "0123456789X":
        e = IdEntry(body + last)
        assert (e.problem(NOW) is None) == (check_id18(body + last, NOW) and body[:2] in PROVINCES)


@given(st.dates(dt.date(1900, 1, 1), dt.date(2026, 9, 22)), st.sampled_from(["44", "11", "81"]))
def test_every_real_birth_date_passes_as_typed(born: dt.date, region: str) -> None:
    body = f"{region}0102{born:%Y%m%d}123"
    e = IdEntry()
    for ch in full(body):
        assert e.push(ch)
        assert e.problem(NOW) in (None, Problem.TOO_SHORT), e.text
    assert e.problem(NOW) is None


def test_rate_limit_ten_per_minute() -> None:
    r = RateLimiter()
    assert r.limit == 10 and r.window_s == 60.0
    assert [r.allow(100.0 + i) for i in range(10)] == [True] * 10
    assert r.retry_after(109.0) == pytest.approx(51.0)
    assert not r.allow(109.5)  # refused, and a refusal does not count
    assert r.retry_after(159.0) == pytest.approx(1.0)
    assert not r.allow(159.9)
    assert r.allow(160.0)  # the first lookup left the window
    assert not r.allow(160.5)
    assert r.retry_after(200.0) == 0.0


def test_rate_limit_clock_set_back() -> None:
    r = RateLimiter(limit=2, window_s=10.0)
    assert r.allow(1000.0) and r.allow(1001.0)
    assert not r.allow(5.0)
    assert r.retry_after(5.0) == pytest.approx(10.0)  # never longer than one window
    assert r.allow(15.0)


@given(st.lists(st.floats(0, 1000), max_size=60))
def test_rate_limit_never_more_than_limit_in_a_window(times: list[float]) -> None:
    r = RateLimiter(limit=3, window_s=10.0)
    allowed = [t for t in sorted(times) if r.allow(t)]
    for t in allowed:
        assert sum(1 for u in allowed if t - 10.0 < u <= t) <= 3
    if times:
        last = max(times)
        assert 0.0 <= r.retry_after(last) <= 10.0


def test_rate_limit_arguments() -> None:
    with pytest.raises(ValueError):
        RateLimiter(limit=0)
    with pytest.raises(ValueError):
        RateLimiter(window_s=0)


def test_helper_id_never_holds_a_raw_number() -> None:
    assert HelperId.staff_pin().log_text() == "staff_pin"
    h = HelperId.card_hash(bytes(range(32)))
    assert h.kind is HelperKind.CARD and h.log_text() == "card:0001020304050607"
    assert HelperId.card_number(GB_EXAMPLE).log_text() == "card:110105********002X"
    for ref in (GB_EXAMPLE, "", "0" * 17, "ABCDEF", "0" * 17 + "X"):
        with pytest.raises(ValueError):
            HelperId(HelperKind.CARD, ref)
    with pytest.raises(ValueError):
        HelperId(HelperKind.STAFF_PIN, "abc")


def test_pure_module_loads_no_qt() -> None:
    code = (
        "import kiosk._proxy, kiosk._pin, sys; "
        "print(any(m.startswith('PySide6') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@given(st.text(alphabet="0123456789", max_size=17), st.sampled_from(["", "X", "5"]))
def test_grouping_keeps_every_character_in_six_eight_four(body: str, last: str) -> None:
    typed = body + (last if len(body) == 17 else "")
    e = IdEntry(typed)
    groups = e.grouped().split(" ") if typed else []
    assert "".join(groups) == typed == e.text
    assert [len(g) for g in groups] == [n for n in (min(len(typed), 6),
                                                   min(max(len(typed) - 6, 0), 8),
                                                   max(len(typed) - 14, 0)) if n]
