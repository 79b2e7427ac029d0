"""SyncScheduler: runs pull + push in a background thread, with backoff and jitter; staff can
ask for a sync now.

- After a round where everything succeeded, the next one comes after ``interval_s``.
- After a failure, after an exponential backoff with jitter (:func:`backoff_delay`), so a
  province of kiosks coming back online after an outage does not hit the service in lockstep.
- :meth:`SyncScheduler.sync_now` wakes the thread at once (the staff "sync now" button).
- Status goes to ``on_status`` after every round — *from the sync thread*; a GUI must hand it to
  its own thread (in Qt: emit a signal).
- :meth:`SyncScheduler.stop` ends the thread and joins it with a time bound.

Pull and push are callables (the pull side provides its own; push is typically
``lambda: push_pending(store, url, key, health=scheduler.health_report())``). ``health`` is the
kiosk app's own account of itself (reader, camera, version); :meth:`SyncScheduler.health_report`
completes it with what the scheduler knows (the last error, the data age). Push runs even when
pull failed: entry records do not depend on the lists. Time and randomness are injectable for tests.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from codes import DeviceError
from codes.wire import (
    MAX_ERROR_TEXT,
    HealthError,
    KioskHealth,
    looks_like_id_number,
    validate_health,
)

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 300.0
DEFAULT_BACKOFF_BASE_S = 5.0
DEFAULT_BACKOFF_MAX_S = 900.0


def shown_error(text: str) -> str:
    """An error line fit for a health report: printable, short, no digit run that could be an
    ID number (the service refuses reports that carry one)."""
    clean = "".join(c if c.isprintable() else " " for c in text)
    clean = re.sub(r"\d{6,}", "#", clean)
    if looks_like_id_number(clean):  # spaced or dashed digits: drop every digit
        clean = re.sub(r"\d", "#", clean)
    return clean[:MAX_ERROR_TEXT] or "error"


def backoff_delay(failures: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Delay after ``failures`` consecutive failures (>= 1): "equal jitter" — half of the
    exponential step is fixed (so retries do slow down), half is random (so kiosks spread)."""
    step = min(max_s, base_s * 2.0 ** min(failures - 1, 30))
    return step / 2 + rng.uniform(0, step / 2)


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the kiosk shows staff about sync. Times are epoch seconds."""

    running: bool = False
    rounds: int = 0
    last_attempt_at: float | None = None
    last_success_at: float | None = None  # last round where pull and push both succeeded
    last_pull_success_at: float | None = None
    last_push_success_at: float | None = None
    last_error: str | None = None  # None once a round succeeds
    consecutive_failures: int = 0
    next_attempt_in_s: float = 0.0
    data_age_s: float | None = None  # age of the verified lists (None: never pulled)


class SyncScheduler:
    """Background pull + push. ``start()`` once, ``stop()`` once."""

    def __init__(
        self,
        *,
        pull: Callable[[], object] | None,
        push: Callable[[], object] | None,
        interval_s: float = DEFAULT_INTERVAL_S,
        backoff_base_s: float = DEFAULT_BACKOFF_BASE_S,
        backoff_max_s: float = DEFAULT_BACKOFF_MAX_S,
        on_status: Callable[[SyncStatus], None] | None = None,
        data_age: Callable[[], float | None] | None = None,
        wall: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        health: Callable[[], KioskHealth] | None = None,
    ) -> None:
        if interval_s <= 0 or backoff_base_s <= 0 or backoff_max_s < backoff_base_s:
            raise DeviceError(
                f"expected interval_s > 0 and 0 < backoff_base_s <= backoff_max_s, got "
                f"{interval_s}, {backoff_base_s}, {backoff_max_s}"
            )
        self._pull = pull
        self._push = push
        self._interval_s = interval_s
        self._base_s = backoff_base_s
        self._max_s = backoff_max_s
        self._on_status = on_status
        self._data_age = data_age
        self._health = health
        self._wall = wall
        self._rng = rng or random.Random()
        self._status = SyncStatus()
        self._lock = threading.Lock()  # guards _status
        self._round_lock = threading.Lock()  # one round at a time
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def health_report(self) -> KioskHealth | None:
        """The app's health report with the last sync error and the data age filled in (None
        without a ``health`` source, or when it fails or gives a report that is not sendable:
        the records go up regardless). Called from the push step, in the sync thread."""
        if self._health is None:
            return None
        try:
            report = self._health()
        except Exception:  # a broken health source must never hold back the records
            log.exception("kiosk health report failed; pushing without one")
            return None
        s = self.status()
        error = report.last_error or s.last_error
        if error is not None:
            error = shown_error(error)
        age: float | None = report.data_age_s
        if age is None:
            # The data age source when there is one: the pull of this round has just run.
            age = self._data_age() if self._data_age is not None else s.data_age_s
        try:
            return validate_health(replace(report, last_error=error,
                                           data_age_s=None if age is None else max(0, int(age))))
        except HealthError as e:
            log.error("kiosk health report not sendable (%s); pushing without one", e)
            return None

    def _set(self, status: SyncStatus) -> None:
        with self._lock:
            self._status = status
        if self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:  # a broken status display must not stop the syncing
                log.exception("sync status callback failed")

    def run_once(self) -> SyncStatus:
        """One round: pull, then push; update and report the status; return it."""
        with self._round_lock:
            now = self._wall()
            self._set(replace(self.status(), running=True, last_attempt_at=now))
            errors: list[str] = []
            pull_ok = push_ok = False
            for name, step in (("pull", self._pull), ("push", self._push)):
                if step is None:
                    continue
                try:
                    step()
                except Exception as e:  # the thread must outlive any failure; it is reported
                    errors.append(f"{name}: {type(e).__name__}: {e}")
                else:
                    if name == "pull":
                        pull_ok = True
                    else:
                        push_ok = True
            done = self._wall()
            s = self.status()
            pull_at = done if pull_ok else s.last_pull_success_at
            push_at = done if push_ok else s.last_push_success_at
            if self._data_age is not None:
                try:
                    age = self._data_age()
                except Exception as e:  # reported with the round, like a failed step
                    age = None
                    errors.append(f"data age: {type(e).__name__}: {e}")
            else:
                age = None if pull_at is None else max(0.0, done - pull_at)
            if errors:
                failures = s.consecutive_failures + 1
                delay = backoff_delay(failures, self._base_s, self._max_s, self._rng)
                success_at = s.last_success_at
            else:
                failures, delay, success_at = 0, self._interval_s, done
            status = SyncStatus(
                running=False,
                rounds=s.rounds + 1,
                last_attempt_at=now,
                last_success_at=success_at,
                last_pull_success_at=pull_at,
                last_push_success_at=push_at,
                last_error="; ".join(errors) if errors else None,
                consecutive_failures=failures,
                next_attempt_in_s=delay,
                data_age_s=age,
            )
            self._set(status)
            return status

    def _loop(self) -> None:
        delay = 0.0  # first round right away
        while not self._stopping.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stopping.is_set():
                break
            delay = self.run_once().next_attempt_in_s

    def start(self) -> None:
        if self._thread is not None:
            raise DeviceError("SyncScheduler: expected one start(), got a second")
        self._thread = threading.Thread(target=self._loop, name="passkiosk-sync", daemon=True)
        self._thread.start()

    def sync_now(self) -> None:
        """Run a round as soon as the current one (if any) ends."""
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop the thread; True when it ended within timeout_s (a round stuck in I/O may
        outlast it — it is a daemon thread and dies with the process)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()
