"""The staff PIN check: how long one try takes, and whether the screen stalls while it runs.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_kiosk_pin.py [--tries 30]
        [--out docs/performance/kiosk-pin.md]

1. ``PinGuard.attempt`` on a real ``sync.Store`` in a temporary folder (scrypt N=2^14 r=8 and
   the two kv writes that count the try and settle it, SQLite ``synchronous=FULL``), for a wrong
   and a right PIN.
2. The longest gap between ticks of a 5 ms QTimer on the GUI thread while a PIN is checked:
   inline on the GUI thread, then through ``PinChecker`` (worker thread).

Results go to ``--out`` (then run ``bench/merge_performance.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QTimer

from kiosk._pin import MemoryLockState, PinGuard, StoreLockState
from kiosk._pin_view import PinChecker
from sync import SiteConfig, Store

ROOT = Path(__file__).resolve().parent.parent
PIN = "246810"
TICK_MS = 5


def ms(values: list[float]) -> str:
    q = statistics.quantiles(values, n=20, method="inclusive")
    return (f"p50 {statistics.median(values) * 1e3:.1f} ms, p95 {q[18] * 1e3:.1f} ms, "
            f"max {max(values) * 1e3:.1f} ms")


def attempts(store: Store, pin: str, tries: int) -> list[float]:
    state = StoreLockState(store)
    guard = PinGuard(store.check_staff_pin, state)
    out = []
    for _ in range(tries):
        state.set(0, 0.0)  # keep wrong tries below the lockout
        t = time.perf_counter()
        guard.attempt(pin, time.time())
        out.append(time.perf_counter() - t)
    return out


def longest_stall(
    app: QCoreApplication, run: Callable[[], None], done: Callable[[], bool]
) -> float:
    """Longest gap between TICK_MS timer ticks from ``run()`` until ``done()``, in seconds."""
    gaps: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(TICK_MS)

    def tick() -> None:
        gaps.append(clock.nsecsElapsed() / 1e9)
        clock.restart()

    timer.timeout.connect(tick)
    clock.start()
    timer.start()
    deadline = time.monotonic() + 0.05
    while time.monotonic() < deadline:  # settle the timer first
        app.processEvents()
    gaps.clear()
    clock.restart()
    QTimer.singleShot(0, run)
    deadline = time.monotonic() + 10
    while (not done() or not gaps) and time.monotonic() < deadline:
        app.processEvents()
    app.processEvents()
    timer.stop()
    return max(gaps) if gaps else float("nan")


def stalls_for_one_pin(app: QCoreApplication, guard: PinGuard) -> tuple[float, float]:
    """The longest stall while one PIN is checked inline, then through ``PinChecker``."""
    inline_results: list[object] = []

    def check_inline() -> None:
        inline_results.append(guard.attempt(PIN, time.time()))

    inline = longest_stall(app, check_inline, lambda: bool(inline_results))
    checker = PinChecker(guard)
    results: list[object] = []
    checker.finished.connect(results.append)

    def check_threaded() -> None:
        checker.submit(PIN)

    threaded = longest_stall(app, check_threaded, lambda: bool(results))
    checker.wait()
    return inline, threaded


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tries", type=int, default=30)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "performance" / "kiosk-pin.md")
    args = ap.parse_args()
    app = QCoreApplication.instance() or QCoreApplication([])
    with tempfile.TemporaryDirectory() as tmp, Store(tmp) as store:
        store.save_site_config(SiteConfig("S1", "G1"))
        store.set_staff_pin(PIN)
        wrong = attempts(store, "111111", args.tries)
        right = attempts(store, PIN, args.tries)

        guard = PinGuard(store.check_staff_pin, MemoryLockState())
        stalls = [stalls_for_one_pin(app, guard) for _ in range(10)]
    inline = [a for a, _ in stalls]
    threaded = [b for _, b in stalls]
    lines = [
        "## Staff PIN check (bench/bench_kiosk_pin.py)\n",
        f"{platform.node()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores shared (load {os.getloadavg()[0]:.1f}), "
        f"Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        "`QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_kiosk_pin.py "
        f"--tries {args.tries}`\n",
        "| measure | result |",
        "|---|---|",
        f"| `PinGuard.attempt`, wrong PIN, real store ({args.tries} tries) | {ms(wrong)} |",
        f"| `PinGuard.attempt`, right PIN, real store ({args.tries} tries) | {ms(right)} |",
        f"| longest GUI-thread stall, check inline (10 runs) | {ms(inline)} |",
        f"| longest GUI-thread stall, check in `PinChecker` (10 runs) | {ms(threaded)} |",
        "",
        f"The stall is the longest gap between ticks of a {TICK_MS} ms timer while one PIN is "
        "checked. scrypt releases the GIL while it hashes, so the worker thread leaves the "
        "screen responsive; the kiosk uses `PinChecker`.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
