"""The staff PIN guard without a screen: wrong tries, growing lockout, persisted across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk._pin import (
    FIRST_LOCK_S,
    MAX_LOCK_S,
    MAX_TRIES,
    MemoryLockState,
    PinGuard,
    PinResult,
    PinStatus,
    StoreLockState,
    lock_seconds,
)
from sync import SiteConfig, Store

PIN = "246810"


class Counting:
    """The PIN check, counting how often it is asked."""

    def __init__(self, right: str = PIN) -> None:
        self.right = right
        self.calls = 0

    def __call__(self, pin: str) -> bool:
        self.calls += 1
        return pin == self.right


def test_right_pin_is_ok_and_resets_the_count() -> None:
    state = MemoryLockState()
    guard = PinGuard(Counting(), state)
    assert guard.attempt("1111", 0.0) == PinResult(PinStatus.WRONG, tries_left=4)
    assert guard.attempt("2222", 1.0) == PinResult(PinStatus.WRONG, tries_left=3)
    assert guard.attempt(PIN, 2.0) == PinResult(PinStatus.OK)
    assert state.get() == (0, 0.0)
    assert guard.attempt("1111", 3.0) == PinResult(PinStatus.WRONG, tries_left=4)


def test_five_wrong_lock_with_a_growing_delay() -> None:
    check = Counting()
    guard = PinGuard(check, MemoryLockState())
    results = [guard.attempt("0000", float(i)) for i in range(MAX_TRIES)]
    assert [r.tries_left for r in results[:-1]] == [4, 3, 2, 1]
    assert results[-1] == PinResult(PinStatus.LOCKED, locked_s=30)
    # While locked, even the right PIN is not checked at all.
    calls = check.calls
    assert guard.attempt(PIN, 4.0 + 29.5) == PinResult(PinStatus.LOCKED, locked_s=1)
    assert check.calls == calls
    assert guard.locked_for(4.0 + 10) == 20
    # After the lock, one more wrong PIN locks again, twice as long.
    t = 4.0 + 30
    assert guard.attempt("0000", t) == PinResult(PinStatus.LOCKED, locked_s=60)
    t += 60
    assert guard.attempt("0000", t) == PinResult(PinStatus.LOCKED, locked_s=120)
    t += 120
    assert guard.attempt(PIN, t) == PinResult(PinStatus.OK)
    assert guard.attempt("0000", t + 1) == PinResult(PinStatus.WRONG, tries_left=4)


def test_lock_schedule_is_capped() -> None:
    assert [lock_seconds(n) for n in range(1, MAX_TRIES)] == [0.0] * (MAX_TRIES - 1)
    assert [lock_seconds(n) for n in range(5, 11)] == [30, 60, 120, 240, 480, 900]
    assert lock_seconds(10_000) == MAX_LOCK_S


def test_right_pin_on_the_fifth_try_is_ok() -> None:
    state = MemoryLockState()
    guard = PinGuard(Counting(), state)
    for i in range(MAX_TRIES - 1):
        guard.attempt("0000", float(i))
    assert guard.attempt(PIN, 10.0) == PinResult(PinStatus.OK)
    assert state.get() == (0, 0.0)


def test_clock_set_back_does_not_stretch_the_lock() -> None:
    state = MemoryLockState()
    state.set(9, 1_000_000.0)
    guard = PinGuard(Counting(), state)
    assert guard.locked_for(0.0) == MAX_LOCK_S


def test_overlong_or_empty_pin_counts_without_hashing() -> None:
    check = Counting()
    guard = PinGuard(check, MemoryLockState())
    assert guard.attempt("", 0.0).status is PinStatus.WRONG
    assert guard.attempt("1" * 65, 1.0) == PinResult(PinStatus.WRONG, tries_left=3)
    assert check.calls == 0


class Dying:
    """A PIN check interrupted (power cut, kill): the guess must already be counted."""

    def __call__(self, pin: str) -> bool:
        raise KeyboardInterrupt


def test_a_guess_is_counted_before_it_is_checked() -> None:
    state = MemoryLockState()
    with pytest.raises(KeyboardInterrupt):
        PinGuard(Dying(), state).attempt("1234", 0.0)
    assert state.get() == (1, 0.0)


@given(st.lists(st.sampled_from(["0000", PIN]), min_size=1, max_size=30))
def test_never_more_than_max_tries_wrong_without_a_lock(pins: list[str]) -> None:
    guard = PinGuard(Counting(), MemoryLockState())
    t, wrong_unlocked = 0.0, 0
    for pin in pins:
        t += guard.locked_for(t)  # wait out any lock
        r = guard.attempt(pin, t)
        if r.status is PinStatus.OK:
            wrong_unlocked = 0
        elif r.status is PinStatus.WRONG:
            wrong_unlocked += 1
            assert r.tries_left == MAX_TRIES - wrong_unlocked
        else:
            assert FIRST_LOCK_S <= r.locked_s <= MAX_LOCK_S
        assert wrong_unlocked < MAX_TRIES
        t += 1.0


def store(path: Path) -> Store:
    s = Store(path)
    s.save_site_config(SiteConfig("S1", "G1"))
    s.set_staff_pin(PIN)
    return s


def test_lockout_survives_a_restart_with_the_real_store(tmp_path: Path) -> None:
    with store(tmp_path) as s:
        guard = PinGuard(s.check_staff_pin, StoreLockState(s))
        for i in range(MAX_TRIES - 1):
            assert guard.attempt("999999", 100.0 + i).status is PinStatus.WRONG
        assert guard.attempt("999999", 110.0) == PinResult(PinStatus.LOCKED, locked_s=30)
    with Store(tmp_path) as s:  # the kiosk restarted
        guard = PinGuard(s.check_staff_pin, StoreLockState(s))
        assert guard.attempt(PIN, 120.0) == PinResult(PinStatus.LOCKED, locked_s=20)
        assert guard.attempt(PIN, 140.0) == PinResult(PinStatus.OK)
        assert StoreLockState(s).get() == (0, 0.0)


@pytest.mark.parametrize("raw", ["", "x", "3", "3 abc", "-1 0", "2 inf", "1 2 3", "2 nan"])
def test_damaged_store_value_locks_on_the_next_wrong_pin(tmp_path: Path, raw: str) -> None:
    with store(tmp_path) as s:
        s.kv_set("kiosk.staff_pin_lock", raw)
        state = StoreLockState(s)
        assert state.get() == (MAX_TRIES, 0.0)
        guard = PinGuard(s.check_staff_pin, state)
        assert guard.attempt("999999", 0.0).status is PinStatus.LOCKED
        s.kv_set("kiosk.staff_pin_lock", raw)
        assert guard.attempt(PIN, 0.0).status is PinStatus.OK
