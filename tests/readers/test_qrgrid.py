"""The grid re-drawing stage (readers._qrgrid): QR structure tables against the qrcode library,
finder candidates, and codes whose finder pattern is lost (zxing-cpp alone reads nothing)."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
import pytest
import qrcode
import qrcode.util

from codes import base45_encode
from readers import DecodeConfig, FrameDecoder
from readers import _qrgrid as grid
from readers._qr import _zx_ok, decode_zxing
from tests.readers.degrade import qr_matrix

TOKEN = "PK1:" + base45_encode(bytes(range(1, 200)))
Role = Literal["TL", "TR", "BL"]


def matrix_of_version(version: int, text: str = "PK1:ABC") -> np.ndarray:
    q = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_L, border=0)
    q.add_data(text)
    q.make(fit=False)
    return np.array(q.get_matrix(), dtype=bool)


# Where the corners of the 900x900 ground land: a slight angle, and a code tilted ~35 degrees
# away from the camera (one side much shorter than the other).
SLIGHT = [[40, 10], [890, 60], [840, 880], [10, 850]]
STRONG = [[60, 150], [880, 20], [880, 880], [60, 740]]


def picture(
    modules: np.ndarray,
    px: int,
    lost: Role | None = None,
    *,
    tilt: bool = False,
    corners: list[list[int]] = SLIGHT,
    ground: int = 140,
) -> np.ndarray:
    """modules drawn at px pixels per module on a grey 900x900 ground, optionally with one
    finder pattern (and its separator) washed out to white and seen at an angle (the ground's
    corners moved to corners)."""
    m = np.pad(modules, 4, constant_values=False)
    img = np.where(m, 25, 235).astype(np.uint8).repeat(px, 0).repeat(px, 1)
    n = modules.shape[0]
    if lost is not None:
        r0, c0 = {"TL": (0, 0), "TR": (0, n - 8), "BL": (n - 8, 0)}[lost]
        img[(4 + r0) * px : (12 + r0) * px, (4 + c0) * px : (12 + c0) * px] = 255
    side = 900
    canvas = np.full((side, side), ground, np.uint8)
    y = x = (side - img.shape[0]) // 2
    canvas[y : y + img.shape[0], x : x + img.shape[1]] = img
    out = canvas
    if tilt:
        src = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
        dst = np.array(corners, np.float32)
        hom = cv2.getPerspectiveTransform(src, dst)
        warped = cv2.warpPerspective(canvas, hom, (side, side), borderValue=ground)
        out = np.asarray(cv2.GaussianBlur(warped, (0, 0), 0.8), np.uint8)
    return np.ascontiguousarray(out, dtype=np.uint8)


# -- structure tables ----------------------------------------------------------------------------


def test_alignment_positions_match_the_standard_table() -> None:
    for version in range(1, 41):
        assert grid.alignment_positions(version) == qrcode.util.PATTERN_POSITION_TABLE[version - 1]


@pytest.mark.parametrize("version", [2, 7, 14, 32])
def test_function_patterns_match_a_generated_symbol(version: int) -> None:
    mask, dark = grid.function_pattern(version)
    m = matrix_of_version(version)
    assert mask.shape == m.shape == (17 + 4 * version,) * 2
    assert np.array_equal(m[mask], dark[mask])
    # The data area is most of the symbol and both colours occur in it.
    assert mask.mean() < 0.5 and 0 < m[~mask].mean() < 1


def test_draw_gives_a_picture_the_decoder_reads() -> None:
    img = grid.draw(qr_matrix(TOKEN, "H"))
    assert decode_zxing(img) == [TOKEN]


def test_sample_modules_recovers_a_clean_symbol() -> None:
    m = qr_matrix(TOKEN, "H")
    n = m.shape[0]
    version = (n - 17) // 4
    px = 5
    gray = picture(m, px)
    off = (900 - (n + 8) * px) // 2 + 4 * px
    hom = np.array([[px, 0, off], [0, px, off], [0, 0, 1]], np.float64)
    assert np.array_equal(grid.sample_modules(gray, version, hom), m)


# -- finder candidates ---------------------------------------------------------------------------


def test_finders_of_a_clean_symbol() -> None:
    m = qr_matrix(TOKEN, "H")
    n, px = m.shape[0], 6
    gray = picture(m, px)
    found = grid.find_finders(gray)
    origin = (900 - (n + 8) * px) // 2 + 4 * px
    centres = ((3.5, 3.5), (3.5, n - 3.5), (n - 3.5, 3.5))
    expected = [(origin + c * px, origin + r * px) for r, c in centres]
    assert len(found) >= 3
    for ex in expected:
        best = min(found, key=lambda f: np.hypot(f.centre[0] - ex[0], f.centre[1] - ex[1]))
        assert np.hypot(best.centre[0] - ex[0], best.centre[1] - ex[1]) < px
        assert best.module == pytest.approx(px, rel=0.2)


def test_no_finders_in_a_plain_picture() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, (300, 300), dtype=np.uint8)
    assert grid.find_finders(np.full((300, 300), 200, np.uint8)) == []
    assert grid.read(noise, _zx_ok) == ()


# -- codes with a lost finder pattern -------------------------------------------------------------


@pytest.mark.parametrize("lost", ["TL", "TR", "BL"])
@pytest.mark.parametrize("tilt", [False, True])
def test_a_code_with_a_lost_finder_is_read(lost: Role, tilt: bool) -> None:
    gray = picture(qr_matrix(TOKEN, "H"), 6, lost, tilt=tilt)
    assert decode_zxing(gray) == []  # no finder-based detector sees it
    assert grid.read(gray, _zx_ok) == (TOKEN,)


@pytest.mark.parametrize("lost", ["TL", "TR", "BL"])
def test_a_strongly_tilted_code_with_a_lost_finder_is_read(lost: Role) -> None:
    # The near side's modules are ~1.5x the far side's: the grid comes from the alignment
    # patterns, the version from the version information (§6.10) or the finders' module steps.
    gray = picture(qr_matrix(TOKEN, "H"), 7, lost, tilt=True, corners=STRONG)
    assert decode_zxing(gray) == []
    assert grid.read(gray, _zx_ok) == (TOKEN,)


def test_a_dark_mode_code_with_a_lost_finder_is_read() -> None:
    # Light modules on a dark screen (what dark mode shows), a finder washed out.
    light = picture(qr_matrix(TOKEN, "Q"), 6, "BL", tilt=True, ground=235)
    gray = np.ascontiguousarray(255 - light)
    assert decode_zxing(gray) == []
    assert grid.read(gray, _zx_ok) == (TOKEN,)


def test_the_frame_decoder_reads_a_lost_finder_with_the_grid_stage() -> None:
    gray = picture(qr_matrix(TOKEN, "Q"), 5, "TR", tilt=True)
    result = FrameDecoder(DecodeConfig(budget=None)).decode(gray)
    assert result.texts == (TOKEN,)
    assert result.stage == "roi-grid"


def test_data_damaged_beyond_error_correction_reads_nothing() -> None:
    # Two finders intact, but half the data area wiped: the re-drawn symbol fails its Reed-Solomon
    # check, and nothing (least of all a wrong text) comes out.
    m = qr_matrix(TOKEN, "H").copy()
    n = m.shape[0]
    rng = np.random.default_rng(7)
    m[n // 3 :, n // 3 :] = rng.random((n - n // 3, n - n // 3)) < 0.5
    gray = picture(m, 6, "TR")
    assert len(grid.find_finders(gray)) >= 2
    assert grid.read(gray, _zx_ok) == ()


def test_two_finder_shapes_without_a_code_read_nothing() -> None:
    finder = np.ones((7, 7), bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    m = np.zeros((41, 41), bool)
    m[:7, :7] = finder
    m[:7, -7:] = finder
    gray = picture(m, 6)
    assert len(grid.find_finders(gray)) >= 2
    assert grid.read(gray, _zx_ok) == ()


def test_random_finder_like_clutter_never_raises_nor_reads() -> None:
    # Finder shapes of any size, angle and squash scattered over noise and blobs: every
    # pairing is a hypothesis, many degenerate; none may raise or read anything.
    finder = np.where(grid.function_pattern(1)[1][:7, :7], 20, 230).astype(np.uint8)
    for seed in range(40):
        rng = np.random.default_rng(seed)
        gray = rng.integers(60, 200, (400, 400), dtype=np.uint8)
        for _ in range(int(rng.integers(2, 6))):
            px = float(rng.uniform(2, 12))
            f = cv2.resize(finder, None, fx=px, fy=px * rng.uniform(0.5, 1.5),
                           interpolation=cv2.INTER_NEAREST)
            rot = cv2.getRotationMatrix2D((200.0, 200.0), float(rng.uniform(0, 360)), 1.0)
            layer = np.full_like(gray, 0)
            mask = np.zeros_like(gray)
            y, x = (int(v) for v in rng.integers(0, 400 - max(f.shape), 2))
            layer[y : y + f.shape[0], x : x + f.shape[1]] = f
            mask[y : y + f.shape[0], x : x + f.shape[1]] = 255
            turned = cv2.warpAffine(layer, rot, (400, 400), flags=cv2.INTER_NEAREST)
            where = cv2.warpAffine(mask, rot, (400, 400), flags=cv2.INTER_NEAREST)
            gray = np.where(where > 0, turned, gray).astype(np.uint8)
        assert grid.read(np.ascontiguousarray(gray), _zx_ok) == ()


def test_stop_ends_the_search() -> None:
    gray = picture(qr_matrix(TOKEN, "H"), 6, "TR")
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2  # the budget runs out after the first grid fitted

    assert grid.read(gray, _zx_ok, stop) == ()
    assert len(asked) >= 3  # asked before each step until it said stop
    assert grid.read(gray, _zx_ok, lambda: False) == (TOKEN,)
