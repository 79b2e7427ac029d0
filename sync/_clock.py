"""Clock sanity: never trust a system clock that went backwards.

The kiosk keeps the latest *trustworthy* time it has seen: times inside signed metadata from the
pull side, and the system time of earlier runs that looked sane. If the system clock is more
than 5 minutes behind that floor (a dead RTC battery, someone setting the date back to make an
expired code pass), the kiosk uses the floor instead and raises a "clock rolled back" status.

:func:`assess_clock` is the pure rule; :class:`TrustedClock` keeps the floor in the store
(kv key ``clock.trusted_floor``) so it survives restarts.

A clock that jumps *forward* is not caught here: a run at a bogus future time would raise the
floor. That is why only a deliberate :meth:`TrustedClock.note_run` (the kiosk calls it at start
and after each successful sync) raises the floor from the system clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._store import Store, kv_get_in, kv_set_in

ROLLBACK_TOLERANCE_S = 300
_KEY = "clock.trusted_floor"


@dataclass(frozen=True, slots=True)
class ClockReading:
    """``now`` is the time to use (epoch seconds). ``rolled_back`` when the system clock was
    more than the tolerance behind the trusted floor (then ``now`` is the floor)."""

    now: int
    system_now: int
    trusted_floor: int | None
    rolled_back: bool

    @property
    def behind_s(self) -> int:
        """How far the system clock is behind the floor (0 when it is not)."""
        if self.trusted_floor is None:
            return 0
        return max(0, self.trusted_floor - self.system_now)


def assess_clock(
    system_now: float, trusted_floor: int | None, tolerance_s: int = ROLLBACK_TOLERANCE_S
) -> ClockReading:
    """The pure rule: use the system time unless it is more than tolerance behind the floor."""
    sys_now = int(system_now)
    if trusted_floor is not None and sys_now < trusted_floor - tolerance_s:
        return ClockReading(trusted_floor, sys_now, trusted_floor, True)
    return ClockReading(sys_now, sys_now, trusted_floor, False)


class TrustedClock:
    """The floor, kept in the kiosk store. Thread-safe (the store is)."""

    def __init__(self, store: Store, tolerance_s: int = ROLLBACK_TOLERANCE_S) -> None:
        self._store = store
        self._tolerance_s = tolerance_s

    def trusted_floor(self) -> int | None:
        value = self._store.kv_get(_KEY)
        return None if value is None else int(value)

    def observe_trusted(self, t: int) -> None:
        """Raise the floor to t if higher (a time from signed metadata)."""
        with self._store.transaction() as tx:
            old = kv_get_in(tx, _KEY)
            if old is None or int(old) < t:
                kv_set_in(tx, _KEY, str(int(t)))

    def reading(self, system_now: float) -> ClockReading:
        """The time to use now, and whether the clock was rolled back. Does not write."""
        return assess_clock(system_now, self.trusted_floor(), self._tolerance_s)

    def note_run(self, system_now: float) -> ClockReading:
        """Like :meth:`reading`, and when the system clock looks sane, remember it as a floor."""
        r = self.reading(system_now)
        if not r.rolled_back:
            self.observe_trusted(r.system_now)
        return r
