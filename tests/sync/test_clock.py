"""Clock sanity: a system clock more than 5 minutes behind the trusted floor is not used."""

from __future__ import annotations

from pathlib import Path

from sync._clock import ROLLBACK_TOLERANCE_S, TrustedClock, assess_clock
from sync._store import Store

T = 1_790_000_000


def test_rule() -> None:
    assert assess_clock(T + 0.9, None).now == T  # nothing trusted yet: system time
    ok = assess_clock(T - ROLLBACK_TOLERANCE_S, T)  # exactly 5 min behind: tolerated
    assert (ok.now, ok.rolled_back, ok.behind_s) == (T - 300, False, 300)
    bad = assess_clock(T - ROLLBACK_TOLERANCE_S - 1, T)
    assert (bad.now, bad.rolled_back, bad.behind_s) == (T, True, 301)
    ahead = assess_clock(T + 3600, T)
    assert (ahead.now, ahead.rolled_back, ahead.behind_s) == (T + 3600, False, 0)


def test_floor_survives_restart_and_only_rises(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        c = TrustedClock(s)
        assert c.trusted_floor() is None
        c.observe_trusted(T)  # e.g. a signed timestamp from the last sync
        c.observe_trusted(T - 1000)  # older evidence never lowers it
        assert c.trusted_floor() == T
        assert c.note_run(T + 60).now == T + 60  # a sane run raises the floor
    with Store(tmp_path) as s:
        c = TrustedClock(s)
        assert c.trusted_floor() == T + 60
        r = c.note_run(T - 86400)  # someone set the date back a day
        assert r.rolled_back and r.now == T + 60
        assert c.trusted_floor() == T + 60  # a rolled-back reading is not remembered
        assert not c.reading(T + 61).rolled_back
