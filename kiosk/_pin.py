"""The staff PIN guard, without a screen: wrong tries, lockout with a growing delay, persisted.

Pure Python (no Qt), time is a parameter. The PIN itself is checked by a callable (the kiosk
passes ``sync.Store.check_staff_pin``, a scrypt hash taking ~30 ms); this module decides whether
to ask it at all. After :data:`MAX_TRIES` wrong PINs the panel locks for 30 s, and every further
wrong PIN locks it again for twice as long (60 s, 120 s … at most 15 min) until a right PIN
resets the count. The count is written before the hash is checked, so pulling the power in the
middle of a guess still counts it, and a restart keeps the lockout.

Source strings are English and marked for Qt's lupdate (context ``Staff``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kiosk._marks import QT_TRANSLATE_NOOP

CONTEXT = "Staff"
MAX_TRIES = 5
FIRST_LOCK_S = 30.0
MAX_LOCK_S = 15 * 60.0
# Longer than any PIN the setup accepts (sync.Store.set_staff_pin: 4..64): not worth hashing.
MAX_PIN_LENGTH = 64
KV_KEY = "kiosk.staff_pin_lock"




class PinStatus(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class PinResult:
    """``OK``; ``WRONG`` with the tries left before a lockout; ``LOCKED`` with the seconds
    until the next try (whole seconds, rounded up, for the screen)."""

    status: PinStatus
    tries_left: int = 0
    locked_s: int = 0


class PinLockState(Protocol):
    """Where the guard keeps (wrong tries since the last right PIN, locked until epoch s)."""

    def get(self) -> tuple[int, float]: ...

    def set(self, failures: int, locked_until: float) -> None: ...


class MemoryLockState:
    """A lock state that lasts as long as the process (a kiosk without a store)."""

    def __init__(self) -> None:
        self._value: tuple[int, float] = (0, 0.0)

    def get(self) -> tuple[int, float]:
        return self._value

    def set(self, failures: int, locked_until: float) -> None:
        self._value = (failures, locked_until)


class KvStore(Protocol):
    """The part of ``sync.Store`` the lock state needs."""

    def kv_get(self, key: str) -> str | None: ...

    def kv_set(self, key: str, value: str) -> None: ...


class StoreLockState:
    """The lock state in the kiosk store's kv table (``<failures> <locked_until>``), so a
    restart does not reset the lockout.

    A value that does not parse counts as :data:`MAX_TRIES` failures with no lock running: the
    next wrong PIN locks at once, and a right PIN still works (staff are never shut out for
    good by a damaged row)."""

    def __init__(self, store: KvStore, key: str = KV_KEY) -> None:
        self._store = store
        self._key = key

    def get(self) -> tuple[int, float]:
        raw = self._store.kv_get(self._key)
        if raw is None:
            return (0, 0.0)
        parts = raw.split()
        try:
            failures, until = int(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            return (MAX_TRIES, 0.0)
        if len(parts) != 2 or failures < 0 or not math.isfinite(until):
            return (MAX_TRIES, 0.0)
        return (failures, until)

    def set(self, failures: int, locked_until: float) -> None:
        self._store.kv_set(self._key, f"{failures} {locked_until!r}")


def lock_seconds(failures: int) -> float:
    """How long the panel locks after the ``failures``-th wrong PIN in a row (0 before the
    :data:`MAX_TRIES`-th)."""
    if failures < MAX_TRIES:
        return 0.0
    doublings = min(failures - MAX_TRIES, 16)  # 30 s * 2**5 already exceeds the cap
    return min(FIRST_LOCK_S * 2.0**doublings, MAX_LOCK_S)


class PinGuard:
    """Asks ``check`` only when the panel is not locked, and keeps count in ``state``."""

    def __init__(self, check: Callable[[str], bool], state: PinLockState) -> None:
        self._check = check
        self._state = state

    def locked_for(self, now: float) -> int:
        """Whole seconds until a PIN may be tried (0 when it may be now)."""
        _, until = self._state.get()
        # A clock set back must not stretch a lockout beyond the longest one.
        return math.ceil(min(max(0.0, until - now), MAX_LOCK_S))

    def attempt(self, pin: str, now: float) -> PinResult:
        """Try ``pin`` at ``now`` (epoch seconds)."""
        locked = self.locked_for(now)
        if locked > 0:
            return PinResult(PinStatus.LOCKED, locked_s=locked)
        failures, _ = self._state.get()
        failures += 1
        delay = lock_seconds(failures)
        self._state.set(failures, now + delay if delay else 0.0)
        if 0 < len(pin) <= MAX_PIN_LENGTH and self._check(pin):
            self._state.set(0, 0.0)
            return PinResult(PinStatus.OK)
        if delay:
            return PinResult(PinStatus.LOCKED, locked_s=math.ceil(delay))
        return PinResult(PinStatus.WRONG, tries_left=MAX_TRIES - failures)


ENTER_PIN = QT_TRANSLATE_NOOP("Staff", "Staff: enter the PIN")
CHECKING = QT_TRANSLATE_NOOP("Staff", "Checking…")
WRONG_PIN = QT_TRANSLATE_NOOP("Staff", "Wrong PIN. Tries left before a lockout: %1")
LOCKED_OUT = QT_TRANSLATE_NOOP("Staff", "Too many wrong PINs. Try again in %1 seconds")
