"""The kiosk's background sync: a ``SyncScheduler`` driving pull and push, both on the kiosk's
trusted clock (``TrustedClock``: never a rolled-back system clock).

The kiosk app calls :func:`background_sync` when its site config names a service URL, then
``start()``, ``sync_now()`` (staff button) and ``stop()`` on the returned scheduler.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from codes.wire import KioskHealth
from sync._clock import TrustedClock
from sync._devicekey import load_or_create_device_key
from sync._pull import KioskLists, PullResult, pull
from sync._push import PushResult, push_pending
from sync._scheduler import SyncScheduler, SyncStatus
from sync._store import Store


def background_sync(data_dir: Path, store: Store, service_url: str, *,
                    on_status: Callable[[SyncStatus], None] | None = None,
                    interval_s: float = 300.0, timeout: int = 10,
                    health: Callable[[], KioskHealth] | None = None) -> SyncScheduler:
    """A scheduler (not started) that pulls lists and pushes records for this kiosk folder.

    ``health`` (the kiosk app's report of itself) goes up with every push, completed by the
    scheduler (last error, data age) and the push (queue depth).
    """
    clock = TrustedClock(store)
    key = load_or_create_device_key(data_dir)
    lists = KioskLists(data_dir)

    def now() -> int:
        return clock.reading(time.time()).now

    def do_pull() -> PullResult:
        result = pull(data_dir, service_url, now=now(), timeout=timeout)
        clock.note_run(time.time())  # a good sync with a sane clock raises the trusted floor
        return result

    def do_push() -> PushResult:
        return push_pending(store, service_url, key, clock=now, timeout_s=float(timeout),
                            health=scheduler.health_report())

    def data_age() -> float | None:
        age = lists.state().age(now())
        return None if age is None else float(age)

    scheduler = SyncScheduler(pull=do_pull, push=do_push, data_age=data_age,
                              on_status=on_status, interval_s=interval_s, health=health)
    return scheduler


__all__ = ["background_sync"]
