"""How much decoding a camera frame gets: all of it while the scene changes, little while not.

An empty gate costs as much to decode as a hard code: with nothing to find, the preprocessing
cascade runs until its budget is spent (~23 ms of a 33 ms frame period at 720p, about two
thirds of a core). A person showing a code changes the scene: a hand, a phone, a card move in.
So ``SceneWatch`` compares a small grey thumbnail of each frame (one area-averaging resize,
~0.2 ms at 720p, which also averages sensor noise away) with the thumbnail of the last change:

- after a change, and for ``active_for`` seconds after it, every frame is decoded in full
  (zxing-cpp, the cascade, temporal fusion), exactly as without the watch;
- once the scene has held still for longer, a frame is decoded in full only every
  ``full_every`` seconds, gets zxing-cpp's first pass (~0.7 ms) every ``first_pass_every``-th
  frame, and is otherwise skipped.

A code held perfectly still and unread after ``active_for`` seconds is still tried: by the first
pass several times a second and in full every ``full_every`` seconds. While the scene is still
the camera scanner also asks its source to decode only every ``thin``-th frame (the others are
taken from the device undecoded): a change is then seen at most ``thin - 1`` frames late, and
an idle camera does not pay for decoding pictures of an empty gate 30 times a second.

Changes are counted as thumbnail pixels that moved by more than ``pixel_delta`` grey levels (a
16x16-pixel block at 720p): a code entering the view moves dozens, sensor noise none (its
per-pixel deviation is divided by 16 in the average).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from readers._errors import ReaderError


class Step(enum.Enum):
    """What to do with one frame."""

    FULL = "full"  # first pass, cascade and fusion
    FIRST_PASS = "first_pass"  # zxing-cpp on the whole frame only
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class SceneConfig:
    """The tunables of ``SceneWatch`` (seconds, frames, grey levels, thumbnail pixels)."""

    active_for: float = 1.5
    full_every: float = 2.0
    first_pass_every: int = 3
    pixel_delta: int = 12
    changed_pixels: int = 6
    thumb_size: tuple[int, int] = (80, 45)
    thin: int = 3

    def __post_init__(self) -> None:
        if not (self.active_for >= 0 and self.full_every > 0 and self.first_pass_every >= 1
                and self.pixel_delta > 0 and self.changed_pixels >= 1
                and min(self.thumb_size) >= 4 and self.thin >= 1):
            raise ReaderError(f"expected active_for >= 0, full_every > 0, first_pass_every >= 1, "
                              f"pixel_delta > 0, changed_pixels >= 1, a thumbnail of at least "
                              f"4x4 and thin >= 1, got {self}")


class SceneWatch:
    """Decides, frame by frame, how much decoding the scene is worth (one decode thread)."""

    def __init__(self, config: SceneConfig = SceneConfig()) -> None:
        self._config = config
        self._ref: npt.NDArray[np.int16] | None = None
        self._changed_at = 0.0
        self._full_at = 0.0
        self._quiet_frames = 0
        self._moved = True

    def step(self, gray: npt.NDArray[np.uint8], now: float) -> Step:
        """The step for a grey frame captured at monotonic time ``now``."""
        c = self._config
        thumb = np.asarray(cv2.resize(gray, c.thumb_size, interpolation=cv2.INTER_AREA),
                           dtype=np.int16)
        ref = self._ref
        self._moved = ref is None or ref.shape != thumb.shape or \
            int(np.count_nonzero(np.abs(thumb - ref) > c.pixel_delta)) >= c.changed_pixels
        if self._moved:
            self._ref = thumb
            self._changed_at = now
        if now - self._changed_at < c.active_for:
            self._full_at = now
            self._quiet_frames = 0
            return Step.FULL
        if now - self._full_at >= c.full_every:
            self._full_at = now
            return Step.FULL
        self._quiet_frames += 1
        if self._quiet_frames % c.first_pass_every == 0:
            return Step.FIRST_PASS
        return Step.SKIP

    def still(self, now: float) -> bool:
        """True when the scene has not changed for ``active_for`` seconds at ``now``."""
        return self._ref is not None and now - self._changed_at >= self._config.active_for

    def same_scene(self) -> bool:
        """True when the frame last stepped showed the same scene as the one before it (no
        change counted), so work on one can go on with the other (FrameDecoder's resume)."""
        return not self._moved

    def changed(self, now: float) -> None:
        """Treat the scene as changed at ``now`` (e.g. a code was just read from it)."""
        self._changed_at = now

    def reset(self) -> None:
        self._ref = None
        self._quiet_frames = 0
        self._moved = True
