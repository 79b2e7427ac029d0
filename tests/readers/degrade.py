"""Deterministic gate-camera degradation: turn a clean picture into what a 720p gate camera sees.

Test and benchmark code, not part of the product: the QR tests (tests/readers), the card tests
(tests/service/test_printcard.py) and the benchmarks (bench/bench_qr.py,
bench/bench_printcard_wedge.py) build their frames with it, and anyone can check that a printed
or on-screen design still scans (e.g. a card PDF raster): ``degrade(image, family, seed)``.
Every random choice comes from ``numpy.random.Generator(PCG64(seed))`` and OpenCV's operations are
deterministic, so the same (image, family, seed) always gives the same frame.

The families are the failure modes seen on pictures from real gate cameras: blur, motion blur,
tilt, glare, JPEG, low light, noise, occlusion, crumpled paper, phone screens incl. dark mode.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from typing import Final, Literal

import cv2
import numpy as np
import numpy.typing as npt
import qrcode
import qrcode.constants

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

FAMILIES: Final = (
    "clean",
    "blur",
    "motion_blur",
    "tilt",
    "glare",
    "jpeg",
    "low_light",
    "noise",
    "occlusion",
    "crumpled",
    "phone_screen",
    "phone_dark",
)
"""Degradation families; ``clean`` applies only the mild camera look every family shares."""

DEGRADED_FAMILIES: Final = FAMILIES[1:]

Look = Literal["card", "phone", "phone_dark"]

FRAME_SIZE: Final = (1280, 720)  # width, height of a typical gate camera
_MAX_INPUT_PIXELS: Final = 25_000_000  # a 300 dpi A4 raster is ~8.7 M; anything bigger is a bug
# Base45 alphabet (RFC 9285), the characters a PK1/HC1 payload is made of (PK1 spec §1).
BASE45_ALPHABET: Final = string.digits + string.ascii_uppercase + " $%*+-./:"


class DegradeError(ValueError):
    """degrade() was given something that is not a picture or an unknown family."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One corpus frame: the camera picture (BGR) and the payload its QR code carries."""

    frame: U8
    payload: str
    family: str
    look: Look
    seed: int
    module_px: float  # QR module size in the frame before perspective (px per module)


def pk1_like_payload(rng: np.random.Generator, length: int | None = None) -> str:
    """A text shaped like a real PK1 token: ``PK1:`` + 200-300 Base45 characters."""
    n = int(rng.integers(200, 301)) if length is None else length
    idx = rng.integers(0, len(BASE45_ALPHABET), size=n)
    return "PK1:" + "".join(BASE45_ALPHABET[i] for i in idx)


def qr_matrix(text: str, ec: Literal["L", "M", "Q", "H"]) -> npt.NDArray[np.bool_]:
    """The QR module matrix (True = dark) for text, without quiet zone; alphanumeric mode when
    the text allows it (qrcode picks the densest mode), as PK1 spec §1 requires."""
    level = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }[ec]
    q = qrcode.QRCode(error_correction=level, border=0)
    q.add_data(text)
    q.make(fit=True)
    return np.array(q.get_matrix(), dtype=bool)


def render_qr(text: str, ec: Literal["L", "M", "Q", "H"] = "Q", module_px: int = 4) -> U8:
    """A clean grayscale QR picture with a 4-module quiet zone (black on white)."""
    m = qr_matrix(text, ec)
    m = np.pad(m, 4, constant_values=False)
    img = np.where(m, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img.repeat(module_px, 0).repeat(module_px, 1))


def render_look(
    text: str, look: Look, rng: np.random.Generator, module_px: int = 8
) -> tuple[U8, tuple[int, int, int, int], int]:
    """A clean printed card or phone screen carrying text as QR.

    Returns (grayscale picture, QR box incl. quiet zone as x0, y0, x1, y1, modules across the box).
    Cards are printed with EC H, phones show EC Q (PK1 spec §1).
    """
    ec: Literal["Q", "H"] = "H" if look == "card" else "Q"
    qr = render_qr(text, ec, module_px)
    side = qr.shape[0]
    modules = side // module_px
    if look == "card":
        # ID-1 card proportions (85.6 x 54 mm), QR on the right, text-like bars on the left.
        h = int(side * 1.15)
        w = int(h * 85.6 / 54)
        paper = int(rng.integers(225, 250))
        card = np.full((h, w), paper, np.uint8)
        y0 = (h - side) // 2
        x0 = w - side - (h - side) // 2
        card[y0 : y0 + side, x0 : x0 + side] = np.where(qr > 0, paper, 25)
        for i in range(6):
            bar_w = int(rng.integers(w // 8, x0 - w // 12))
            yy = h // 10 + i * h // 8
            cv2.rectangle(card, (w // 16, yy), (w // 16 + bar_w, yy + h // 22), 70, -1)
        return card, (x0, y0, x0 + side, y0 + side), modules
    # Phone: bezel, a coloured header bar, the code in the middle of an emissive screen.
    dark = look == "phone_dark"
    sw = int(side * 1.25)
    sh = int(sw * 2.0)
    bz = sw // 14
    phone = np.full((sh + 2 * bz, sw + 2 * bz), 15, np.uint8)
    bg = int(rng.integers(18, 40)) if dark else int(rng.integers(235, 256))
    fg = int(rng.integers(200, 235)) if dark else int(rng.integers(0, 30))
    screen = np.full((sh, sw), bg, np.uint8)
    cv2.rectangle(screen, (0, 0), (sw, sh // 9), 110 if dark else 150, -1)
    y0 = (sh - side) // 2
    x0 = (sw - side) // 2
    # Dark mode draws light modules on a dark ground: the code is inverted (zxing-cpp reads
    # that, zbar does not).
    screen[y0 : y0 + side, x0 : x0 + side] = np.where(qr > 0, bg, fg)
    phone[bz : bz + sh, bz : bz + sw] = screen
    return phone, (bz + x0, bz + y0, bz + x0 + side, bz + y0 + side), modules


def make_sample(
    family: str, seed: int, payload: str | None = None, *, noise_seed: int | None = None
) -> Sample:
    """One deterministic corpus frame: a PK1-like code on a card or phone, degraded by family.

    noise_seed: another video frame of the same still scene (same code, pose and light, fresh
    sensor noise), see degrade().
    """
    if family not in FAMILIES:
        raise DegradeError(f"expected a family in {FAMILIES}, got {family!r}")
    rng = np.random.Generator(np.random.PCG64([seed, FAMILIES.index(family)]))
    text = payload if payload is not None else pk1_like_payload(rng)
    look: Look
    if family == "phone_screen":
        look = "phone"
    elif family == "phone_dark":
        look = "phone_dark"
    elif family == "crumpled":
        look = "card"  # only paper crumples
    else:
        look = "card" if rng.random() < 0.5 else "phone"
    img, box, modules = render_look(text, look, rng)
    # Distance to the camera: 2.2 .. 6 px per module; below ~2 px per module no decoder reads
    # gate-camera frames reliably, so the corpus stays just above that edge.
    module_px = float(rng.uniform(2.2, 6.0))
    focus_px = module_px * modules
    frame = degrade(img, family, seed, focus=box, focus_width_px=focus_px, noise_seed=noise_seed)
    return Sample(frame, text, family, look, seed, module_px)


def degrade(
    image: npt.NDArray[np.uint8],
    family: str,
    seed: int,
    *,
    focus: tuple[int, int, int, int] | None = None,
    focus_width_px: float | None = None,
    frame_size: tuple[int, int] = FRAME_SIZE,
    noise_seed: int | None = None,
) -> U8:
    """The gate camera's view (BGR, frame_size) of image degraded by family, deterministically.

    focus: the box (x0, y0, x1, y1) in image pixels that matters (e.g. the QR code); occlusion and
    glare aim at it. focus_width_px: how wide that box appears in the frame; by default the whole
    picture spans 30-60 % of the frame width. noise_seed: when given, the per-pixel noise comes
    from it instead of seed, so consecutive video frames of one still scene differ only in noise.
    """
    if family not in FAMILIES:
        raise DegradeError(f"expected a family in {FAMILIES}, got {family!r}")
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or image.size == 0:
        raise DegradeError(
            f"expected a non-empty uint8 grayscale/BGR picture, got {image.dtype} {image.shape}"
        )
    if image.shape[0] * image.shape[1] > _MAX_INPUT_PIXELS:
        raise DegradeError(
            f"expected at most {_MAX_INPUT_PIXELS} pixels, got {image.shape[0] * image.shape[1]}"
        )
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    rng = np.random.Generator(np.random.PCG64([seed, 7919, FAMILIES.index(family)]))
    nrng = (
        rng
        if noise_seed is None
        else np.random.Generator(np.random.PCG64([seed, 104729, noise_seed]))
    )
    h, w = gray.shape
    fx0, fy0, fx1, fy1 = focus if focus is not None else (0, 0, w, h)
    fw = max(1, fx1 - fx0)
    W, H = frame_size
    # Pixels of the frame per pixel of the picture.
    scale = float(rng.uniform(0.3, 0.6)) * W / w if focus_width_px is None else focus_width_px / fw
    src = gray.astype(np.float32)

    if family == "crumpled":
        src = _crumple(src, rng)
    if family in ("phone_screen", "phone_dark"):
        src = _screen_moire(src, rng, scale)

    # Geometry: small in-plane rotation always, a perspective tilt (strong for "tilt"), and a
    # position that keeps the focus box inside the frame.
    tilt = float(rng.uniform(25, 45)) if family == "tilt" else float(rng.uniform(0, 10))
    rot = float(rng.uniform(-12, 12))
    hom = _homography(w, h, scale, rot, tilt, rng, (fx0, fy0, fx1, fy1), W, H)
    bg = _background(rng, W, H)
    canvas = cv2.warpPerspective(
        src, hom, (W, H), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0
    )
    mask = _f32(
        cv2.warpPerspective(np.ones_like(src), hom, (W, H), flags=cv2.INTER_LINEAR, borderValue=0.0)
    )
    frame = _f32(canvas) * mask + bg * (1.0 - mask)
    fbox = _warp_box(hom, (fx0, fy0, fx1, fy1))

    # Light level and optics that every frame has.
    frame = frame * float(rng.uniform(0.8, 1.0)) + float(rng.uniform(0, 20))
    frame = _f32(cv2.GaussianBlur(frame, (0, 0), float(rng.uniform(0.3, 0.7))))

    if family == "blur":
        sigma = float(rng.uniform(0.3, 0.52)) * _mpx(fbox)
        frame = _f32(cv2.GaussianBlur(frame, (0, 0), sigma))
    elif family == "motion_blur":
        frame = _motion_blur(frame, float(rng.uniform(0.9, 2.2)) * _mpx(fbox), rng)
    elif family == "glare":
        frame = _glare(frame, fbox, rng)
    elif family == "low_light":
        frame = frame * float(rng.uniform(0.06, 0.16))
        frame = frame + _f32(nrng.normal(0, float(rng.uniform(1.5, 3.0)), frame.shape))
    elif family == "noise":
        frame = frame + _f32(nrng.normal(0, float(rng.uniform(28, 55)), frame.shape))
        sp = nrng.random(frame.shape)
        frame[sp < 0.01] = 0
        frame[sp > 0.99] = 255
    elif family == "occlusion":
        frame = _occlude(frame, fbox, rng)
    elif family in ("phone_screen", "phone_dark"):
        frame = _glare(frame, fbox, rng, strength=float(rng.uniform(0.2, 0.6)))
        frame = _f32(cv2.GaussianBlur(frame, (0, 0), float(rng.uniform(0.4, 0.9))))

    # Sensor noise, then the camera's own compression.
    frame = frame + _f32(nrng.normal(0, float(rng.uniform(1.5, 4.0)), frame.shape))
    out = np.clip(frame, 0, 255).astype(np.uint8)
    quality = int(rng.integers(4, 16)) if family == "jpeg" else int(rng.integers(75, 92))
    ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - libjpeg failing on a valid array is not expected
        raise DegradeError("expected JPEG encoding of a uint8 frame to succeed")
    dec = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    if dec is None:  # pragma: no cover - decoding our own JPEG is not expected to fail
        raise DegradeError("expected the frame's own JPEG to decode")
    return np.ascontiguousarray(cv2.cvtColor(dec, cv2.COLOR_GRAY2BGR), dtype=np.uint8)


def _f32(a: object) -> F32:
    return np.asarray(a, dtype=np.float32)


def _mpx(fbox: tuple[float, float, float, float]) -> float:
    """A rough module size in frame pixels: focus width / 70 (QR versions 10-15 + quiet zone)."""
    return max(1.0, (fbox[2] - fbox[0]) / 70.0)


def _homography(
    w: int,
    h: int,
    scale: float,
    rot_deg: float,
    tilt_deg: float,
    rng: np.random.Generator,
    focus: tuple[int, int, int, int],
    W: int,
    H: int,
) -> npt.NDArray[np.float64]:
    # Tilt: a plane rotated about a random in-plane axis, seen by a pinhole camera.
    f = 1.2 * W
    axis = float(rng.uniform(0, 2 * math.pi))
    t = math.radians(tilt_deg)
    ax = np.array([math.cos(axis), math.sin(axis), 0.0])
    rvec = ax * t
    R, _ = cv2.Rodrigues(rvec)
    cx, cy = (focus[0] + focus[2]) / 2, (focus[1] + focus[3]) / 2
    pts = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    world = np.c_[(pts[:, 0] - cx) * scale, (pts[:, 1] - cy) * scale, np.zeros(4)]
    cam = world @ R.T + np.array([0.0, 0.0, f])
    proj = cam[:, :2] * (f / cam[:, 2:3])
    c, s = math.cos(math.radians(rot_deg)), math.sin(math.radians(rot_deg))
    proj = proj @ np.array([[c, -s], [s, c]]).T
    fw = (focus[2] - focus[0]) * scale
    fh = (focus[3] - focus[1]) * scale
    mx = max(0.0, W / 2 - fw * 0.75)
    my = max(0.0, H / 2 - fh * 0.75)
    centre = np.array([W / 2 + rng.uniform(-mx, mx), H / 2 + rng.uniform(-my, my)])
    dst = (proj + centre).astype(np.float32)
    return np.asarray(cv2.getPerspectiveTransform(pts.astype(np.float32), dst), np.float64)


def _warp_box(
    hom: npt.NDArray[np.float64], box: tuple[int, int, int, int]
) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    pts = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32)
    out = cv2.perspectiveTransform(pts, hom)[0]
    return (
        float(out[:, 0].min()),
        float(out[:, 1].min()),
        float(out[:, 0].max()),
        float(out[:, 1].max()),
    )


def _background(rng: np.random.Generator, W: int, H: int) -> F32:
    # A smooth gradient plus low-frequency clutter: a gate, a wall, a coat.
    small = rng.uniform(40, 180, size=(6, 10)).astype(np.float32)
    bg = cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(3, 9))):
        x, y = int(rng.integers(0, W)), int(rng.integers(0, H))
        cv2.rectangle(
            bg,
            (x, y),
            (x + int(rng.integers(20, 300)), y + int(rng.integers(20, 300))),
            float(rng.uniform(20, 220)),
            -1,
        )
    return np.asarray(cv2.GaussianBlur(bg, (0, 0), 3.0), np.float32)


def _motion_blur(frame: F32, length: float, rng: np.random.Generator) -> F32:
    n = max(3, round(length) | 1)
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    k = _f32(cv2.warpAffine(k, rot, (n, n)))
    k /= max(float(k.sum()), 1e-6)
    return np.asarray(cv2.filter2D(frame, -1, k), np.float32)


def _glare(
    frame: F32,
    fbox: tuple[float, float, float, float],
    rng: np.random.Generator,
    strength: float | None = None,
) -> F32:
    # A specular highlight: an elliptical bright blob that washes out part of the code.
    x0, y0, x1, y1 = fbox
    H, W = frame.shape
    cx = float(rng.uniform(x0, x1))
    cy = float(rng.uniform(y0, y1))
    r = float(rng.uniform(0.15, 0.4)) * max(x1 - x0, 1.0)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    ang = float(rng.uniform(0, math.pi))
    dx, dy = xx - cx, yy - cy
    u = (dx * math.cos(ang) + dy * math.sin(ang)) / r
    v = (-dx * math.sin(ang) + dy * math.cos(ang)) / (r * float(rng.uniform(0.35, 0.8)))
    blob = np.exp(-(u * u + v * v)).astype(np.float32)
    s = float(rng.uniform(0.55, 0.95)) if strength is None else strength
    return _f32(frame + blob * s * 400.0 * (1.0 - frame / 400.0))


def _occlude(frame: F32, fbox: tuple[float, float, float, float], rng: np.random.Generator) -> F32:
    # A thumb over an edge of the code: a skin-toned ellipse covering 5-15 % of it, coming in
    # from a side (that is how people hold cards and phones).
    x0, y0, x1, y1 = fbox
    fw, fh = x1 - x0, y1 - y0
    side = int(rng.integers(0, 4))
    t = float(rng.uniform(0.3, 0.7))
    depth = float(rng.uniform(0.12, 0.22))
    if side == 0:
        c = (x0 + t * fw, y1)
    elif side == 1:
        c = (x0 + t * fw, y0)
    elif side == 2:
        c = (x0, y0 + t * fh)
    else:
        c = (x1, y0 + t * fh)
    axes = (int(depth * fw * 1.1), int(depth * fh * 1.8))
    if side >= 2:
        axes = (axes[1], axes[0])
    out = frame.copy()
    cv2.ellipse(
        out,
        (int(c[0]), int(c[1])),
        axes,
        float(rng.uniform(-20, 20)),
        0,
        360,
        float(rng.uniform(110, 190)),
        -1,
    )
    return out


def _crumple(src: F32, rng: np.random.Generator) -> F32:
    # Paper that was folded and crumpled: a smooth random displacement plus fold shading.
    h, w = src.shape
    amp = float(rng.uniform(0.001, 0.0035)) * max(w, h)
    gx = rng.normal(0, 1, (5, 7)).astype(np.float32)
    gy = rng.normal(0, 1, (5, 7)).astype(np.float32)
    dx = cv2.resize(gx, (w, h), interpolation=cv2.INTER_CUBIC) * amp
    dy = cv2.resize(gy, (w, h), interpolation=cv2.INTER_CUBIC) * amp
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    warped = cv2.remap(src, xx + dx, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    shade = cv2.resize(
        rng.uniform(0.7, 1.05, (4, 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR
    )
    for _ in range(int(rng.integers(1, 4))):
        # A fold: a thin dark line with a soft shadow.
        p0 = (int(rng.integers(0, w)), 0)
        p1 = (int(rng.integers(0, w)), h)
        line = np.zeros((h, w), np.float32)
        cv2.line(line, p0, p1, 1.0, max(1, w // 300))
        line = _f32(cv2.GaussianBlur(line, (0, 0), max(1.0, w / 150)))
        shade = shade * (1.0 - 0.35 * line / max(float(line.max()), 1e-6))
    return np.asarray(warped * shade, np.float32)


def _screen_moire(src: F32, rng: np.random.Generator, scale: float) -> F32:
    # Filming a screen: the pixel grid beats against the sensor grid as faint stripes.
    h, w = src.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = float(rng.uniform(3.0, 9.0)) / max(scale, 1e-3)
    ang = float(rng.uniform(0, math.pi))
    wave = np.sin((xx * math.cos(ang) + yy * math.sin(ang)) * (2 * math.pi / period))
    depth = float(rng.uniform(0.05, 0.15))
    return np.asarray(src * (1.0 - depth * (0.5 + 0.5 * wave)), np.float32)
