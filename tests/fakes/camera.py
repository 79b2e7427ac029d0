"""Camera fakes: a scripted FrameSource (for the scanner's own tests of failure paths a real
camera cannot be told to produce) and a FakeCodeScanner the kiosk layer drives by hand.

FakeFrameSource satisfies readers.FrameSource. Each ``read()`` advances an optional FakeClock by
one frame period, so time-based behaviour (stall detection, de-duplication) is exact whatever
the machine's load.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from readers import (
    CameraError,
    CameraScanner,
    CodeScanned,
    EventSink,
    Health,
    ReaderError,
    ReaderStatus,
)
from tests.readers.degrade import render_qr

Frame = npt.NDArray[np.uint8]


def blank_frame(width: int = 640, height: int = 480, level: int = 120) -> Frame:
    """A BGR frame with nothing to read."""
    return np.full((height, width, 3), level, np.uint8)


def code_frame(
    text: str, width: int = 640, height: int = 480, module_px: int = 3, invert: bool = False
) -> Frame:
    """A clean BGR frame with text as a QR code (EC Q) in the middle, on a grey ground."""
    qr = render_qr(text, "Q", module_px)
    if invert:
        qr = 255 - qr
    frame = np.full((height, width), 120, np.uint8)
    side = qr.shape[0]
    if side > min(width, height):
        raise ReaderError(f"code_frame: a {side} px code does not fit {width}x{height}")
    y, x = (height - side) // 2, (width - side) // 2
    frame[y : y + side, x : x + side] = qr
    return np.repeat(frame[:, :, None], 3, axis=2)


@dataclass
class FakeClock:
    """A monotonic clock that moves only when told to (thread-safe)."""

    now: float = 1000.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class Hang:
    """A script step: read() blocks until ``release`` is set (a driver that hangs)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


Step = Frame | None | Exception | Hang

_END = object()


class FakeFrameSource:
    """Serves a script of steps: a frame, None (no frame this time), an exception to raise, or
    a Hang. When the script is exhausted read() returns None (the camera stopped giving frames).

    open_failures: how many open() calls fail with CameraError before one succeeds.
    clock/period: the FakeClock advanced by ``period`` seconds on every read.
    """

    def __init__(
        self,
        script: Iterable[Step],
        *,
        open_failures: int = 0,
        clock: FakeClock | None = None,
        period: float = 1 / 30,
        name: str = "fake-camera",
    ) -> None:
        self._script: Iterator[Step] = iter(script)
        self._open_failures = open_failures
        self._clock = clock
        self._period = period
        self._name = name
        self.is_open = False
        self.opens = 0
        self.open_attempts = 0
        self.reads = 0
        self.exhausted = threading.Event()
        self._follow: CameraScanner | None = None

    def lockstep(self, scanner: CameraScanner) -> None:
        """Give the next frame only once scanner's worker has finished the previous one, so
        every frame is decoded (a real camera does not wait; this makes sequences exact)."""
        self._follow = scanner

    @property
    def name(self) -> str:
        return self._name

    def open(self) -> None:
        self.open_attempts += 1
        if self._open_failures > 0:
            self._open_failures -= 1
            raise CameraError(f"fake camera: expected a device at {self._name}, got none")
        self.is_open = True
        self.opens += 1

    def read(self) -> Frame | None:
        if not self.is_open:
            raise ReaderError("fake camera: expected open() before read()")
        if self._follow is not None:
            self._wait_worker(self._follow)
        self.reads += 1
        if self._clock is not None:
            self._clock.advance(self._period)
        step = next(self._script, _END)
        if step is _END:
            self.exhausted.set()
            return None
        if isinstance(step, Hang):
            step.entered.set()
            step.release.wait(10.0)
            return None
        if isinstance(step, Exception):
            raise step
        assert step is None or isinstance(step, np.ndarray)
        return step

    def close(self) -> None:
        self.is_open = False

    @staticmethod
    def _wait_worker(scanner: CameraScanner, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = scanner.stats
            if st.decoded + st.dropped >= st.captured:
                return
            time.sleep(0.001)  # polling the worker's counters; bounded by timeout
        raise CameraError(f"fake camera: the decode worker did not finish a frame in {timeout} s")


class FakeCodeScanner:
    """A code scanner the tests drive by hand: same source/start/stop shape and events as
    readers.CameraScanner, delivered synchronously on the calling thread."""

    def __init__(self, sink: EventSink, source: str = "camera:fake") -> None:
        self._sink = sink
        self._source = source
        self.running = False
        self._now = 0.0

    @property
    def source(self) -> str:
        return self._source

    def start(self) -> None:
        if self.running:
            raise ReaderError("fake scanner: expected a stopped scanner, it is already running")
        self.running = True
        self.status(Health.OK, "fake camera delivering 1280x720")

    def stop(self, timeout: float = 5.0) -> None:
        del timeout
        self.running = False

    def scan(self, text: str, at: float | None = None) -> None:
        """A code was read from the camera."""
        if not self.running:
            raise ReaderError("fake scanner: expected a started scanner, it is stopped")
        self._now = self._now + 1.0 if at is None else at
        self._sink(CodeScanned(text=text, source=self._source, at=self._now))

    def status(self, health: Health, detail: str) -> None:
        self._sink(ReaderStatus(health=health, detail=detail, source=self._source))
