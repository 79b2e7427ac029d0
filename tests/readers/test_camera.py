"""CameraScanner: a real video file through cv2.VideoCapture, and scripted sources for the
failure paths (a camera that stops, fails to open, raises, or hangs)."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from codes import base45_encode
from readers import (
    CameraError,
    CameraScanner,
    CodeFilter,
    CodeScanned,
    CvFrameSource,
    DecodeConfig,
    Health,
    ReaderEvent,
    ReaderStatus,
)
from tests.fakes.camera import FakeClock, FakeFrameSource, Hang, blank_frame, code_frame

# Token-shaped texts (prefix + valid Base45, PK1 spec §1): reported on their first sighting.
PK1_A = "PK1:" + base45_encode(bytes(range(7, 140)))
PK1_B = "PK1:" + base45_encode(bytes(range(200, 60, -1)))


class Events:
    """Collects sink events; waits for a predicate with a bounded timeout (no fixed sleeps)."""

    def __init__(self) -> None:
        self.q: queue.Queue[ReaderEvent] = queue.Queue()
        self.seen: list[ReaderEvent] = []

    def put(self, event: ReaderEvent) -> None:
        self.q.put(event)

    def wait_for(self, pred: object, timeout: float = 10.0) -> ReaderEvent:
        assert callable(pred)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                ev = self.q.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(ev)
            if pred(ev):
                return ev
        raise AssertionError(f"no matching event within {timeout} s; saw {self.seen!r}")

    def drain(self) -> list[ReaderEvent]:
        while True:
            try:
                self.seen.append(self.q.get_nowait())
            except queue.Empty:
                return self.seen

    def statuses(self) -> list[Health]:
        return [e.health for e in self.drain() if isinstance(e, ReaderStatus)]

    def codes(self) -> list[str]:
        return [e.text for e in self.drain() if isinstance(e, CodeScanned)]


def is_status(health: Health) -> object:
    return lambda e: isinstance(e, ReaderStatus) and e.health == health


def is_code(e: ReaderEvent) -> bool:
    return isinstance(e, CodeScanned)


@pytest.fixture
def events() -> Events:
    return Events()


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> None:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "opencv-headless should write MJPG/avi"
    for f in frames:
        writer.write(f)
    writer.release()


# -- a real video file through cv2.VideoCapture -----------------------------------------------


def test_video_file_scans_code_once_then_reports_end_as_lost_and_reopens(
    tmp_path: Path, events: Events
) -> None:
    video = tmp_path / "gate.avi"
    write_video(video, [blank_frame()] * 15 + [code_frame(PK1_A)] * 30 + [blank_frame()] * 5)
    scanner = CameraScanner(
        CvFrameSource(str(video), realtime=True),
        events.put,
        stall_timeout=0.3,
        backoff=0.05,
        dedup_window=30.0,
    )
    t0 = time.monotonic()
    scanner.start()
    try:
        events.wait_for(is_status(Health.OK))
        code = events.wait_for(is_code)
        events.wait_for(is_status(Health.LOST))  # the file ended: the camera "stopped"
        events.wait_for(is_status(Health.OK))  # reopened with backoff: frames flow again
        events.wait_for(is_status(Health.LOST))  # the replay ended too
    finally:
        scanner.stop()
    assert isinstance(code, CodeScanned)
    assert code.text == PK1_A
    assert code.source == str(video)
    # The code enters at frame 15 of a 30 fps feed; the frame it was read in is not earlier.
    assert code.at >= t0 + 15 / 30 - 0.05
    # Held in view for 30 frames and replayed: one scan (de-duplication).
    assert events.codes() == [PK1_A]
    stats = scanner.stats
    assert stats.captured >= 90 and stats.decoded > 0


def test_cv_source_errors() -> None:
    src = CvFrameSource("/nonexistent/camera.avi")
    with pytest.raises(CameraError, match="expected an openable camera"):
        src.open()
    with pytest.raises(CameraError, match="open before read"):
        src.read()
    src.close()  # never raises


# -- scripted sources -------------------------------------------------------------------------


def test_frames_are_dropped_not_queued(events: Events) -> None:
    # 1280x720 frames arrive as fast as the fake can give them; decoding takes milliseconds.
    frame = code_frame(PK1_A, 1280, 720)
    src = FakeFrameSource([frame] * 400)
    scanner = CameraScanner(src, events.put, stall_timeout=60.0)
    scanner.start()
    try:
        assert src.exhausted.wait(30.0)
        events.wait_for(is_code)
    finally:
        scanner.stop()
    stats = scanner.stats
    assert stats.captured == 400
    assert stats.dropped > 0
    assert stats.decoded < stats.captured
    # Every captured frame was either decoded, dropped, or is the one left in the slot.
    assert stats.captured - 1 <= stats.decoded + stats.dropped <= stats.captured
    assert events.codes() == [PK1_A]


def test_codes_from_scripted_frames_and_dark_mode(events: Events) -> None:
    script = (
        [blank_frame()] * 5
        + [code_frame(PK1_A)] * 15
        + [blank_frame()] * 5
        + [code_frame(PK1_B, invert=True)] * 15  # a dark-mode phone screen
    )
    src = FakeFrameSource(script)
    scanner = CameraScanner(src, events.put, stall_timeout=60.0)
    src.lockstep(scanner)
    scanner.start()
    try:
        events.wait_for(lambda e: isinstance(e, CodeScanned) and e.text == PK1_B)
        assert src.exhausted.wait(10.0)
    finally:
        scanner.stop()
    assert events.codes() == [PK1_A, PK1_B]
    assert all(e.source == "fake-camera" for e in events.seen if isinstance(e, CodeScanned))


def test_non_token_text_reported_after_repeated_sightings(events: Events) -> None:
    src = FakeFrameSource([blank_frame()] + [code_frame("HELLO GATE")] * 3)
    scanner = CameraScanner(src, events.put, stall_timeout=60.0)
    src.lockstep(scanner)
    scanner.start()
    try:
        ev = events.wait_for(is_code)
    finally:
        scanner.stop()
    assert isinstance(ev, CodeScanned) and ev.text == "HELLO GATE"
    assert scanner.stats.dropped == 0


def test_non_token_text_seen_once_is_not_reported(events: Events) -> None:
    src = FakeFrameSource([code_frame("HELLO GATE")] + [blank_frame()] * 3)
    scanner = CameraScanner(src, events.put, stall_timeout=60.0)
    src.lockstep(scanner)
    scanner.start()
    try:
        assert src.exhausted.wait(10.0)
        FakeFrameSource._wait_worker(scanner)
    finally:
        scanner.stop()
    assert scanner.stats.decoded == 4
    assert events.codes() == []


def test_stopped_frames_are_lost_then_back(events: Events) -> None:
    clock = FakeClock()
    # 10 frames, then 100 reads without a frame (3.3 s at 30 fps > stall 2 s), then frames.
    script = [blank_frame()] * 10 + [None] * 100 + [blank_frame()] * 10
    src = FakeFrameSource(script, clock=clock)
    scanner = CameraScanner(src, events.put, stall_timeout=2.0, backoff=0.01, clock=clock)
    scanner.start()
    try:
        events.wait_for(is_status(Health.OK))
        lost = events.wait_for(is_status(Health.LOST))
        events.wait_for(is_status(Health.OK))
        events.wait_for(is_status(Health.LOST))  # script exhausted: stopped again
    finally:
        scanner.stop()
    assert isinstance(lost, ReaderStatus) and "no frames" in lost.detail
    assert events.statuses()[:4] == [Health.OK, Health.LOST, Health.OK, Health.LOST]
    assert src.opens >= 2  # closed and reopened


def test_open_failures_retry_with_backoff(events: Events) -> None:
    src = FakeFrameSource([blank_frame()] * 5, open_failures=3)
    scanner = CameraScanner(src, events.put, backoff=0.01, max_backoff=0.02, stall_timeout=60.0)
    scanner.start()
    try:
        lost = events.wait_for(is_status(Health.LOST))
        events.wait_for(is_status(Health.OK))
    finally:
        scanner.stop()
    assert isinstance(lost, ReaderStatus) and "not available" in lost.detail
    assert src.open_attempts == 4
    # Status is reported on changes only: one LOST for three failed opens.
    assert events.statuses()[:2] == [Health.LOST, Health.OK]


def test_read_error_is_lost_and_reopened(events: Events) -> None:
    script = [blank_frame()] * 5 + [CameraError("unplugged")] + [blank_frame()] * 5
    src = FakeFrameSource(script)
    scanner = CameraScanner(src, events.put, backoff=0.01, stall_timeout=60.0)
    scanner.start()
    try:
        events.wait_for(is_status(Health.OK))
        lost = events.wait_for(is_status(Health.LOST))
        events.wait_for(is_status(Health.OK))
    finally:
        scanner.stop()
    assert isinstance(lost, ReaderStatus) and "unplugged" in lost.detail
    assert src.opens == 2


def test_frame_above_the_configured_cap_is_lost_and_reopened(events: Events) -> None:
    # 640x480 = 307,200 pixels; the cap is lowered from 4K to a VGA frame minus one row.
    script = [blank_frame()] * 2 + [blank_frame(640, 481)] + [blank_frame()] * 2
    src = FakeFrameSource(script)
    config = DecodeConfig(max_frame_pixels=640 * 480)
    scanner = CameraScanner(src, events.put, config=config, backoff=0.01, stall_timeout=60.0)
    scanner.start()
    try:
        events.wait_for(is_status(Health.OK))
        lost = events.wait_for(is_status(Health.LOST))
        events.wait_for(is_status(Health.OK))
    finally:
        scanner.stop()
    assert isinstance(lost, ReaderStatus) and "1 to 307200 pixels" in lost.detail
    assert "(481, 640, 3)" in lost.detail
    assert src.opens == 2


def test_hung_driver_is_reported_by_the_worker(events: Events) -> None:
    hang = Hang()
    src = FakeFrameSource([blank_frame()] * 3 + [hang] + [blank_frame()] * 3)
    scanner = CameraScanner(src, events.put, stall_timeout=0.2)
    scanner.start()
    try:
        events.wait_for(is_status(Health.OK))
        assert hang.entered.wait(10.0)
        lost = events.wait_for(is_status(Health.LOST))
        hang.release.set()
        events.wait_for(is_status(Health.OK))
    finally:
        hang.release.set()
        scanner.stop()
    assert isinstance(lost, ReaderStatus) and "no frames" in lost.detail


def test_stop_is_prompt_during_backoff(events: Events) -> None:
    src = FakeFrameSource([], open_failures=10_000)
    scanner = CameraScanner(src, events.put, backoff=30.0, max_backoff=30.0)
    scanner.start()
    events.wait_for(is_status(Health.LOST))
    t0 = time.monotonic()
    scanner.stop(timeout=5.0)
    assert time.monotonic() - t0 < 5.0
    assert src.open_attempts == 1


def test_failing_sink_does_not_stop_scanning() -> None:
    got: list[ReaderEvent] = []
    first = [True]

    def sink(ev: ReaderEvent) -> None:
        if first[0]:
            first[0] = False
            raise RuntimeError("kiosk sink broke")
        got.append(ev)

    src = FakeFrameSource([code_frame(PK1_A)] * 3)
    scanner = CameraScanner(src, sink, stall_timeout=60.0)
    src.lockstep(scanner)
    scanner.start()
    try:
        assert src.exhausted.wait(10.0)
        deadline = time.monotonic() + 10.0
        while not any(isinstance(e, CodeScanned) for e in got) and time.monotonic() < deadline:
            time.sleep(0.01)  # polling a list the worker appends to; bounded
    finally:
        scanner.stop()
    assert [e.text for e in got if isinstance(e, CodeScanned)] == [PK1_A]


def test_start_twice_and_bad_settings(events: Events) -> None:
    src = FakeFrameSource([blank_frame()] * 3)
    scanner = CameraScanner(src, events.put, stall_timeout=60.0)
    scanner.start()
    try:
        with pytest.raises(CameraError, match="stopped before start"):
            scanner.start()
    finally:
        scanner.stop()
    with pytest.raises(CameraError, match="backoff"):
        CameraScanner(src, events.put, backoff=0)
    with pytest.raises(CameraError, match="stall_timeout"):
        CameraScanner(src, events.put, stall_timeout=0)
    with pytest.raises(CameraError, match="per-frame decoding budget"):
        CameraScanner(src, events.put, config=DecodeConfig(budget=None))


# -- CodeFilter: de-duplication and evidence, with explicit times -----------------------------


def test_filter_held_code_is_one_scan() -> None:
    f = CodeFilter(dedup_window=3.0)
    # A code held for 10 s, seen every 100 ms: reported once.
    seen = [f.accept(PK1_A, 100.0 + i * 0.1) for i in range(100)]
    assert seen.count(True) == 1 and seen[0]


def test_filter_reports_again_after_out_of_sight() -> None:
    f = CodeFilter(dedup_window=3.0)
    assert f.accept(PK1_A, 10.0)
    assert not f.accept(PK1_A, 12.9)
    assert not f.accept(PK1_A, 15.8)  # 2.9 s after the last sighting
    assert f.accept(PK1_A, 18.9)  # 3.1 s out of sight: a new presentation
    assert f.accept(PK1_B, 18.9)  # another code is independent


def test_filter_non_token_needs_two_sightings_within_confirm_window() -> None:
    f = CodeFilter(dedup_window=3.0, confirm_window=1.0)
    assert not f.accept("hello", 0.0)
    assert not f.accept("hello", 1.5)  # too late to confirm the first: starts over
    assert f.accept("hello", 2.0)  # confirmed by the sighting at 1.5
    assert not f.accept("hello", 2.1)
    assert not f.accept("PK1:not base45!", 5.0)  # prefix alone is not enough


def test_filter_memory_is_bounded() -> None:
    f = CodeFilter(dedup_window=3.0, confirm_window=1.0)
    for i in range(10_000):
        f.accept(f"junk-{i}", i * 0.5)
    assert len(f) <= 10


# -- a still scene gets less decoding (readers._scene) -----------------------------------------


def noisy_blank(rng: np.random.Generator, width: int = 640, height: int = 480) -> np.ndarray:
    """An empty scene with fresh sensor noise, like consecutive frames of a real camera."""
    base = np.full((height, width, 3), 120.0)
    return np.clip(base + rng.normal(0, 4.0, base.shape), 0, 255).astype(np.uint8)


def test_still_scene_is_mostly_skipped_and_a_code_entering_is_read(events: Events) -> None:
    rng = np.random.default_rng(3)
    clock = FakeClock()
    # 4 s of an empty gate at 30 fps, then a code held up for 10 frames.
    script = [noisy_blank(rng) for _ in range(120)] + [code_frame(PK1_A)] * 10
    src = FakeFrameSource(script, clock=clock)
    scanner = CameraScanner(src, events.put, stall_timeout=60.0, clock=clock)
    src.lockstep(scanner)
    scanner.start()
    try:
        ev = events.wait_for(is_code)
        assert src.exhausted.wait(10.0)
    finally:
        scanner.stop()
    assert isinstance(ev, CodeScanned) and ev.text == PK1_A
    stats = scanner.stats
    # The first 1.5 s (45 frames) are decoded in full (the scene just appeared); of the 75
    # still frames after it one more in full (2 s after the last), the first pass on every
    # third of the other 74 and the rest skipped; the code's 10 frames in full.
    assert 48 <= stats.skipped <= 50
    assert 23 <= stats.first_pass_only <= 25
    assert stats.decoded - stats.skipped - stats.first_pass_only <= 45 + 2 + 10
    # The code's first frame changed the scene: read at once.
    assert ev.at == pytest.approx(1000.0 + 121 / 30)


def test_without_a_scene_watch_every_frame_is_decoded_in_full(events: Events) -> None:
    rng = np.random.default_rng(4)
    src = FakeFrameSource([noisy_blank(rng) for _ in range(90)], clock=FakeClock())
    scanner = CameraScanner(src, events.put, stall_timeout=60.0, scene=None)
    src.lockstep(scanner)
    scanner.start()
    try:
        assert src.exhausted.wait(30.0)
    finally:
        scanner.stop()
    stats = scanner.stats
    assert stats.decoded == 90 and stats.skipped == 0 and stats.first_pass_only == 0


class SkippingSource(FakeFrameSource):
    """A scripted source that can also pass over a frame undecoded (like CvFrameSource.skip)."""

    def __init__(self, script: list[np.ndarray], clock: FakeClock) -> None:
        super().__init__(script, clock=clock)
        self._rest = iter(script)
        self.passed: list[int] = []

    def read(self) -> np.ndarray | None:
        self.reads += 1
        self._advance()
        return next(self._rest, None)

    def skip(self) -> bool:
        self.passed.append(self.reads + len(self.passed))
        self._advance()
        return next(self._rest, None) is not None

    def _advance(self) -> None:
        if self._follow is not None:
            self._wait_worker(self._follow)
        assert self._clock is not None
        self._clock.advance(1 / 30)


def test_still_scene_thins_the_source_and_a_change_restores_every_frame(events: Events) -> None:
    rng = np.random.default_rng(5)
    clock = FakeClock()
    script = [noisy_blank(rng) for _ in range(120)] + [code_frame(PK1_A)] * 30
    src = SkippingSource(script, clock)
    scanner = CameraScanner(src, events.put, stall_timeout=60.0, clock=clock)
    src.lockstep(scanner)
    scanner.start()
    try:
        ev = events.wait_for(is_code)
        deadline = time.monotonic() + 10
        while src.reads + len(src.passed) < len(script) and time.monotonic() < deadline:
            time.sleep(0.01)  # bounded wait for the script's end
    finally:
        scanner.stop()
    stats = scanner.stats
    # Nothing passed over in the first 1.5 s (45 frames); then two of every three frames.
    assert min(src.passed) >= 45
    assert 45 <= stats.thinned <= 52
    assert stats.captured + stats.thinned == len(script)
    # The code's first frame is 121; it is decoded at most two frames late...
    assert isinstance(ev, CodeScanned) and 1000 + 121 / 30 <= ev.at <= 1000 + 123.5 / 30
    # ...and from then on every frame is decoded again.
    assert max(src.passed) < 124
