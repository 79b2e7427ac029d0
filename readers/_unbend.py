"""Rectify a bent QR code by fitting its module grid piece by piece.

A QR decoder samples modules through one projective map from the finder patterns (and maybe
one alignment pattern). Paper that was folded and crumpled is not a plane: the code bends by a
module or two between its corners, so a single map puts many samples on the wrong module and
Reed-Solomon gives up. Yet the symbol carries its own grid references: from version 2 on,
alignment patterns sit on a regular lattice (ISO/IEC 18004 §6.3.6, Annex E), every 16-28
modules. So, starting from a detection whose decoding failed (its corners and version):

1. a projective map from the detection's four corners gives every reference point's predicted
   place;
2. each finder and alignment pattern is looked for around that place, nearest references
   first, in a small patch resampled into module space (so rotation and perspective are
   already undone and one small template fits all): its offset from the prediction is the
   local bend, and it also corrects the prediction of the references further out;
3. the bend is interpolated smoothly between references (inverse distance weighting) and the
   symbol resampled at a fixed number of pixels per module, quiet zone included;
4. references lie 16-28 modules apart and a crumple bends the paper faster than that, so what
   slips between them is measured on the resampled picture itself: module edges can only lie
   on module boundaries, so the local phase of the edges (modulo one module) is the local slip.
   It is unwrapped from the references outwards (the bend is smooth, so neighbours differ by
   less than half a module) and the symbol resampled once more.

The result is an upright, flat picture of the code for the ordinary decoder; its payload is
trusted only through that decoder's Reed-Solomon checks, as any other read.
"""

from __future__ import annotations

import heapq
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

GrayImage = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]

# Output resolution and quiet zone, in pixels per module and modules (ISO/IEC 18004 §6.3.8).
_PX: Final = 5
_QUIET: Final = 4
# How far from its prediction a reference is looked for (modules), and the weakest template
# match (normalised correlation) accepted: below it the prediction is kept.
_SEARCH: Final = 2.5
_MIN_MATCH: Final = 0.45
# Phase of the module grid: measured over windows of _PHASE_WINDOW modules on tiles every
# _PHASE_STEP modules (a crumple bends the paper over ~15 modules or more); a tile whose edge
# directions agree less than _MIN_PHASE (0: no agreement, 1: all edges on one phase) follows
# its neighbours.
_PHASE_WINDOW: Final = 7
_PHASE_STEP: Final = 4
_MIN_PHASE: Final = 0.2


def alignment_centres(version: int) -> list[int]:
    """Row/column coordinates of the alignment pattern centres of a QR version (Annex E).

    Version 1 has none; otherwise version//7 + 2 of them run from 6 to size-7 in equal even
    steps, the first step taking the remainder (version 32 is the table's one exception).
    """
    if version < 2:
        return []
    count = version // 7 + 2
    last = 17 + 4 * version - 7
    step = 26 if version == 32 else (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    return [6, *sorted(last - step * k for k in range(count - 1))]


def _f32(a: object) -> F32:
    return np.asarray(a, dtype=np.float32)


def _finder_template() -> F32:
    m = np.zeros((7, 7), np.float32)  # dark
    m[1:6, 1:6] = 1.0
    m[2:5, 2:5] = 0.0
    return _upsample(m)


def _alignment_template() -> F32:
    m = np.zeros((5, 5), np.float32)
    m[1:4, 1:4] = 1.0
    m[2, 2] = 0.0
    return _upsample(m)


def _upsample(modules: F32) -> F32:
    return np.asarray(np.kron(modules, np.ones((_PX, _PX), np.float32)), np.float32)


_FINDER: Final = _finder_template()
_ALIGNMENT: Final = _alignment_template()


class _Bend:
    """Module coordinates -> image coordinates: a projective map plus an interpolated bend."""

    def __init__(self, hom: npt.NDArray[np.float64]) -> None:
        self._hom = hom
        self._at: list[tuple[float, float]] = []  # module coordinates of found references
        self._off: list[tuple[float, float]] = []  # their image offsets from the projective map

    def add(self, module_xy: tuple[float, float], offset: tuple[float, float]) -> None:
        self._at.append(module_xy)
        self._off.append(offset)

    def references(self) -> list[tuple[float, float]]:
        return list(self._at)

    def projective(self, mx: Points, my: Points) -> tuple[Points, Points]:
        """Image x, y of module coordinates through the projective map alone."""
        h = self._hom
        w = h[2, 0] * mx + h[2, 1] * my + h[2, 2]
        x = (h[0, 0] * mx + h[0, 1] * my + h[0, 2]) / w
        return x, (h[1, 0] * mx + h[1, 1] * my + h[1, 2]) / w

    def __call__(self, mx: Points, my: Points) -> tuple[Points, Points]:
        """Image x, y of module coordinates mx, my (arrays of one shape), bend included."""
        x, y = self.projective(mx, my)
        if not self._at:
            return x, y
        at = np.asarray(self._at, np.float64)
        off = np.asarray(self._off, np.float64)
        # Inverse distance weighting (power 2, softened by a module so that a reference's own
        # patch moves with it rather than snapping to it).
        d2 = (mx[..., None] - at[:, 0]) ** 2 + (my[..., None] - at[:, 1]) ** 2 + 1.0
        wgt = 1.0 / (d2 * d2)
        wgt /= wgt.sum(axis=-1, keepdims=True)
        return x + wgt @ off[:, 0], y + wgt @ off[:, 1]


def rectify(gray: GrayImage, corners: Points, version: int) -> GrayImage | None:
    """An upright, flat picture of the QR code whose four outer corners (top-left, top-right,
    bottom-right, bottom-left in the symbol's own orientation, as image x, y) and version a
    failed detection gave; None when the corners do not describe a usable quadrilateral."""
    if not 1 <= version <= 40 or corners.shape != (4, 2):
        return None
    size = 17 + 4 * version
    square = np.array([[0, 0], [size, 0], [size, size], [0, size]], np.float32)
    quad = corners.astype(np.float32)
    reach = 2.0 * max(gray.shape)
    # A code seen through a lens is a convex quadrilateral on the picture, of at least ~2 px
    # per module (below that nothing reads); anything else is no grid to fit.
    if not (np.all(np.abs(corners) < reach) and cv2.isContourConvex(quad)
            and abs(cv2.contourArea(quad)) >= (2.0 * size) ** 2):
        return None
    hom = np.asarray(cv2.getPerspectiveTransform(square, quad), np.float64)
    bend = _Bend(hom)
    src = _f32(gray)
    refs = [((3.5, 3.5), _FINDER), ((size - 3.5, 3.5), _FINDER), ((3.5, size - 3.5), _FINDER)]
    centres = alignment_centres(version)
    for cy in centres:
        for cx in centres:
            near_finder = (cx < 9 and cy < 9) or (cx > size - 9 and cy < 9) or \
                (cx < 9 and cy > size - 9)
            if not near_finder:
                refs.append(((cx + 0.5, cy + 0.5), _ALIGNMENT))
    # Nearest the finders first: their bends then correct the predictions further in.
    refs.sort(key=lambda r: min(np.hypot(r[0][0] - fx, r[0][1] - fy)
                                for fx, fy in ((3.5, 3.5), (size - 3.5, 3.5), (3.5, size - 3.5))))
    for (mx, my), template in refs:
        found = _locate(src, bend, mx, my, template)
        if found is not None:
            bend.add((mx, my), found)
    return _resample(src, bend, size, bend.references())


def _locate(src: F32, bend: _Bend, mx: float, my: float,
            template: F32) -> tuple[float, float] | None:
    """The image offset (from the projective map) of the reference centred at module mx, my,
    or None when no patch around the prediction matches its template well enough."""
    half = template.shape[0] / (2 * _PX) + _SEARCH  # modules either side of the centre
    n = round(2 * half * _PX)
    grid = (np.arange(n, dtype=np.float64) + 0.5) / _PX - half
    gx, gy = np.meshgrid(mx + grid, my + grid)
    ix, iy = bend(gx, gy)
    patch = cv2.remap(src, ix.astype(np.float32), iy.astype(np.float32), cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REPLICATE)
    score = cv2.matchTemplate(patch, template, cv2.TM_CCOEFF_NORMED)
    _, best, _, (bx, by) = cv2.minMaxLoc(score)
    if best < _MIN_MATCH:
        return None
    # Where the template's centre landed, in module coordinates, through the current map; the
    # bend is kept as an offset from the projective map alone.
    tx = mx + (bx + template.shape[1] / 2) / _PX - half
    ty = my + (by + template.shape[0] / 2) / _PX - half
    px, py = bend(np.array([tx]), np.array([ty]))
    hx, hy = bend.projective(np.array([mx]), np.array([my]))
    return float(px[0] - hx[0]), float(py[0] - hy[0])


def _resample(src: F32, bend: _Bend, size: int, seeds: list[tuple[float, float]]) -> GrayImage:
    # The map is computed at module centres and enlarged bilinearly (the bend is smooth over a
    # module): resize() aligns pixel centres, so output pixel u lands on module coordinate
    # (u + 0.5) / _PX - _QUIET, exactly what it shows.
    span = size + 2 * _QUIET
    centres = np.arange(span, dtype=np.float64) + 0.5 - _QUIET
    gx, gy = np.meshgrid(centres, centres)
    ix, iy = bend(gx, gy)
    out = (span * _PX, span * _PX)
    mapx = _f32(cv2.resize(ix.astype(np.float32), out, interpolation=cv2.INTER_LINEAR))
    mapy = _f32(cv2.resize(iy.astype(np.float32), out, interpolation=cv2.INTER_LINEAR))
    rect = _f32(cv2.remap(src, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    mapx, mapy = _phase_correct(rect, mapx, mapy, seeds)
    rect = _f32(cv2.remap(src, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    return np.asarray(np.clip(rect, 0, 255), np.uint8)


def _phase_correct(rect: F32, mapx: F32, mapy: F32, seeds: list[tuple[float, float]]
                   ) -> tuple[F32, F32]:
    """Maps shifted so that module edges fall on module boundaries everywhere.

    Module edges can only lie on the module grid, so where the picture's edges sit a fraction
    of a module off the boundaries they should lie on, the map is that much off there. That
    fraction is the circular mean of edge positions modulo one module over a window of
    _PHASE_WINDOW modules, per axis, measured on tiles every _PHASE_STEP modules. It is known
    only modulo a module, so it is unwrapped tile by tile from the references (where the map is
    right, seeds: module coordinates), the most certain tile next, each taking the whole-module
    turn closest to its placed neighbours: the bend is smooth, so neighbours differ little.
    """
    n = rect.shape[0]
    ex = np.abs(np.diff(rect, axis=1))
    ey = np.abs(np.diff(rect, axis=0))
    # An edge between pixels j and j+1 sits at boundary position j + 1; boundaries are expected
    # at multiples of _PX.
    ang = 2 * np.pi * (np.arange(1, n, dtype=np.float32) % _PX) / _PX
    c, s = np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)
    win = (_PHASE_WINDOW * _PX, _PHASE_WINDOW * _PX)
    tiles = max(2, round(n / (_PHASE_STEP * _PX)))
    at = ((np.arange(tiles) + 0.5) * n / tiles).astype(np.intp)

    def phase(e: F32, cs: F32, sn: F32) -> tuple[Points, Points]:
        a = np.asarray(cv2.blur(e * cs, win), np.float64)
        b = np.asarray(cv2.blur(e * sn, win), np.float64)
        tot = np.asarray(cv2.blur(e, win), np.float64) + 1e-6
        ys = np.minimum(at, a.shape[0] - 1)
        xs = np.minimum(at, a.shape[1] - 1)
        a, b, tot = a[np.ix_(ys, xs)], b[np.ix_(ys, xs)], tot[np.ix_(ys, xs)]
        return np.arctan2(b, a) * (_PX / (2 * np.pi)), np.hypot(a, b) / tot

    dx, qx = phase(ex, c[None, :], s[None, :])
    dy, qy = phase(ey, c[:, None], s[:, None])
    ux = _unwrap(dx, qx, seeds, n / tiles)
    uy = _unwrap(dy, qy, seeds, n / tiles)
    fx = np.asarray(cv2.resize(ux.astype(np.float32), (n, n), interpolation=cv2.INTER_LINEAR))
    fy = np.asarray(cv2.resize(uy.astype(np.float32), (n, n), interpolation=cv2.INTER_LINEAR))
    u, v = np.meshgrid(np.arange(n, dtype=np.float32), np.arange(n, dtype=np.float32))
    nx = cv2.remap(mapx, u + fx, v + fy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ny = cv2.remap(mapy, u + fx, v + fy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(nx, np.float32), np.asarray(ny, np.float32)


def _unwrap(wrapped: npt.NDArray[np.float64], quality: npt.NDArray[np.float64],
            seeds: list[tuple[float, float]], tile_px: float) -> npt.NDArray[np.float64]:
    """Quality-guided unwrapping of per-tile shifts known modulo _PX pixels."""
    g = wrapped.shape[0]
    w: list[list[float]] = wrapped.tolist()
    q: list[list[float]] = quality.tolist()
    out = [[0.0] * g for _ in range(g)]
    placed = [[False] * g for _ in range(g)]
    heap: list[tuple[float, int, int]] = []
    steps = ((-1, 0), (1, 0), (0, -1), (0, 1))

    def place(i: int, j: int, value: float) -> None:
        out[i][j] = value
        placed[i][j] = True
        for di, dj in steps:
            a, b = i + di, j + dj
            if 0 <= a < g and 0 <= b < g and not placed[a][b]:
                heapq.heappush(heap, (-q[a][b], a, b))

    for mx, my in seeds:
        i = min(g - 1, max(0, int((my + _QUIET) * _PX / tile_px)))
        j = min(g - 1, max(0, int((mx + _QUIET) * _PX / tile_px)))
        if not placed[i][j]:
            place(i, j, w[i][j] - _PX * round(w[i][j] / _PX))
    while heap:
        _, i, j = heapq.heappop(heap)
        if placed[i][j]:
            continue
        near = [out[i + di][j + dj] for di, dj in steps
                if 0 <= i + di < g and 0 <= j + dj < g and placed[i + di][j + dj]]
        ref = sum(near) / len(near)
        # A tile without clear edges (quiet zone, a finder's inside) follows its neighbours.
        value = w[i][j] + _PX * round((ref - w[i][j]) / _PX) if q[i][j] > _MIN_PHASE else ref
        place(i, j, value)
    return np.asarray(out, np.float64)
