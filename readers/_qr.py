"""QR decoding of still pictures and camera frames: zxing-cpp first, pyzbar as the fallback.

On degraded gate-camera pictures zxing-cpp reads the most (79 %) and is the fastest (2.1 ms
median); pyzbar reads fewer (56 %) but catches some frames zxing misses (glare, low light); no
decoder returned a wrong payload.

``FrameDecoder`` beats both within a per-frame time budget: zxing-cpp on the whole frame first
(most frames end there in ~2 ms), then, only when that found nothing, a cascade on the likely
code region (from zxing's own failed detections, else a texture search): scale-up, local
contrast normalisation (CLAHE), sharpening, adaptive threshold, denoising, defocus deblurring
(Wiener deconvolution with a Gaussian point spread function), motion deblurring (Wiener
deconvolution along the direction the structure tensor finds), flattening a bent code along
its own alignment patterns (readers._unbend), re-drawing a code whose finder pattern is lost
to glare or a thumb from the grid the other two and the alignment patterns give
(readers._qrgrid), pyzbar. A quick
diagnosis (sensor noise level, motion coherence) picks the order; within it stages are ordered
by what they recovered per millisecond in bench/bench_qr.py, and a stage is skipped when its
running cost estimate would overrun the budget.

``TemporalFuser`` combines consecutive frames: when the camera and code are still, the average
of the last frames has a fraction of the sensor noise, which reads in low light and noise where
every single frame fails.

A payload is trusted only through the decoders' Reed-Solomon checks; ``is_well_formed_token``
adds the PK1/HC1 shape check the camera scanner uses to decide whether one sighting suffices.

The budget and size caps are fields of ``DecodeConfig``, passed to ``FrameDecoder``,
``decode_image_file`` and ``CameraScanner``.
"""

from __future__ import annotations

import enum
import math
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp
from pyzbar import pyzbar

from codes import DeviceError, TokenError, base45_decode
from readers import _qrgrid, _unbend
from readers._errors import ReaderError

GrayImage = npt.NDArray[np.uint8]

# Longest token text we consider well-formed: PK1 caps the inflated token at 4,096 bytes (spec
# §1); a QR code holds at most 4,296 alphanumeric characters, so this bounds every real code.
_MAX_TOKEN_TEXT: Final = 4296

# Only QR symbols: PK1 and HC1 travel as QR (PK1 spec §1); scanning other symbologies costs time
# and could only ever add wrong reads.
_ZX_FORMATS: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_ZBAR_SYMBOLS: Final = [pyzbar.ZBarSymbol.QRCODE]

# Region scale-up: a code region is enlarged so its longer side is about 600-900 pixels (~6-9 px
# per module for versions 10-15), at most by _MAX_UPSCALE.
_MAX_UPSCALE: Final = 2.5
# _noise_level above which a frame is treated as noisy (camera frames: < 10; heavy noise: > 100).
_NOISY: Final = 30.0
# _motion coherence above which a code region is treated as motion-blurred (sharp: < 0.25).
_MOTION: Final = 0.25
# Deconvolution works on regions of at most this side (cost), with this noise-to-signal ratio.
_DEBLUR_SIDE: Final = 420
_WIENER_NSR: Final = 0.02
_DEFOCUS_NSR: Final = 0.003
_MAX_ROIS: Final = 2


Stage = tuple[str, "Callable[[int], tuple[str, ...]]"]


class Default(enum.Enum):
    """Marker type for "use the decoder's own budget"."""

    TOKEN = 0


DEFAULT: Final = Default.TOKEN


class ImageReadError(DeviceError):
    """A picture file or frame could not be read or is not a picture we accept."""


@dataclass(frozen=True, slots=True)
class DecodeConfig:
    """The tunables of QR decoding, with the values the kiosk runs with.

    budget: seconds of decoding per camera frame, or None for no limit. A cascade stage starts
    only if its running cost estimate fits, so with 0.024 the p95 stays under 30 ms per frame
    (bench/bench_qr.py, docs/performance/camera.md). Still pictures (``decode_image_file``) are
    always decoded without a limit.
    use_pyzbar: let zbar try where zxing-cpp found nothing (it reads some glare and low-light
    frames zxing misses).
    max_image_bytes / max_image_pixels: caps for picture files. A gate picture is at most a few
    MB; a decompression bomb (a tiny PNG declaring a huge canvas) must not exhaust memory.
    max_frame_pixels: a frame larger than 4K is not a gate camera; it is refused rather than
    left to stall the worker (bigger picture files are scaled down to this first).
    """

    budget: float | None = 0.024
    use_pyzbar: bool = True
    max_image_bytes: int = 32 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_frame_pixels: int = 3840 * 2160

    def __post_init__(self) -> None:
        if self.budget is not None and not self.budget > 0:
            raise ReaderError(f"expected a positive budget in seconds or None, got {self.budget}")
        caps = {
            "max_image_bytes": self.max_image_bytes,
            "max_image_pixels": self.max_image_pixels,
            "max_frame_pixels": self.max_frame_pixels,
        }
        for name, value in caps.items():
            if value <= 0:
                raise ReaderError(f"expected {name} > 0, got {value}")


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """What one frame gave: the texts, the stage that read them ('' if none), seconds spent."""

    texts: tuple[str, ...]
    stage: str
    elapsed: float


def is_well_formed_token(text: str) -> bool:
    """True when text has the shape of a PK1 or HC1 code: the prefix, then valid Base45 (PK1
    spec §1). A misread that still passes the QR checksums would almost never also be that."""
    if len(text) > _MAX_TOKEN_TEXT or not text.startswith(("PK1:", "HC1:")):
        return False
    try:
        base45_decode(text[4:])
    except TokenError:
        return False
    return True


def decode_zxing(gray: GrayImage) -> list[str]:
    """QR texts zxing-cpp finds in a grayscale picture (incl. inverted, i.e. dark-mode screens)."""
    return [r.text for r in _zx(gray) if r.valid and r.text]


def decode_pyzbar(gray: GrayImage) -> list[str]:
    """QR texts zbar finds in a grayscale picture (it does not read inverted symbols)."""
    texts: list[str] = []
    for sym in pyzbar.decode(gray, symbols=_ZBAR_SYMBOLS):
        data: bytes = sym.data
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Our payloads are ASCII (Base45 alphabet, PK1 spec §1); non-UTF-8 bytes cannot be
            # one of ours, so they are skipped rather than guessed at.
            continue
        if text:
            texts.append(text)
    return texts


def to_gray(image: npt.NDArray[np.uint8]) -> GrayImage:
    """A BGR, BGRA or grayscale uint8 picture as a contiguous grayscale picture."""
    if image.dtype != np.uint8:
        raise ImageReadError(f"expected a uint8 picture, got dtype {image.dtype}")
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    if image.ndim == 3 and image.shape[2] == 3:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY), dtype=np.uint8)
    raise ImageReadError(
        f"expected a grayscale, BGR or BGRA picture, got an array of shape {image.shape}"
    )


class FrameDecoder:
    """Decode camera frames within a time budget (one instance per thread: CLAHE keeps state).

    config: the budget per frame (None: no limit, for still pictures), zbar on or off and the
    frame size cap. clock: a monotonic clock in seconds, replaceable in tests.
    """

    def __init__(
        self,
        config: DecodeConfig = DecodeConfig(),
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._budget = config.budget
        self._max_pixels = config.max_frame_pixels
        self._clock = clock
        self._clahe = cv2.createCLAHE(clipLimit=2.5, tileGridSize=(4, 4))
        self._use_pyzbar = config.use_pyzbar
        # Running cost estimates (seconds) per stage, so a stage that would overrun the budget
        # is skipped instead of started.
        self._cost: dict[str, float] = {}
        # Where the last cascade stopped, for the next frame of the same still scene (resume).
        self._resume_at = 0

    def decode(
        self,
        image: npt.NDArray[np.uint8],
        *,
        budget: float | Default | None = DEFAULT,
        interrupt: Callable[[], bool] | None = None,
        cascade: bool = True,
        resume: bool = False,
    ) -> DecodeResult:
        """All QR texts in one frame (BGR or grayscale).

        budget: overrides the decoder's budget for this frame (None: no limit). interrupt:
        asked before each cascade stage; True ends the cascade (a camera scanner passes "a newer
        frame is waiting", since a fresh frame's first pass usually beats this frame's cascade).
        cascade: False stops after zxing-cpp's first pass (a still scene, readers._scene).
        resume: the frame shows the same still scene as the previous call's: the cascade starts
        with the first stage that call did not get to (its budget or a newer frame ended it)
        and goes round, so the frames of a code held still share out every stage between them,
        including the further blur sizes no single frame's budget reaches.
        """
        t0 = self._clock()
        limit = self._budget if isinstance(budget, Default) else budget
        gray = to_gray(image)
        if gray.shape[0] * gray.shape[1] > self._max_pixels:
            raise ImageReadError(
                f"expected a frame of at most {self._max_pixels} pixels, got {gray.shape}"
            )
        first = _zx(gray)
        texts = _valid(first)
        if texts or not cascade:
            return DecodeResult(texts, "zxing" if texts else "", self._clock() - t0)
        found = self._cascade(gray, first, t0, limit, interrupt, resume)
        if found is not None:
            return DecodeResult(found[1], found[0], self._clock() - t0)
        if limit is None and self._use_pyzbar and not (interrupt is not None and interrupt()):
            # Still pictures only: the whole-frame zbar pass costs ~30 ms at 720p, beyond a
            # camera frame's budget.
            zb = tuple(_unique(decode_pyzbar(gray)))
            if zb:
                return DecodeResult(zb, "pyzbar", self._clock() - t0)
        return DecodeResult((), "", self._clock() - t0)

    def _cascade(
        self,
        gray: GrayImage,
        first: list[zxingcpp.Barcode],
        t0: float,
        limit: float | None,
        interrupt: Callable[[], bool] | None,
        resume: bool,
    ) -> tuple[str, tuple[str, ...]] | None:
        rois = _rois(gray, first)
        if not rois:
            self._resume_at = 0
            return None
        crops = [_crop(gray, r) for r in rois]
        scaled: dict[tuple[int, int], GrayImage] = {}

        def up(i: int, target: int) -> GrayImage:
            u = scaled.get((i, target))
            if u is None:
                u = scaled[(i, target)] = _upscale(crops[i], target)
            return u

        clahe = self._clahe
        denoise: Stage = ("roi-denoise", lambda i: _zx_ok(_upscale(_median(crops[i]), 900)))
        smooth: Stage = ("roi-smooth", lambda i: _zx_ok(_gauss(up(i, 900), 1.5)))
        scale: Stage = ("roi-scale", lambda i: _zx_ok(up(i, 900)))
        sharpen: Stage = ("roi-sharpen", lambda i: _zx_ok(_sharpen(up(i, 600), 2.0, 5.0)))
        sharpen_fine: Stage = ("roi-sharpen-fine", lambda i: _zx_ok(_sharpen(up(i, 600), 1.0, 5.0)))
        adaptive: Stage = ("roi-adaptive", lambda i: _zx_ok(_upscale(_adaptive(crops[i]), 900)))
        contrast: Stage = ("roi-clahe", lambda i: _zx_ok(_u8(clahe.apply(up(i, 900)))))
        zbar: Stage = (
            "roi-pyzbar",
            lambda i: tuple(_unique(decode_pyzbar(_u8(clahe.apply(crops[i]))))),
        )
        def spent() -> bool:
            # The grid search may fit several grids: it stops between them once the frame's
            # budget is gone or a newer frame waits.
            over = limit is not None and self._clock() - t0 > limit
            return over or (interrupt is not None and interrupt())

        # A finder pattern lost to glare or a thumb: no zxing pass sees a code there at all.
        grid: Stage = ("roi-grid", lambda i: _qrgrid.read(up(i, 600), _zx_ok, spent))
        # A code zxing located but could not decode may be bent (crumpled paper): its grid is
        # fitted piece by piece and the flattened symbol decoded (readers._unbend).
        bent = _bent_detections(first)
        unbend: Stage = ("unbend", lambda i: _unbent_read(gray, bent, i))
        deblurs: dict[int, _Deblur] = {}

        def deblur(i: int, length: float) -> tuple[str, ...]:
            d = deblurs.get(i)
            if d is None:
                d = deblurs[i] = _Deblur(crops[i])
            return _zx_ok(_upscale(d.run(length), 900))

        def defocus(i: int, sigma: float) -> tuple[str, ...]:
            d = deblurs.get(i)
            if d is None:
                d = deblurs[i] = _Deblur(crops[i])
            return _zx_ok(_upscale(d.defocus(sigma), 900))

        # Defocus of about half a module is where unsharp masking stops recovering a code.
        focus_mid: Stage = ("roi-defocus", lambda i: defocus(i, 0.5))
        # Motion blur lengths in modules (the corpus has 0.9-2.2); most reads come at 2, then 1.5.
        deblur_mid: Stage = ("roi-deblur", lambda i: deblur(i, 1.5))
        deblur_long: Stage = ("roi-deblur-long", lambda i: deblur(i, 2.0))
        deblur_short: Stage = ("roi-deblur-short", lambda i: deblur(i, 1.0))
        # Further blur sizes, tried in turn across the frames of a still scene (resume): the
        # region's size gives the module size only roughly (the region may hold a whole card).
        deblur_longer: Stage = ("roi-deblur-longer", lambda i: deblur(i, 2.6))
        deblur_shorter: Stage = ("roi-deblur-shorter", lambda i: deblur(i, 0.7))
        focus_narrow: Stage = ("roi-defocus-narrow", lambda i: defocus(i, 0.3))
        focus_wide: Stage = ("roi-defocus-wide", lambda i: defocus(i, 0.7))
        # Order by what each stage recovered per millisecond on the corpus (bench/bench_qr.py),
        # after a quick diagnosis: heavy sensor noise first, because sharpening a noisy picture
        # makes it worse while a 3x3 median alone recovers most such frames; then motion blur,
        # which only a deconvolution along the motion undoes.
        stages: list[Stage]
        sweep: list[Stage]
        if _noise_level(gray) > _NOISY:
            stages = [denoise, smooth, scale, adaptive, contrast]
            sweep = []
        elif _motion(crops[0])[0] > _MOTION:
            stages = [deblur_long, deblur_mid, deblur_short, scale, sharpen, adaptive]
            sweep = [deblur_longer, deblur_shorter, focus_mid]
        else:
            stages = [sharpen, unbend, grid, focus_mid, scale, adaptive, sharpen_fine, contrast,
                      denoise]
            sweep = [focus_narrow, focus_wide, deblur_mid]
        for extra in (unbend, grid):
            if extra not in stages:
                stages.append(extra)
        if self._use_pyzbar:
            stages.append(zbar)
        stages += sweep
        # The first region (zxing's own failed detection, else the best texture) gets every
        # stage before a second region is tried.
        steps = [(i, stage) for i in range(len(crops)) for stage in stages]
        start = self._resume_at % len(steps) if resume else 0
        untried: int | None = None
        for k in range(len(steps)):
            at = (start + k) % len(steps)
            i, (name, fn) = steps[at]
            key = f"{name}/{i}"
            if interrupt is not None and interrupt():
                self._resume_at = at if untried is None else untried
                return None
            if not self._affordable(key, t0, limit):
                untried = at if untried is None else untried
                continue
            s0 = self._clock()
            texts = fn(i)
            self._learn(key, self._clock() - s0)
            if texts:
                self._resume_at = 0
                return name, texts
        self._resume_at = 0 if untried is None else untried
        return None

    def _affordable(self, key: str, t0: float, limit: float | None) -> bool:
        if limit is None:
            return True
        cost = self._cost.get(key, 0.0)
        if cost > limit:
            # One slow run (a first call, a loaded box) must not shut a stage out for good: an
            # estimate that could never fit shrinks on every frame that skips it, so the stage
            # is tried again and its cost measured afresh.
            self._cost[key] = cost * 0.9
            return False
        spent = self._clock() - t0
        return spent + cost <= limit

    def _learn(self, key: str, seconds: float) -> None:
        old = self._cost.get(key)
        self._cost[key] = seconds if old is None else 0.8 * old + 0.2 * seconds


class TemporalFuser:
    """Average the last few frames while the scene holds still.

    Sensor noise is independent between frames, so the mean of n aligned frames has 1/sqrt(n)
    of it: a phone held still in a dark gate reads from the mean when no single frame does.
    When the picture moves (mean absolute difference of a small thumbnail above
    ``motion_threshold``) the history restarts, so fusion never blends two positions.
    """

    def __init__(self, depth: int = 4, motion_threshold: float = 6.0) -> None:
        if not 2 <= depth <= 16:
            raise ReaderError(f"expected a fusion depth of 2..16 frames, got {depth}")
        self._depth = depth
        self._threshold = motion_threshold
        self._frames: deque[GrayImage] = deque()
        # Running sum (16 bits hold 16 x 255): each push costs two additions, not a new mean.
        self._sum: npt.NDArray[np.uint16] | None = None
        self._thumb: npt.NDArray[np.float32] | None = None

    def push(self, gray: GrayImage) -> None:
        """Add a frame (restarting the history if the picture moved)."""
        thumb = np.asarray(
            cv2.resize(gray, (80, 45), interpolation=cv2.INTER_AREA), dtype=np.float32
        )
        moved = (
            self._thumb is None
            or self._sum is None
            or self._sum.shape != gray.shape
            or float(np.mean(np.abs(thumb - self._thumb))) > self._threshold
        )
        self._thumb = thumb
        if moved or self._sum is None:
            self._frames.clear()
            self._sum = np.zeros(gray.shape, np.uint16)
        elif len(self._frames) == self._depth:
            np.subtract(self._sum, self._frames.popleft(), out=self._sum)
        frame = np.array(gray, dtype=np.uint8, copy=True)  # the caller may reuse its buffer
        np.add(self._sum, frame, out=self._sum)
        self._frames.append(frame)

    def fused(self) -> GrayImage | None:
        """The mean of the still frames held, when there are at least two; else None."""
        n = len(self._frames)
        if n < 2 or self._sum is None:
            return None
        return np.ascontiguousarray(((self._sum + n // 2) // n).astype(np.uint8))

    def reset(self) -> None:
        self._frames.clear()
        self._sum = None
        self._thumb = None


def read_image_file(path: str, config: DecodeConfig = DecodeConfig()) -> GrayImage:
    """Load a picture file as grayscale, within config's size caps; ImageReadError otherwise."""
    max_bytes, max_pixels = config.max_image_bytes, config.max_image_pixels
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ImageReadError(f"expected a readable picture file at {path!r}: {exc}") from exc
    if size > max_bytes:
        raise ImageReadError(
            f"expected a picture of at most {max_bytes} bytes, {path!r} has {size}"
        )
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ImageReadError(f"expected a readable picture file at {path!r}: {exc}") from exc
    buf = np.frombuffer(raw, dtype=np.uint8)
    # OpenCV itself refuses canvases above OPENCV_IO_MAX_IMAGE_PIXELS (2**30 by default), which
    # bounds a decompression bomb; our stricter pixel cap is applied to what it decoded.
    img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if buf.size else None
    if img is None:
        raise ImageReadError(
            f"expected a picture OpenCV can decode (PNG, JPEG, BMP, ...), {path!r} is not one"
        )
    pixels = int(img.shape[0]) * int(img.shape[1])
    if pixels > max_pixels:
        raise ImageReadError(
            f"expected a picture of at most {max_pixels} pixels, {path!r} has {pixels}"
        )
    return np.ascontiguousarray(img, dtype=np.uint8)


def decode_image_file(path: str, config: DecodeConfig = DecodeConfig()) -> list[str]:
    """All QR texts found in a picture file: zxing-cpp first, then the preprocessing cascade,
    then pyzbar on the whole picture (unless config turns zbar off), with no time limit.

    Raises ImageReadError (a DeviceError) when the file is missing, larger than config's caps or
    not a picture. A picture without any code gives an empty list.
    """
    gray = read_image_file(path, config)
    cap = config.max_frame_pixels
    if gray.shape[0] * gray.shape[1] > cap:
        # Big scans (a 300 dpi page) are brought to camera scale first; the cascade's region
        # search and scale-up then handle small codes on them.
        f = (cap / (gray.shape[0] * gray.shape[1])) ** 0.5
        gray = np.asarray(
            cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
    return list(FrameDecoder(config).decode(gray, budget=None).texts)


# -- helpers ----------------------------------------------------------------------------------


def _zx_ok(gray: GrayImage) -> tuple[str, ...]:
    return _valid(_zx(gray))


def _zx(gray: GrayImage) -> list[zxingcpp.Barcode]:
    # return_errors: symbols found but failing Reed-Solomon still tell us where the code is,
    # which is the best region for the cascade; they are never reported as texts.
    return list(
        zxingcpp.read_barcodes(
            gray,
            formats=_ZX_FORMATS,
            try_rotate=True,
            try_downscale=True,
            try_invert=True,
            text_mode=zxingcpp.TextMode.Plain,
            return_errors=True,
        )
    )


def _valid(results: list[zxingcpp.Barcode]) -> tuple[str, ...]:
    # One text per symbol, duplicates kept: a picture holding the same code twice holds two
    # symbols (spec §7: `verify --image` needs exactly one). The camera's CodeFilter de-dups.
    return tuple(r.text for r in results if r.valid and r.text)


def _u8(image: object) -> GrayImage:
    return np.asarray(image, dtype=np.uint8)


def _unique(texts: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for t in texts:
        seen.setdefault(t, None)
    return list(seen)


Box = tuple[int, int, int, int]  # x, y, w, h


def _rois(gray: GrayImage, first: list[zxingcpp.Barcode]) -> list[Box]:
    """Likely code regions: zxing's failed detections first, then the most code-like textures."""
    boxes: list[Box] = []
    for r in first:
        # zxing-cpp's QR family also reports failed rMQR and Micro QR detections: strips and
        # small squares inside a real code's modules. Taken as the region they would hide the
        # whole code (a texture box overlapping them is dropped), so only QR detections count.
        if r.format != zxingcpp.BarcodeFormat.QRCode:
            continue
        p = r.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
        box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        if box[2] > 4 and box[3] > 4 and not any(_overlap(box, b) for b in boxes):
            boxes.append(box)
    for box in _texture_boxes(gray):
        if len(boxes) >= _MAX_ROIS:
            break
        if not any(_overlap(box, b) for b in boxes):
            boxes.append(box)
    return boxes[:_MAX_ROIS]


def _texture_boxes(gray: GrayImage) -> list[Box]:
    # A QR code is the densest patch of strong edges in a gate picture: morphological gradient
    # on a quarter-size thumbnail, Otsu, closing, then connected blobs ranked by area x fill x
    # squareness (a code seen at an angle stays roughly square and solidly filled).
    k = 4
    small = cv2.resize(
        gray, (max(1, gray.shape[1] // k), max(1, gray.shape[0] // k)), interpolation=cv2.INTER_AREA
    )
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    _, th = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    th = cv2.morphologyEx(th, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(th)
    scored: list[tuple[float, Box]] = []
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        if w < 10 or h < 10:
            continue
        fill = area / (w * h)
        squareness = min(w, h) / max(w, h)
        scored.append((area * fill * squareness, (x * k, y * k, w * k, h * k)))
    scored.sort(key=lambda s: s[0], reverse=True)
    return [b for _, b in scored[:_MAX_ROIS]]


def _overlap(a: Box, b: Box) -> bool:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter > 0.5 * min(a[2] * a[3], b[2] * b[3])


def _crop(gray: GrayImage, box: Box) -> GrayImage:
    # A margin keeps the quiet zone (4 modules) that the decoders need around the symbol.
    x, y, w, h = box
    m = int(max(w, h) * 0.2) + 8
    y0, y1 = max(0, y - m), min(gray.shape[0], y + h + m)
    x0, x1 = max(0, x - m), min(gray.shape[1], x + w + m)
    return np.ascontiguousarray(gray[y0:y1, x0:x1])


def _upscale(crop: GrayImage, target: int) -> GrayImage:
    # Small codes (2-4 px per module) read far better once enlarged with a smooth kernel.
    side = max(crop.shape[0], crop.shape[1], 1)
    f = min(_MAX_UPSCALE, target / side)
    if f <= 1.05:
        return crop
    return np.asarray(
        cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC), dtype=np.uint8
    )


def _sharpen(gray: GrayImage, sigma: float, amount: float) -> GrayImage:
    # Unsharp mask: restores module edges softened by defocus and motion.
    blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
    return np.asarray(cv2.addWeighted(gray, 1 + amount, blurred, -amount, 0), dtype=np.uint8)


def _adaptive(crop: GrayImage) -> GrayImage:
    # A local threshold over ~1/15 of the region (a few modules): separates modules under uneven
    # light (glare edges, thumb shadows) where zxing's binarizers pick one level for too large
    # an area. Done before scale-up, where it is cheap.
    block = max(3, (max(crop.shape) // 15) | 1)
    return _u8(
        cv2.adaptiveThreshold(
            crop, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 0
        )
    )


def _median(crop: GrayImage) -> GrayImage:
    return _u8(cv2.medianBlur(crop, 3))


def _gauss(gray: GrayImage, sigma: float) -> GrayImage:
    return _u8(cv2.GaussianBlur(gray, (0, 0), sigma))


def _motion(crop: GrayImage) -> tuple[float, float]:
    """(coherence, motion angle in radians) of a code region from its structure tensor.

    A sharp QR code has as much edge energy across x as across y (coherence ~0-0.2); motion
    blur removes the edges along the motion, so the energy lines up (coherence > 0.25) and the
    motion runs across the dominant gradient direction.
    """
    g = crop.astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1)
    jxx = float(np.sum(gx * gx))
    jyy = float(np.sum(gy * gy))
    jxy = float(np.sum(gx * gy))
    trace = jxx + jyy
    if trace <= 0:
        return 0.0, 0.0
    spread = math.sqrt(max(0.0, (jxx - jyy) ** 2 / 4 + jxy * jxy))
    return 2 * spread / trace, 0.5 * math.atan2(2 * jxy, jxx - jyy) + math.pi / 2


class _Deblur:
    """Wiener deconvolution of a code region with a straight-line motion blur kernel.

    The region is brought to at most _DEBLUR_SIDE pixels and padded to a fast DFT size once;
    each length tried then costs one kernel transform and one inverse transform.
    """

    def __init__(self, crop: GrayImage) -> None:
        f = min(1.0, _DEBLUR_SIDE / max(crop.shape))
        small = crop
        if f < 1.0:
            small = _u8(cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_AREA))
        h, w = small.shape
        H, W = cv2.getOptimalDFTSize(h), cv2.getOptimalDFTSize(w)
        padded = cv2.copyMakeBorder(small, 0, H - h, 0, W - w, cv2.BORDER_REPLICATE)
        self._size = (h, w)
        self._spectrum = cv2.dft(np.asarray(padded, np.float32), flags=cv2.DFT_COMPLEX_OUTPUT)
        _, self._angle = _motion(small)
        # Module size: the region is the code plus margins, ~105 modules for versions 10-15.
        self._module = max(h, w) / 105.0

    def defocus(self, sigma_modules: float) -> GrayImage:
        """Wiener deconvolution with a Gaussian point spread function of sigma_modules.

        A defocused lens spreads each point into a disc that optics and the sensor round into
        about a Gaussian; its transfer function exp(-2 pi^2 sigma^2 f^2) is real and known in
        closed form, so no kernel transform is needed. Defocus keeps the phase, so a lower
        noise-to-signal ratio than for motion blur is safe.
        """
        H, W = self._spectrum.shape[:2]
        sigma = max(0.5, sigma_modules * self._module)
        fy = np.fft.fftfreq(H).astype(np.float32)
        fx = np.fft.fftfreq(W).astype(np.float32)
        k = np.exp(-2.0 * math.pi**2 * sigma**2 * (fy[:, None] ** 2 + fx[None, :] ** 2))
        gain = (k / (k * k + _DEFOCUS_NSR)).astype(np.float32)
        return self._inverse(np.dstack([gain, np.zeros_like(gain)]))

    def run(self, length_modules: float) -> GrayImage:
        H, W = self._spectrum.shape[:2]
        length = max(2.0, length_modules * self._module)
        ts = np.linspace(-length / 2, length / 2, max(3, int(length * 4)))
        xs = np.rint(ts * math.cos(self._angle)).astype(np.intp) % W
        ys = np.rint(ts * math.sin(self._angle)).astype(np.intp) % H
        kernel = np.zeros((H, W), np.float32)
        np.add.at(kernel, (ys, xs), 1.0)
        kernel /= kernel.sum()
        k = cv2.dft(kernel, flags=cv2.DFT_COMPLEX_OUTPUT)
        kr, ki = k[..., 0], k[..., 1]
        den = kr * kr + ki * ki + _WIENER_NSR
        return self._inverse(np.dstack([kr / den, -ki / den]))  # conj(K) / (|K|^2 + NSR)

    def _inverse(self, wiener: npt.NDArray[np.float32]) -> GrayImage:
        out = cv2.idft(
            cv2.mulSpectrums(self._spectrum, wiener, 0),
            flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT,
        )
        h, w = self._size
        return _u8(np.clip(out[:h, :w], 0, 255))


def _noise_level(gray: GrayImage) -> float:
    """Median |Laplacian| of a central patch: ~0-10 for camera frames, >100 in heavy noise."""
    h, w = gray.shape
    c = gray[max(0, h // 2 - 128) : h // 2 + 128, max(0, w // 2 - 128) : w // 2 + 128]
    lap = cv2.Laplacian(c, cv2.CV_16S)
    return float(np.median(np.abs(lap)))


def _bent_detections(first: list[zxingcpp.Barcode]) -> list[tuple[npt.NDArray[np.float64], int]]:
    """Corners (in the symbol's own orientation) and version of each QR code zxing-cpp located
    but could not decode, in the order _rois takes them."""
    found: list[tuple[npt.NDArray[np.float64], int]] = []
    for r in first:
        version = str(r.extra.get("Version", "")) if isinstance(r.extra, dict) else ""
        if r.valid or r.format != zxingcpp.BarcodeFormat.QRCode or not version.isdigit():
            continue
        p = r.position
        corners = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
        found.append((np.array([[c.x, c.y] for c in corners], np.float64), int(version)))
    return found


def _unbent_read(
    gray: GrayImage, bent: list[tuple[npt.NDArray[np.float64], int]], i: int
) -> tuple[str, ...]:
    if i >= len(bent):
        return ()
    flat = _unbend.rectify(gray, *bent[i])
    return () if flat is None else _zx_ok(flat)
