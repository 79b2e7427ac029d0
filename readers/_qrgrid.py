"""Re-drawing a QR code whose finder pattern is lost: the grid from what is left of the symbol.

A specular highlight on a card or a thumb over a corner can wipe out one of the three finder
patterns; zxing-cpp (like every finder-based detector) then does not see a code at all, although
most modules are still there at low contrast (ISO/IEC 18004 §6.3.3: the finders only locate the
symbol). Here the grid is rebuilt from two finder patterns and the alignment patterns (§6.3.6):

1. finder candidates: contours of a locally thresholded picture that nest a dark ring, a light
   ring and a dark centre (the 7-5-3 module squares of §6.3.3); a dark-mode region is searched
   in its negative;
2. for every pair of candidates and every role they could have (two corners of one edge, or the
   two ends of the diagonal): the version, from the version information next to a top-right or
   bottom-left finder (§6.10) or else from their distance in module steps, and a first grid
   from the finders alone (affine, or a homography through their corners when their sizes
   show a steep angle);
3. the hypotheses, ranked by how well the function patterns (finders, timing, alignment; §6.3)
   appear under a grid fitted to the nearest alignment patterns (§6.3.6), the best fitted to
   all it finds; each is sampled (module centre against the mean of its neighbourhood, so a
   washed-out area keeps what contrast it has), the function patterns are drawn in exactly,
   and the clean symbol goes to the decoder that is passed in.

Nothing is trusted here: the re-drawn symbol is a picture, and only what the decoder reads from
it after its Reed-Solomon checks (format information BCH, codeword RS) counts.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

GrayImage = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]

# Versions tried: version 1 has no alignment pattern to fit a grid to; 40 is the largest.
_MIN_VERSION: Final = 2
_MAX_VERSION: Final = 40
# At most this many finder candidates (the best by shape), grid hypotheses fitted to the
# alignment patterns and fitted grids decoded per region.
_MAX_FINDERS: Final = 4
_MAX_REFINED: Final = 6
_MAX_DECODES: Final = 2
# Alignment patterns a hypothesis is first fitted to, to rank it.
_QUICK: Final = 5
# A fitted grid is decoded only when its function patterns correlate at least this well with
# what the picture shows there.
_MIN_FIT: Final = 0.5
# An alignment pattern is accepted where its 5x5 module picture correlates at least this well
# with the ideal one (random data modules nearby stay well below it).
_ALIGN_MIN_NCC: Final = 0.7
# _noisy's median |Laplacian| above which a region is smoothed before the finder search.
_NOISE: Final = 40.0
# _dark_mode's threshold: where the median lies between the darkest and lightest grey.
_DARK_MODE: Final = 0.25
# Longest side of the region searched (larger regions are scaled down).
_MAX_SIDE: Final = 720
# Pixels per module of the grid's view of the picture that modules are sampled from.
_SAMPLE_PX: Final = 5
# Module size in pixels of the re-drawn symbol.
_DRAW_PX: Final = 4


@dataclass(frozen=True, slots=True)
class Finder:
    """A finder pattern candidate: centre, module size and the four corners of its light ring
    (the 5x5 module square inside the dark ring), in picture pixels."""

    centre: tuple[float, float]
    module: float
    ring: F64  # 4 x 2


def alignment_positions(version: int) -> list[int]:
    """Row/column coordinates of the alignment pattern centres of a version (§6.3.6, Annex E)."""
    if version == 1:
        return []
    count = version // 7 + 2
    size = 17 + 4 * version
    step = 26 if version == 32 else (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    rest = [size - 7 - i * step for i in range(count - 1)]
    return [6, *reversed(rest)]


def alignment_centres(version: int) -> list[tuple[int, int]]:
    """(row, column) of every alignment pattern of a version: all pairs of the positions but the
    three that would overlap a finder pattern (§6.3.6)."""
    pos = alignment_positions(version)
    if not pos:
        return []
    first, last = pos[0], pos[-1]
    corners = {(first, first), (first, last), (last, first)}
    return [(r, c) for r, c in itertools.product(pos, pos) if (r, c) not in corners]


def function_pattern(version: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(mask, dark) of the function patterns of a version: finders with separators, timing
    patterns, alignment patterns and the dark module (§6.3). Format and version information are
    not included: they carry data and are read from the picture."""
    n = 17 + 4 * version
    mask = np.zeros((n, n), bool)
    dark = np.zeros((n, n), bool)
    finder = np.ones((7, 7), bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for r, c in ((0, 0), (0, n - 7), (n - 7, 0)):
        dark[r : r + 7, c : c + 7] = finder
        mask[max(0, r - 1) : r + 8, max(0, c - 1) : c + 8] = True
    mask[6, :] = True
    mask[:, 6] = True
    timing = np.arange(n) % 2 == 0
    dark[6, 8 : n - 8] = timing[8 : n - 8]
    dark[8 : n - 8, 6] = timing[8 : n - 8]
    align = np.ones((5, 5), bool)
    align[1:4, 1:4] = False
    align[2, 2] = True
    for r, c in alignment_centres(version):
        mask[r - 2 : r + 3, c - 2 : c + 3] = True
        dark[r - 2 : r + 3, c - 2 : c + 3] = align
    mask[n - 8, 8] = True
    dark[n - 8, 8] = True
    return mask, dark


def _noisy(gray: GrayImage) -> bool:
    """Whether a region is dominated by sensor noise: median |Laplacian| of every other pixel
    (a camera region: < 10; heavy noise: > 40)."""
    lap = cv2.Laplacian(np.ascontiguousarray(gray[::2, ::2]), cv2.CV_16S)
    return float(np.median(np.abs(lap))) > _NOISE


def find_finders(gray: GrayImage) -> list[Finder]:
    """Finder pattern candidates in a grayscale picture, the most square first."""
    side = max(gray.shape)
    block = max(3, (side // 12) | 1)
    if _noisy(gray):
        # Heavy sensor noise turns every pixel into a speck to trace (tens of milliseconds) and
        # breaks the rings; a median keeps edges of modules several pixels wide.
        gray = np.asarray(cv2.medianBlur(gray, 5), np.uint8)
    # 4 grey levels below the local mean: sensor noise in flat areas stays light (each speck
    # is a contour to trace), a finder ring washed out to low contrast stays dark.
    dark = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 4
    )
    contours, hierarchy = cv2.findContours(dark, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    tree = hierarchy[0]
    # A hole (light 5x5 ring) inside a dark outline, holding exactly one dark square (its first
    # child with no sibling); picked from the hierarchy at once, since a noisy region has
    # thousands of contours.
    nxt, prv, first, parent = tree[:, 0], tree[:, 1], tree[:, 2], tree[:, 3]
    holes = np.nonzero((parent >= 0) & (first >= 0))[0]
    holes = holes[(nxt[first[holes]] < 0) & (prv[first[holes]] < 0)]
    found: list[tuple[float, Finder]] = []
    for hole in (int(h) for h in holes):
        child = int(first[hole])
        a_hole = cv2.contourArea(contours[hole])
        a_core = cv2.contourArea(contours[child])
        if a_core < 4 or a_hole < 9:
            continue
        ratio = a_hole / a_core  # 25 / 9 for an ideal finder
        if not 1.6 < ratio < 5.5:
            continue
        rect = cv2.minAreaRect(contours[hole])
        (cx, cy), (w, h), _ = rect
        if min(w, h) < 5 or max(w, h) > 2.2 * min(w, h):
            continue
        m = cv2.moments(contours[child])
        if m["m00"] <= 0:
            continue
        kx, ky = m["m10"] / m["m00"], m["m01"] / m["m00"]
        module = (math.sqrt(a_hole) / 5 + math.sqrt(a_core) / 3) / 2
        if math.hypot(kx - cx, ky - cy) > module:
            continue
        peri = cv2.arcLength(contours[hole], True)
        poly = cv2.approxPolyDP(contours[hole], 0.08 * peri, True).reshape(-1, 2)
        if len(poly) != 4 or not cv2.isContourConvex(poly):
            poly = cv2.boxPoints(rect)
        ring = np.asarray(poly, np.float64).reshape(4, 2)
        squareness = min(w, h) / max(w, h)
        shape = squareness - abs(math.log(ratio / (25 / 9)))
        found.append((shape, Finder(((cx + kx) / 2, (cy + ky) / 2), module, ring)))
    found.sort(key=lambda f: -f[0])
    out: list[Finder] = []
    for _, f in found:
        if all(math.dist(f.centre, g.centre) > 3 * g.module for g in out):
            out.append(f)
        if len(out) == _MAX_FINDERS:
            break
    return out


# The roles two finders can have: top-left, top-right, bottom-left (§6.3.3); the corners of a
# finder's light ring relative to its centre, in modules.
_ROLE_PAIRS: Final = (("TL", "TR"), ("TL", "BL"), ("TR", "BL"))
_RING: Final = np.array([[-2.5, -2.5], [2.5, -2.5], [2.5, 2.5], [-2.5, 2.5]])


def _role_centre(role: str, n: int) -> tuple[float, float]:
    """Module coordinates (x = column, y = row) of a finder's centre by role, n modules across."""
    far = n - 3.5
    return {"TL": (3.5, 3.5), "TR": (far, 3.5), "BL": (3.5, far)}[role]


@dataclass(frozen=True, slots=True)
class _Hypothesis:
    version: int
    finders: tuple[tuple[Finder, str], ...]
    homography: F64
    # The correspondences it was fitted to: module coordinates -> picture pixels.
    src: tuple[tuple[float, float], ...]
    dst: tuple[tuple[float, float], ...]
    # Whether the finders' corners alone fix the perspective (see _initial).
    perspective: bool = False


def _project(h: F64, pts: F64) -> F64:
    """Module coordinates (k x 2) to picture pixels under homography h."""
    p = np.c_[pts, np.ones(len(pts))] @ h.T
    return np.asarray(p[:, :2] / p[:, 2:3], np.float64)


def _spans(landmarks: list[tuple[float, float]], n: int) -> bool:
    """Whether landmarks (module coordinates) cover enough of an n-module symbol to pin its
    perspective: at least four, enclosing over 15 % of its area."""
    if len(landmarks) < 4:
        return False
    hull = cv2.convexHull(np.asarray(landmarks, np.float32))
    return float(cv2.contourArea(hull)) > 0.15 * n * n


def _fit(
    src: list[tuple[float, float]],
    dst: list[tuple[float, float]],
    landmarks: list[tuple[float, float]],
    n: int,
    perspective: bool = False,
) -> F64:
    """The least-squares homography through the correspondences when the landmarks (finder and
    alignment centres, module coordinates) span the symbol, else the least-squares affine map:
    landmarks along one line (two finders and the alignment patterns between them) leave the
    perspective across that line undetermined, and a homography would extrapolate it wildly."""
    s = np.asarray(src, np.float64)
    d = np.asarray(dst, np.float64)
    if (perspective or _spans(landmarks, n)) and len(s) >= 4:
        h, _ = cv2.findHomography(s, d, 0)
        if h is not None and abs(float(np.linalg.det(h))) > 1e-12:
            return np.asarray(h, np.float64)
    a, *_ = np.linalg.lstsq(np.c_[s, np.ones(len(s))], d, rcond=None)
    return np.asarray(np.r_[a.T, [[0.0, 0.0, 1.0]]], np.float64)


def _sample(gray32: npt.NDArray[np.float32], h: F64, pts: F64) -> npt.NDArray[np.float32]:
    """Picture values at module coordinates pts (k x 2), bilinear; outside the picture: nan."""
    xy = _project(h, pts).astype(np.float32)
    out = cv2.remap(
        gray32,
        xy[:, 0].reshape(-1, 1),
        xy[:, 1].reshape(-1, 1),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=float("nan"),
    )
    return np.asarray(out, np.float32).reshape(-1)


def _ncc(values: npt.NDArray[np.float32], dark: npt.NDArray[np.bool_]) -> float:
    """How well sampled values match a dark/light pattern (1: perfectly, 0: not at all)."""
    ok = np.isfinite(values)
    if int(ok.sum()) < 8:
        return -1.0
    v = values[ok] - float(values[ok].mean())
    t = np.where(dark[ok], -1.0, 1.0)
    t = t - float(t.mean())
    den = float(np.sqrt(np.sum(v * v) * np.sum(t * t)))
    return float(np.sum(v * t)) / den if den > 0 else -1.0


# The alignment pattern as a template at _PATCH_PX pixels per module, and the search window:
# 1.5 modules either way of where the grid puts it.
_PATCH_PX: Final = 4
_SEARCH: Final = 1.5
# ... and 3 modules while the grid is still affine: seen at an angle, a code's modules grow
# towards the near side, and the affine grid from two finders misplaces the far patterns.
_SEARCH_AFFINE: Final = 3.0
# Two finders whose module sizes differ by more than this factor: a code at a steep angle.
_STEEP: Final = 1.15
_ALIGN_TEMPLATE: Final = np.where(
    function_pattern(2)[1][16:21, 16:21], 0.0, 255.0
).astype(np.float32).repeat(_PATCH_PX, 0).repeat(_PATCH_PX, 1)


def _find_alignment(
    gray32: npt.NDArray[np.float32], h: F64, col: int, row: int, search: float = _SEARCH
) -> tuple[float, float] | None:
    """Picture position of the alignment pattern centred on module (row, col), searched within
    search modules of where h puts it; None when nothing there looks like one."""
    half = 2.5 + search  # modules from the centre to the patch's edge
    side = round(2 * half * _PATCH_PX)
    x0, y0 = col + 0.5 - half, row + 0.5 - half
    # Patch pixel -> module coordinates -> picture: the patch is the grid's view of the area,
    # so the pattern looks square in it whatever the angle.
    k = 1 / _PATCH_PX
    to_module = np.array([[k, 0, x0 + k / 2], [0, k, y0 + k / 2], [0, 0, 1]])
    x1, y1 = x0 + 2 * half, y0 + 2 * half
    corners = _project(h, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    hgt, wid = gray32.shape
    if corners.min() < 0 or corners[:, 0].max() >= wid or corners[:, 1].max() >= hgt:
        return None
    patch = cv2.warpPerspective(
        gray32, h @ to_module, (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    )
    scores = cv2.matchTemplate(patch, _ALIGN_TEMPLATE, cv2.TM_CCOEFF_NORMED)
    _, best, _, (bx, by) = cv2.minMaxLoc(scores)
    if not best >= _ALIGN_MIN_NCC:
        return None
    # Sub-pixel position: a parabola through the best score and its neighbours on each axis.
    fx = float(bx) + (_peak(scores[by, bx - 1 : bx + 2]) if 0 < bx < scores.shape[1] - 1 else 0.0)
    fy = float(by) + (_peak(scores[by - 1 : by + 2, bx]) if 0 < by < scores.shape[0] - 1 else 0.0)
    centre = side / 2 - _ALIGN_TEMPLATE.shape[0] / 2  # the template's top-left at no offset
    cx = col + 0.5 + (fx - centre) / _PATCH_PX
    cy = row + 0.5 + (fy - centre) / _PATCH_PX
    x, y = _project(h, np.array([[cx, cy]]))[0]
    return float(x), float(y)


def _peak(three: npt.ArrayLike) -> float:
    """Offset (-0.5..0.5 samples) of the vertex of the parabola through three equally spaced
    values around a maximum."""
    left, mid, right = (float(v) for v in np.asarray(three, np.float64))
    den = left - 2 * mid + right
    if not math.isfinite(den) or den >= 0:
        return 0.0
    return max(-0.5, min(0.5, 0.5 * (left - right) / den))


def _version_code(version: int) -> int:
    """The 18-bit version information of a version: 6 bits and their BCH(18,6) remainder
    (§6.10, Annex D; generator 0x1F25)."""
    rem = version
    for _ in range(12):
        rem = (rem << 1) ^ ((rem >> 11) * 0x1F25)
    return version << 12 | rem


_VERSION_CODES: Final = {v: _version_code(v) for v in range(7, _MAX_VERSION + 1)}


def _read_version(
    gray32: npt.NDArray[np.float32], h: F64, finders: tuple[tuple[Finder, str], ...], n: int
) -> int | None:
    """The version read from the version information next to the top-right or bottom-left
    finder (§6.10: two copies; BCH(18,6) corrects up to 3 wrong bits in each), or None.

    The blocks sit within a few modules of their finder, so the first grid (exact at the
    finders, approximate in between) finds them even when it has the size wrong."""
    best: tuple[int, int] | None = None
    i = np.arange(18)
    for _, role in finders:
        if role == "TR":
            bits = np.c_[n - 11 + i % 3, i // 3]
            dark = np.c_[np.full(7, n - 7), np.arange(7)]
            light = np.c_[np.full(7, n - 8), np.arange(7)]
        elif role == "BL":
            bits = np.c_[i // 3, n - 11 + i % 3]
            dark = np.c_[np.arange(7), np.full(7, n - 7)]
            light = np.c_[np.arange(7), np.full(7, n - 8)]
        else:
            continue
        vals = _sample(gray32, h, (bits + 0.5).astype(np.float64))
        lo = _sample(gray32, h, (dark + 0.5).astype(np.float64))
        hi = _sample(gray32, h, (light + 0.5).astype(np.float64))
        if not (np.all(np.isfinite(vals)) and np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            continue
        threshold = (float(np.median(lo)) + float(np.median(hi))) / 2
        word = sum(1 << int(k) for k in i if vals[k] < threshold)
        for version, code in _VERSION_CODES.items():
            wrong = (word ^ code).bit_count()
            if wrong <= 3 and (best is None or wrong < best[1]):
                best = (version, wrong)
    return None if best is None else best[0]


def _step_along(f: Finder, e: F64, diagonal: bool) -> float:
    """Pixels per module step of the grid along unit direction e at finder f: its ring's sides
    that run along e (the ring is 5 modules wide), or its diagonal (5 steps of one module
    across and one down). Seen at an angle, a module is longer one way than the other; the
    finders' mean size would misjudge the distance between them."""
    p = f.ring
    if diagonal:
        vecs = np.array([p[2] - p[0], p[3] - p[1]])
    else:
        vecs = np.array([p[1] - p[0], p[2] - p[1], p[3] - p[2], p[0] - p[3]])
    lengths = np.hypot(vecs[:, 0], vecs[:, 1])
    along = np.abs(vecs @ e) / np.maximum(lengths, 1e-9)
    best = np.argsort(-along)[: 1 if diagonal else 2]
    return max(float(lengths[best].mean()) / 5, 1e-3)


def _hypotheses(finders: list[Finder], gray32: npt.NDArray[np.float32]) -> Iterator[_Hypothesis]:
    """Every (version, roles) two finder candidates could be, with their first affine grid."""
    shape = (int(gray32.shape[0]), int(gray32.shape[1]))
    for a, b in itertools.permutations(finders, 2):
        if not 0.6 < a.module / b.module < 1.6:
            continue
        d = math.dist(a.centre, b.centre)
        e = (np.asarray(b.centre) - np.asarray(a.centre)) / max(d, 1e-9)
        for ra, rb in _ROLE_PAIRS:
            diagonal = (ra, rb) == ("TR", "BL")
            step = (_step_along(a, e, diagonal) + _step_along(b, e, diagonal)) / 2
            n_est = d / step + 7
            v_est = min(_MAX_VERSION, max(_MIN_VERSION, round((n_est - 17) / 4)))
            # The estimate is within a version of the truth; the version information, where it
            # reads, settles it.
            pair = ((a, ra), (b, rb))
            first = _initial(a, ra, b, rb, 17 + 4 * v_est, shape)
            read = None if first is None else _read_version(gray32, first[0], pair, 17 + 4 * v_est)
            if read is not None and abs(17 + 4 * read - n_est) <= 0.35 * n_est:
                versions = [read]
            else:
                near = range(v_est - 1, v_est + 2)
                versions = [v for v in near if _MIN_VERSION <= v <= _MAX_VERSION]
            for version in versions:
                fitted = _initial(a, ra, b, rb, 17 + 4 * version, shape)
                if fitted is not None:
                    h, src, dst, steep = fitted
                    yield _Hypothesis(version, pair, h, tuple(src), tuple(dst), steep)


_Fitted = tuple[F64, list[tuple[float, float]], list[tuple[float, float]], bool]


def _initial(
    a: Finder, ra: str, b: Finder, rb: str, n: int, shape: tuple[int, int]
) -> _Fitted | None:
    ma, mb = complex(*_role_centre(ra, n)), complex(*_role_centre(rb, n))
    ca, cb = complex(*a.centre), complex(*b.centre)
    # The similarity module -> picture through both centres (a code is never seen mirrored).
    k = (cb - ca) / (mb - ma)
    if not 0.6 < abs(k) / ((a.module + b.module) / 2) < 1.6:
        return None
    # Each finder's own edges must run along the grid's axes (mod 90 degrees).
    for f in (a, b):
        edge = f.ring[1] - f.ring[0]
        diff = (math.atan2(edge[1], edge[0]) - math.atan2(k.imag, k.real)) % (math.pi / 2)
        if min(diff, math.pi / 2 - diff) > math.radians(25):
            return None
    off = ca - k * ma
    corners = [k * complex(x, y) + off for x, y in ((0, 0), (n, 0), (n, n), (0, n))]
    hgt, wid = shape
    margin = 3 * abs(k)
    inside = (-margin < c.real < wid + margin and -margin < c.imag < hgt + margin for c in corners)
    if not all(inside):
        return None
    src: list[tuple[float, float]] = []
    dst: list[tuple[float, float]] = []
    for f, m in ((a, ma), (b, mb)):
        src.append((m.real, m.imag))
        dst.append(f.centre)
        for dx, dy in _RING:
            p = k * (m + complex(dx, dy)) + off
            dist = np.hypot(f.ring[:, 0] - p.real, f.ring[:, 1] - p.imag)
            j = int(np.argmin(dist))
            if dist[j] < 1.5 * abs(k):
                src.append((m.real + dx, m.imag + dy))
                dst.append((float(f.ring[j, 0]), float(f.ring[j, 1])))
    if len(src) < 6:
        return None  # the finders' corners did not match the grid: not these roles
    # Finders of clearly different sizes: the code is seen at a steep angle and an affine grid
    # would be off by modules at the far side; the eight ring corners then fix the perspective
    # well enough to start from (on a code seen square on, their pixel rounding would not).
    perspective = max(a.module, b.module) > _STEEP * min(a.module, b.module)
    return _fit(src, dst, [], n, perspective), src, dst, perspective


@functools.lru_cache(maxsize=8)
def _function_modules(version: int) -> tuple[F64, npt.NDArray[np.bool_]]:
    """Centres (module coordinates) and colours of a version's function pattern modules."""
    mask, dark = function_pattern(version)
    rows, cols = np.nonzero(mask)
    return np.c_[cols + 0.5, rows + 0.5].astype(np.float64), dark[rows, cols]


def _score(gray32: npt.NDArray[np.float32], hyp: _Hypothesis) -> float:
    """How well the function patterns appear under a hypothesis's grid."""
    pts, dark = _function_modules(hyp.version)
    return _ncc(_sample(gray32, hyp.homography, pts), dark)


def _refine(
    gray32: npt.NDArray[np.float32], hyp: _Hypothesis, limit: int | None = None
) -> _Hypothesis:
    """The grid fitted to every alignment pattern found (of the first limit looked for, when
    given), nearest to the finders first."""
    n = 17 + 4 * hyp.version
    src, dst = list(hyp.src), list(hyp.dst)
    known = [_role_centre(role, n) for _, role in hyp.finders]
    todo = alignment_centres(hyp.version)
    todo.sort(key=lambda rc: min(math.dist((rc[1] + 0.5, rc[0] + 0.5), k) for k in known))
    todo = todo[:limit] if limit is not None else todo
    h = hyp.homography
    landmarks = list(known)
    for r, c in todo:
        search = _SEARCH if _spans(landmarks, n) else _SEARCH_AFFINE
        at = _find_alignment(gray32, h, c, r, search)
        if at is None:
            continue
        src.append((c + 0.5, r + 0.5))
        dst.append(at)
        landmarks.append((c + 0.5, r + 0.5))
        # Refitting costs a homography; once a few are in, new ones hardly move the grid.
        if len(landmarks) <= 6 or len(landmarks) % 3 == 0:
            h = _fit(src, dst, landmarks, n, hyp.perspective)
    if len(landmarks) > 6 and len(landmarks) % 3:
        h = _fit(src, dst, landmarks, n, hyp.perspective)
    return _Hypothesis(hyp.version, hyp.finders, h, tuple(src), tuple(dst), hyp.perspective)


def sample_modules(gray: GrayImage, version: int, h: F64) -> npt.NDArray[np.bool_]:
    """The symbol's modules (True = dark) under grid h, each against the mean of its 7x7
    neighbourhood, with the function patterns drawn in as they must be."""
    n = 17 + 4 * version
    # The picture seen through the grid at _SAMPLE_PX pixels per module (one warp), then the
    # mean of the middle 3x3 pixels of each module: its central 0.6 module, where neighbours'
    # blur reaches least.
    k = _SAMPLE_PX
    to_module = np.array([[1 / k, 0, 0.5 / k], [0, 1 / k, 0.5 / k], [0, 0, 1]])
    view = cv2.warpPerspective(
        gray.astype(np.float32),
        h @ to_module,
        (n * k, n * k),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderValue=255.0,
    )
    vals = np.asarray(cv2.blur(view, (3, 3))[k // 2 :: k, k // 2 :: k], np.float32)
    local = cv2.blur(vals, (7, 7), borderType=cv2.BORDER_REFLECT)
    modules = vals < local
    mask, dark = function_pattern(version)
    modules[mask] = dark[mask]
    return np.asarray(modules, bool)


def draw(modules: npt.NDArray[np.bool_]) -> GrayImage:
    """A clean picture of a module matrix: black on white, 4-module quiet zone (§6.3.8)."""
    m = np.pad(modules, 4, constant_values=False)
    img = np.where(m, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img.repeat(_DRAW_PX, 0).repeat(_DRAW_PX, 1))


def read(
    gray: GrayImage,
    decode: Callable[[GrayImage], tuple[str, ...]],
    stop: Callable[[], bool] | None = None,
) -> tuple[str, ...]:
    """Texts decode() reads from symbols re-drawn from grids found in gray (a code region).

    stop: asked between the steps that cost (finder search, each grid fitted); True ends the
    search with what was read so far (a frame's time budget is spent)."""
    done = stop if stop is not None else _never
    side = max(gray.shape)
    if side > _MAX_SIDE:
        # A big region holds a big code (a phone close to the camera; its modules stay several
        # pixels wide at this size): tracing contours costs by the pixel.
        f = _MAX_SIDE / side
        small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        gray = np.asarray(small, np.uint8)
    if _dark_mode(gray):
        # A dark-mode screen shows the code light on dark: its negative is an ordinary code.
        gray = np.ascontiguousarray(255 - gray)
    try:
        return _read(gray, decode, done)
    except (cv2.error, np.linalg.LinAlgError):
        # Degenerate geometry from an arbitrary picture (points that coincide, a singular
        # fit) means there is no grid here, not a failure of the camera.
        return ()


def _dark_mode(gray: GrayImage) -> bool:
    """Whether a region shows a light-on-dark code: its median grey sits near its darkest
    (the dark screen around and between the light modules) rather than near its lightest, as
    on paper or a light screen, however dark the scene (ratio <= 0.2 against >= 0.3 on the
    corpus's regions; low light keeps paper the lightest thing in view)."""
    p2, p50, p98 = (float(v) for v in np.percentile(gray[::2, ::2], (2, 50, 98)))
    return p98 - p2 > 24 and p50 - p2 < _DARK_MODE * (p98 - p2)


def _never() -> bool:
    return False


def _read(
    gray: GrayImage, decode: Callable[[GrayImage], tuple[str, ...]], stop: Callable[[], bool]
) -> tuple[str, ...]:
    finders = find_finders(gray)
    if len(finders) < 2 or stop():
        return ()
    gray32 = gray.astype(np.float32)
    hyps = _distinct(sorted(_hypotheses(finders, gray32), key=lambda x: -_score(gray32, x)))
    # The first grid ranks the right hypothesis among the first few, and fitted to the nearest
    # alignment patterns it stands out (on the corpus its function patterns correlate > 0.75
    # where the others' stay below 0.7); only the best are fitted to all of them and decoded.
    quick: list[tuple[float, _Hypothesis]] = []
    for h in hyps[:_MAX_REFINED]:
        if stop():
            return ()
        quick.append((_score(gray32, _refine(gray32, h, _QUICK)), h))
    quick.sort(key=lambda sh: -sh[0])
    for _, hyp in quick[:_MAX_DECODES]:
        if stop():
            return ()
        fitted = _refine(gray32, hyp)
        if _score(gray32, fitted) < _MIN_FIT:
            continue
        texts = decode(draw(sample_modules(gray, fitted.version, fitted.homography)))
        if texts:
            return texts
    return ()


def _distinct(hyps: list[_Hypothesis]) -> list[_Hypothesis]:
    """hyps without repeats: three finders give the same grid from each of their pairs."""
    out: list[_Hypothesis] = []
    seen: list[tuple[int, F64, float]] = []
    for h in hyps:
        n = 17 + 4 * h.version
        corners = _project(h.homography, np.array([[0, 0], [n, 0], [n, n], [0, n]], np.float64))
        module = float(np.linalg.norm(corners[1] - corners[0])) / n
        if any(v == h.version and float(np.abs(c - corners).max()) < 2 * m for v, c, m in seen):
            continue
        seen.append((h.version, corners, module))
        out.append(h)
    return out
