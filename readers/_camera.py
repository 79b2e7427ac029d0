"""Camera QR scanning: a capture thread, a latest-frame slot, a decode worker, plain events.

Why two threads and one slot: a camera delivers 30 frames a second whether we read them or not;
if capture waited for decoding, the driver's own buffer would fill and every code would be seen
late. So the capture thread only reads and drops each frame into a one-frame slot (replacing an
unread one: frames are dropped, never queued) and the decode worker always takes the newest.

What reaches the sink (``EventSink``, called on the worker or capture thread; must be quick and
thread-safe, e.g. ``queue.Queue.put`` or a function emitting a Qt signal):

- ``CodeScanned(text, source, at)``: ``at`` is the monotonic time the frame was captured. A
  text that has the shape of a PK1/HC1 code (``is_well_formed_token``) is reported on its first
  sighting; any other text only once two frames within ``confirm_window`` agree, so a single
  misread (which the QR checksums make rare already) cannot reach the kiosk. The same text is
  reported again only after it has been out of sight for ``dedup_window`` seconds: a code held
  in front of the camera is one scan.
- Decoding (readers._qr.FrameDecoder) has a per-frame budget (``DecodeConfig.budget``); its
  preprocessing cascade gives way as soon as a newer frame waits. When a frame reads nothing,
  the mean of the last still frames (TemporalFuser) is tried with what is left of the budget;
  such fused reads count only for token-shaped texts, since a mean can show a code that was in
  one frame only.
- How much of that each frame gets is ``readers._scene.SceneWatch``'s call: everything while
  the scene changes and for a moment after, little while it holds still (an empty gate), so an
  idle camera costs a few per cent of a core instead of two thirds (``scene=None``: every frame
  in full).
- ``ReaderStatus``: OK when frames flow (at start and when the camera is back), LOST when the
  camera cannot be opened or stops giving frames for ``stall_timeout`` seconds. The capture
  thread then closes and reopens it with exponential backoff (``backoff`` .. ``max_backoff``).

Payload texts are never logged: a code carries a person's pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from readers._card_reader import EventSink
from readers._errors import ReaderError
from readers._events import CodeScanned, Health, ReaderEvent, ReaderStatus
from readers._qr import (
    DecodeConfig,
    FrameDecoder,
    TemporalFuser,
    is_well_formed_token,
    to_gray,
)
from readers._scene import SceneConfig, SceneWatch, Step

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]

# One shared default instance each: both configs are frozen.
_DEFAULT_DECODE = DecodeConfig()
_DEFAULT_SCENE = SceneConfig()
# Fusion is tried only with at least this much of the frame's budget left (a zxing first pass).
_MIN_FUSED = 0.004
_MJPG = cv2.VideoWriter.fourcc(*"MJPG")


class CameraError(ReaderError):
    """A camera or video source could not be opened or gave something that is not a frame."""


class FrameSource(Protocol):
    """A camera or a video file. Used by one thread at a time (the capture thread).

    ``open()`` raises CameraError when the device is absent; ``read()`` returns the next BGR or
    grayscale frame, or None when none came (end of a file, a camera that stopped), and may
    raise CameraError; ``close()`` never raises. A source may also have ``skip() -> bool``:
    take the next frame from the device without decoding it (False when none came); the scanner
    then passes over frames that way while the scene is still (``SceneConfig.thin``).
    """

    @property
    def name(self) -> str: ...

    def open(self) -> None: ...

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


class CvFrameSource:
    """``cv2.VideoCapture`` on a device index (a camera) or a path (a video file).

    realtime: pace reads to the file's frame rate (a file otherwise plays as fast as it decodes);
    cameras pace themselves. width/height/fps are requests to the device (it may choose others).

    A Motion-JPEG file is read as a camera's MJPG stream is: its packets are taken undecoded
    (FFmpeg's ``grab()`` otherwise decodes every frame, so ``skip()`` would save nothing) and
    each frame read is decoded straight to grey, the only picture the scanner uses.
    """

    def __init__(
        self,
        device: int | str,
        *,
        realtime: bool = False,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
    ) -> None:
        self._device = device
        self._realtime = realtime
        self._request = (width, height, fps)
        self._cap: cv2.VideoCapture | None = None
        self._raw = False
        self._period = 0.0
        self._next = 0.0

    @property
    def name(self) -> str:
        return f"camera:{self._device}" if isinstance(self._device, int) else str(self._device)

    def open(self) -> None:
        self.close()
        cap = cv2.VideoCapture(self._device)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"expected an openable camera or video at {self._device!r}, got none")
        width, height, fps = self._request
        if width is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height is not None:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps is not None:
            cap.set(cv2.CAP_PROP_FPS, fps)
        if isinstance(self._device, int):
            # Ask the driver to keep one buffered frame: older frames are stale at a gate.
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        file_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._period = 1.0 / file_fps if self._realtime and file_fps > 0 else 0.0
        self._next = time.monotonic()
        self._raw = (isinstance(self._device, str)
                     and int(cap.get(cv2.CAP_PROP_FOURCC)) == _MJPG
                     and bool(cap.set(cv2.CAP_PROP_FORMAT, -1)))
        self._cap = cap

    def read(self) -> Frame | None:
        cap = self._paced("read")
        ok, frame = cap.read()
        if not ok or frame is None:
            return None
        if self._raw:  # one JPEG picture, as the file holds it; a damaged one reads as none
            gray = cv2.imdecode(frame, cv2.IMREAD_GRAYSCALE)
            return None if gray is None else np.asarray(gray, dtype=np.uint8)
        return np.asarray(frame, dtype=np.uint8)

    def skip(self) -> bool:
        """Take the next frame without converting it: ``grab()`` dequeues it, and the costly
        part (a camera's MJPG decoding, a file's colour conversion) is ``retrieve()``'s."""
        return bool(self._paced("skip").grab())

    def _paced(self, what: str) -> cv2.VideoCapture:
        cap = self._cap
        if cap is None:
            raise CameraError(f"expected {self.name} to be open before {what}()")
        if self._period:
            delay = self._next - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # pacing a file like a camera; not a wait for an event
            self._next = max(self._next + self._period, time.monotonic() - self._period)
        return cap

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


@dataclass(frozen=True, slots=True)
class ScannerStats:
    """Counters since start(): frames read, taken by the decode worker (``decoded``), dropped
    (overwritten unread in the slot) and, of those taken, the ones a still scene gave the
    first pass only or skipped (readers._scene); ``thinned``: frames the source passed over
    undecoded while the scene was still (not in ``captured``)."""

    captured: int
    decoded: int
    dropped: int
    first_pass_only: int = 0
    skipped: int = 0
    thinned: int = 0


class CodeFilter:
    """Which sightings of a decoded text become a CodeScanned (used by the decode worker only).

    - De-duplication: a text is reported again only after it was out of sight for
      ``dedup_window`` seconds, so a code held in front of the camera is one scan, and a person
      who shows it again after a pause is a new scan.
    - Evidence: a text shaped like a PK1/HC1 code (``is_well_formed_token``) counts on its first
      sighting; any other text needs a second sighting within ``confirm_window`` seconds.
    Memory stays bounded: entries older than both windows are dropped at every sighting.
    """

    def __init__(self, dedup_window: float = 3.0, confirm_window: float = 1.0) -> None:
        self._dedup = dedup_window
        self._confirm = confirm_window
        self._last_seen: dict[str, float] = {}  # reported texts -> last sighting
        self._pending: dict[str, float] = {}  # unconfirmed texts -> first sighting

    def accept(self, text: str, at: float) -> bool:
        """Record a sighting at monotonic time ``at``; True when it should be reported."""
        self._prune(at)
        last = self._last_seen.get(text)
        if last is not None:
            self._last_seen[text] = at
            if at - last < self._dedup:
                return False  # still the same presentation of the same code
        if not is_well_formed_token(text):
            first = self._pending.get(text)
            if first is None or at - first > self._confirm:
                self._pending[text] = at
                self._last_seen.pop(text, None)
                return False
            del self._pending[text]
        self._last_seen[text] = at
        return True

    def reset(self) -> None:
        self._last_seen.clear()
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._last_seen) + len(self._pending)

    def _prune(self, now: float) -> None:
        horizon = max(self._dedup, self._confirm)
        for d in (self._last_seen, self._pending):
            for k in [k for k, t in d.items() if now - t > horizon]:
                del d[k]


class _LatestFrame:
    """A one-frame slot: put() replaces an unread frame (counted as dropped), take() waits."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._at = 0.0
        self.dropped = 0

    def put(self, frame: Frame, at: float) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame, self._at = frame, at
            self._cond.notify()

    def take(self, timeout: float) -> tuple[Frame, float] | None:
        with self._cond:
            if self._frame is None:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            if frame is None:
                return None
            return frame, self._at

    def waiting(self) -> bool:
        """True when an unread frame is in the slot (a plain read: a hint, not a promise)."""
        return self._frame is not None

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


class CameraScanner:
    """Scan QR codes from a FrameSource on two threads and report events to sink.

    The same small interface as the card readers (``source``, ``start()``, ``stop()``).
    config: the decoding budget per frame (it must have one) and the frame size cap. scene:
    when a still scene gets less decoding (None: every frame is decoded in full).
    """

    def __init__(
        self,
        frames: FrameSource,
        sink: EventSink,
        *,
        dedup_window: float = 3.0,
        confirm_window: float = 1.0,
        stall_timeout: float = 2.0,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
        config: DecodeConfig = _DEFAULT_DECODE,
        fuse: bool = True,
        scene: SceneConfig | None = _DEFAULT_SCENE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < backoff <= max_backoff:
            raise CameraError(f"expected 0 < backoff <= max_backoff, got {backoff}, {max_backoff}")
        if stall_timeout <= 0 or dedup_window < 0 or confirm_window <= 0:
            raise CameraError(
                f"expected stall_timeout > 0, confirm_window > 0, dedup_window >= 0, got "
                f"{stall_timeout}, {confirm_window}, {dedup_window}"
            )
        self._frames = frames
        self._sink = sink
        self._stall = stall_timeout
        self._backoff = (backoff, max_backoff)
        if config.budget is None:
            raise CameraError(
                "expected a per-frame decoding budget for a camera, got None (no limit)"
            )
        self._config = config
        self._budget = config.budget
        self._fuse = fuse
        self._scene = scene
        self._clock = clock
        self._slot = _LatestFrame()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._status_lock = threading.Lock()
        self._health: Health | None = None
        self._last_frame_at = 0.0
        self._captured = 0
        self._decoded = 0
        self._first_pass_only = 0
        self._skipped = 0
        self._thinned = 0
        # Frames per decoded frame, set by the decode worker: 1, or SceneConfig.thin while the
        # scene is still (a plain int read and written whole: a hint between the threads).
        self._thin = 1
        self._filter = CodeFilter(dedup_window, confirm_window)

    @property
    def source(self) -> str:
        return self._frames.name

    @property
    def stats(self) -> ScannerStats:
        return ScannerStats(self._captured, self._decoded, self._slot.dropped,
                            self._first_pass_only, self._skipped, self._thinned)

    def start(self) -> None:
        if any(t.is_alive() for t in self._threads):
            raise CameraError(f"expected {self.source} scanner to be stopped before start()")
        self._stop.clear()
        self._health = None
        self._thin = 1
        self._filter.reset()
        self._threads = [
            threading.Thread(target=self._capture_loop, name="camera-capture", daemon=True),
            threading.Thread(target=self._decode_loop, name="camera-decode", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._slot.wake()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            raise CameraError(f"expected the scanner threads to end within {timeout} s: {alive}")

    # -- capture thread -------------------------------------------------------------------

    def _capture_loop(self) -> None:
        delay = self._backoff[0]
        while not self._stop.is_set():
            try:
                self._frames.open()
            except CameraError as exc:
                self._set_health(Health.LOST, f"camera not available: {exc}")
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            except Exception as exc:  # a driver bug must not kill the thread
                self._set_health(Health.LOST, f"camera failed to open: {type(exc).__name__}")
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            try:
                if self._pump():
                    delay = self._backoff[0]  # frames flowed: the next outage starts afresh
            finally:
                self._frames.close()
            if not self._stop.is_set():
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])

    def _pump(self) -> bool:
        """Read frames until the source stops giving them; True if any frame came."""
        got_any = False
        last_ok = self._clock()
        skip: Callable[[], bool] | None = getattr(self._frames, "skip", None)
        count = 0
        while not self._stop.is_set():
            count += 1
            thin = self._thin
            passing = skip is not None and thin > 1 and count % thin != 0
            try:
                frame = None if passing else self._frames.read()
                passed = skip is not None and passing and bool(skip())
            except CameraError as exc:
                self._set_health(Health.LOST, f"camera read failed: {exc}")
                return got_any
            except Exception as exc:  # a driver bug must not kill the thread
                self._set_health(Health.LOST, f"camera read failed: {type(exc).__name__}")
                return got_any
            now = self._clock()
            if passed:
                got_any = True
                last_ok = self._last_frame_at = now
                self._thinned += 1
                continue
            if frame is None:
                if now - last_ok >= self._stall:
                    self._set_health(Health.LOST, f"no frames from camera for {self._stall:g} s")
                    return got_any
                # A camera that returns nothing does so after its own timeout; a file at its end
                # returns at once, so give way briefly instead of spinning.
                self._stop.wait(0.01)
                continue
            if frame.size == 0 or frame.shape[0] * frame.shape[1] > self._config.max_frame_pixels:
                self._set_health(
                    Health.LOST,
                    f"expected frames of 1 to {self._config.max_frame_pixels} pixels from the "
                    f"camera, got {frame.shape}",
                )
                return got_any
            got_any = True
            last_ok = now
            self._captured += 1
            self._last_frame_at = now
            self._set_health(Health.OK, f"camera delivering {frame.shape[1]}x{frame.shape[0]}")
            self._slot.put(frame, now)
        return got_any

    # -- decode worker ----------------------------------------------------------------------

    def _decode_loop(self) -> None:
        budget = self._budget
        decoder = FrameDecoder(self._config)
        fuser = TemporalFuser() if self._fuse else None
        watch = SceneWatch(self._scene) if self._scene is not None else None
        newer = self._slot.waiting
        while not self._stop.is_set():
            item = self._slot.take(timeout=min(0.2, self._stall))
            if item is None:
                self._check_stalled()
                continue
            frame, at = item
            try:
                gray = to_gray(frame)
                step = watch.step(gray, at) if watch is not None else Step.FULL
                if watch is not None and self._scene is not None:
                    self._thin = self._scene.thin if watch.still(at) else 1
                if step is Step.SKIP:
                    self._skipped += 1
                    self._decoded += 1
                    continue
                if step is Step.FIRST_PASS:
                    self._first_pass_only += 1
                # The cascade gives way as soon as a newer frame waits: at 30 fps the next
                # frame's 2-6 ms first pass is the quicker way to a scan.
                full = step is Step.FULL
                # A code held still that the first pass does not read: each frame's cascade goes
                # on where the previous frame's stopped (FrameDecoder's resume), so the frames of
                # a still scene share out every stage and blur size between them.
                same = watch is not None and watch.same_scene()
                result = decoder.decode(gray, interrupt=newer, cascade=full, resume=same)
                texts = result.texts
                if watch is not None and texts:
                    watch.changed(at)  # a code in view: keep giving it every frame
                    self._thin = 1
                # In a still scene fusion waits for the next full frame, like the cascade.
                if fuser is not None and full:
                    fuser.push(gray)
                left = budget - result.elapsed
                fused = None
                if full and not texts and fuser is not None and left > _MIN_FUSED \
                        and not newer():
                    fused = fuser.fused()
                if fused is not None:
                    # A fused picture mixes a few frames, so it may show a code that was in only
                    # one of them: such a read is no independent sighting and may not confirm a
                    # text that is not token-shaped. Its cascade goes on from the frame's own
                    # (the same scene, less sensor noise).
                    again = decoder.decode(fused, budget=left, interrupt=newer, resume=True)
                    texts = tuple(t for t in again.texts if is_well_formed_token(t))
            except ReaderError as exc:
                log.warning("camera frame skipped: %s", exc)
                continue
            except Exception as exc:  # one bad frame must not end scanning
                log.warning("camera frame skipped: %s", type(exc).__name__)
                continue
            self._decoded += 1
            for text in texts:
                self._consider(text, at)

    def _check_stalled(self) -> None:
        # A driver whose read() hangs keeps the capture thread from noticing; the worker does.
        with self._status_lock:
            flowing = self._health == Health.OK
        if flowing and self._clock() - self._last_frame_at >= self._stall:
            self._set_health(Health.LOST, f"no frames from camera for {self._stall:g} s")

    def _consider(self, text: str, at: float) -> None:
        if self._filter.accept(text, at):
            self._emit(CodeScanned(text=text, source=self.source, at=at))

    # -- events -----------------------------------------------------------------------------

    def _set_health(self, health: Health, detail: str) -> None:
        with self._status_lock:
            if health == self._health:
                return
            self._health = health
        self._emit(ReaderStatus(health=health, detail=detail, source=self.source))

    def _emit(self, event: ReaderEvent) -> None:
        try:
            self._sink(event)
        except Exception:  # the kiosk's sink failing must not stop the camera
            log.exception("camera event sink failed")
