"""Simulated kiosks for the load test, each one a real kiosk store and device key.

A kiosk here is what a gate runs, minus the screen and readers: a ``sync.Store`` (SQLite, in its
own folder) that its gate writes entry records into, a ``sync.DeviceKey``, and the upload
through ``sync.push_pending`` — the same at-least-once push the kiosk uses (a batch is marked
uploaded only after the service answered 200). A failed push is retried after
``sync.backoff_delay``, the kiosk scheduler's own backoff with jitter. Every kiosk also polls
``metadata/timestamp.json`` (what an idle TUF refresh costs the service).

Time can be compressed: ``speed`` 2 means a kiosk's minute lasts 30 s of wall time (uploads,
polls, backoff delays all scale; the records per simulated minute do not). Everything is
bounded: the run ends after ``seconds``, then a drain of at most ``drain_s`` lets every kiosk
push what it still has queued, exactly as a kiosk would at its next rounds.
"""

from __future__ import annotations

import heapq
import http.client
import random
import shutil
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from codes.wire import EntryRecord
from sync import DeviceKey, PushError, Store, backoff_delay, push_pending

UPLOAD_EVERY_S = 60.0  # a kiosk uploads its new records once a minute
POLL_EVERY_S = 300.0  # and asks for a fresh timestamp.json every five minutes
BACKOFF_BASE_S = 5.0  # sync._scheduler's defaults
BACKOFF_MAX_S = 900.0
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def place_name(n: int) -> str:
    """A site code without digit runs (codes.wire refuses long digit runs in place codes)."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = _LETTERS[r] + out
        if n == 0:
            return "st-" + out


@dataclass
class Sample:
    """One push (or poll): wall-clock start and end (monotonic seconds) and whether it worked."""

    start: float
    end: float
    ok: bool


@dataclass
class SimKiosk:
    index: int
    key: DeviceKey
    folder: Path
    site: str
    failures: int = 0
    last_records_at: float = 0.0  # monotonic time the gate last wrote records up to
    queued: int = 0  # records written but not yet confirmed by the service
    sent_ids: list[str] = field(default_factory=list)


@dataclass
class FleetResult:
    kiosks: int
    seconds: float
    records_sent: int
    uploads_ok: int
    upload_errors: int
    polls_ok: int
    poll_errors: int
    pushes: list[Sample]
    polls: list[Sample]
    error_kinds: dict[str, int]  # failed pushes by HTTP status ("no answer": network)
    unsent: int  # records still queued after the drain (the service never confirmed them)
    sent_ids: dict[str, list[str]]  # kiosk key id → record ids its gate wrote


class Fleet:
    """``kiosks`` simulated kiosks against ``url`` (the nginx front), run with ``run``."""

    def __init__(self, root: Path, keys: Sequence[DeviceKey], url: str, *, speed: float = 1.0,
                 records_per_minute: float = 6.0, threads: int = 32, seed: int = 1,
                 timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.speed = speed
        self.rate = records_per_minute
        self.timeout_s = timeout_s
        self.rng = random.Random(seed)
        self.kiosks = [SimKiosk(i, k, root / f"k{i:05d}", place_name(i))
                       for i, k in enumerate(keys)]
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kiosk")
        self._heap: list[tuple[float, int, int, str]] = []
        self._seq = 0
        self._lock = threading.Lock()
        self._pushes: list[Sample] = []
        self._polls: list[Sample] = []
        self._draining = False
        self._outstanding = 0
        self._error_kinds: dict[str, int] = {}

    # -- scheduling -----------------------------------------------------------------------

    def _at(self, due: float, kiosk: int, what: str) -> None:
        with self._lock:
            self._seq += 1
            heapq.heappush(self._heap, (due, self._seq, kiosk, what))

    def _done(self) -> None:
        with self._lock:
            self._outstanding -= 1

    def _run_event(self, fn: Callable[[SimKiosk], None], kiosk: SimKiosk) -> None:
        try:
            fn(kiosk)
        finally:
            self._done()

    # -- kiosk actions ----------------------------------------------------------------------

    def _write_records(self, k: SimKiosk, store: Store, now_mono: float) -> None:
        """The gate's records since the last call (Poisson arrivals at ``rate`` per minute)."""
        if self._draining:
            return
        elapsed_min = (now_mono - k.last_records_at) * self.speed / 60.0
        k.last_records_at = now_mono
        n = _poisson(self.rng, self.rate * elapsed_min)
        at = int(time.time())
        for _ in range(n):
            rid = str(uuid.uuid4())
            store.add_record(EntryRecord(
                record_id=rid, at=at, site=k.site, gate="gate-a", outcome="pass", reason="ok",
                format="PK1", subject_hash=uuid.uuid4().hex, token_id=uuid.uuid4().hex))
            k.sent_ids.append(rid)
        k.queued += n

    def _upload(self, k: SimKiosk) -> None:
        store = Store(k.folder)
        try:
            self._write_records(k, store, time.monotonic())
            t0 = time.monotonic()
            try:
                result = push_pending(store, self.url, k.key, timeout_s=self.timeout_s,
                                      purge=False)
            except PushError as e:
                ok = False
                kind = str(e.status) if e.status is not None else "no answer"
                with self._lock:
                    self._error_kinds[kind] = self._error_kinds.get(kind, 0) + 1
            else:
                ok = True
                k.queued = result.pending
            t1 = time.monotonic()
        finally:
            store.close()
        with self._lock:
            self._pushes.append(Sample(t0, t1, ok))
        if ok:
            k.failures = 0
            if self._draining and k.queued == 0:
                return
            delay = UPLOAD_EVERY_S / self.speed
        else:
            k.failures += 1
            delay = backoff_delay(k.failures, BACKOFF_BASE_S / self.speed,
                                  BACKOFF_MAX_S / self.speed, self.rng)
        self._at(time.monotonic() + delay, k.index, "upload")

    def _poll(self, k: SimKiosk) -> None:
        u = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port,
                                          timeout=self.timeout_s)
        t0 = time.monotonic()
        try:
            conn.request("GET", u.path + "/metadata/timestamp.json",
                         headers={"User-Agent": "passkiosk"})
            resp = conn.getresponse()
            ok = resp.status == 200 and len(resp.read(8192)) > 0
        except (OSError, http.client.HTTPException):
            ok = False
        finally:
            conn.close()
        t1 = time.monotonic()
        with self._lock:
            self._polls.append(Sample(t0, t1, ok))
        if not self._draining:
            self._at(time.monotonic() + POLL_EVERY_S / self.speed, k.index, "poll")

    # -- the run ---------------------------------------------------------------------------

    def run(self, seconds: float, *, drain_s: float = 60.0,
            on_tick: Callable[[float], None] | None = None) -> FleetResult:
        """Run for ``seconds`` of wall time, then drain the queues (at most ``drain_s``).

        ``on_tick(elapsed)`` is called about every 0.1 s from this thread (fault injection).
        """
        start = time.monotonic()
        up_period = UPLOAD_EVERY_S / self.speed
        poll_period = POLL_EVERY_S / self.speed
        for k in self.kiosks:  # spread phases evenly, like kiosks switched on at random times
            k.last_records_at = start - self.rng.uniform(0, up_period)
            self._at(start + self.rng.uniform(0, up_period), k.index, "upload")
            self._at(start + self.rng.uniform(0, poll_period), k.index, "poll")
        end = start + seconds
        hard_end = end + drain_s
        next_tick = start
        while True:
            now = time.monotonic()
            if now >= end and not self._draining:
                self._draining = True
                with self._lock:
                    # Polls stop; a kiosk with records left pushes at once, one still backing
                    # off keeps its delay; a kiosk whose queue is empty is done.
                    self._heap = [
                        (now if k.failures == 0 else due, seq, idx, what)
                        for due, seq, idx, what in self._heap
                        if what == "upload" and ((k := self.kiosks[idx]).queued or k.failures)]
                    heapq.heapify(self._heap)
            if on_tick is not None and now >= next_tick:
                on_tick(now - start)
                next_tick = now + 0.1
            with self._lock:
                due = []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap))
                self._outstanding += len(due)
                idle = not self._heap and self._outstanding == 0
                wait = self._heap[0][0] - now if self._heap else 0.05
            for _, _, idx, what in due:
                k = self.kiosks[idx]
                if self._draining and what == "upload" and k.queued == 0 and \
                        k.failures == 0:
                    self._done()
                    continue
                fn = self._upload if what == "upload" else self._poll
                self._pool.submit(self._run_event, fn, k)
            if self._draining and idle:
                break
            if now >= hard_end:
                break
            time.sleep(max(0.0, min(wait, 0.05)))
        self._pool.shutdown(wait=True, cancel_futures=True)
        elapsed = min(time.monotonic(), hard_end) - start
        for k in self.kiosks:
            if k.queued:  # what its store really still holds (a failed push may have sent part)
                with Store(k.folder) as store:
                    k.queued = store.record_counts().pending
        pushes, polls = list(self._pushes), list(self._polls)
        return FleetResult(
            kiosks=len(self.kiosks), seconds=elapsed,
            records_sent=sum(len(k.sent_ids) for k in self.kiosks),
            uploads_ok=sum(s.ok for s in pushes), upload_errors=sum(not s.ok for s in pushes),
            polls_ok=sum(s.ok for s in polls), poll_errors=sum(not s.ok for s in polls),
            pushes=pushes, polls=polls, error_kinds=dict(self._error_kinds),
            unsent=sum(k.queued for k in self.kiosks),
            sent_ids={k.key.key_id: k.sent_ids for k in self.kiosks})

    def remove_stores(self) -> None:
        for k in self.kiosks:
            shutil.rmtree(k.folder, ignore_errors=True)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small (a few records per minute)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean ** 0.5)))
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
