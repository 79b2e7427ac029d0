"""Flattening a bent QR code (readers._unbend) and the cascade stage that uses it."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from codes import base45_encode
from readers import DecodeConfig, FrameDecoder
from readers._qr import _bent_detections, _zx, _zx_ok, decode_zxing, to_gray
from readers._unbend import alignment_centres, rectify
from tests.readers.degrade import make_sample, qr_matrix, render_qr

TOKEN = "PK1:" + base45_encode(bytes(range(1, 180)))
PX = 5  # pixels per module of the synthetic code


def bent_code(amplitude: float, wavelength: float) -> npt.NDArray[np.uint8]:
    """TOKEN printed at PX pixels per module on a card, then bent: a displacement of up to
    ``amplitude`` modules that turns over every ``wavelength`` modules (a wavy sheet)."""
    code = render_qr(TOKEN, "H", PX)
    canvas = np.full((code.shape[0] + 100, code.shape[1] + 100), 200, np.uint8)
    canvas[50 : 50 + code.shape[0], 50 : 50 + code.shape[1]] = np.where(code > 0, 200, 30)
    h, w = canvas.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a, period = amplitude * PX, wavelength * PX
    dx = a * np.sin(2 * np.pi * yy / period) * np.sin(np.pi * xx / w)
    dy = a * np.sin(2 * np.pi * xx / period + 1.0) * np.sin(np.pi * yy / h)
    bent = cv2.remap(canvas, xx + dx, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(cv2.GaussianBlur(bent, (0, 0), 0.8), np.uint8)


def test_alignment_centres_match_the_standard_table() -> None:
    # ISO/IEC 18004 Annex E, Table E.1.
    table = {
        1: [],
        2: [6, 18],
        7: [6, 22, 38],
        12: [6, 32, 58],
        14: [6, 26, 46, 66],
        21: [6, 28, 50, 72, 94],
        32: [6, 34, 60, 86, 112, 138],
        36: [6, 24, 50, 76, 102, 128, 154],
        40: [6, 30, 58, 86, 114, 142, 170],
    }
    for version, centres in table.items():
        assert alignment_centres(version) == centres, version


def test_a_bent_code_zxing_only_locates_is_flattened_and_read() -> None:
    bent = bent_code(amplitude=1.0, wavelength=30)
    assert decode_zxing(bent) == []
    detections = _bent_detections(_zx(bent))
    assert [version for _, version in detections] == [14]
    flat = rectify(bent, *detections[0])
    assert flat is not None
    assert _zx_ok(flat) == (TOKEN,)
    # Upright at 5 px per module with a 4-module quiet zone; against one projective map from
    # the same corners (what a decoder without the bend fit samples) far fewer modules are off.
    truth = qr_matrix(TOKEN, "H")
    n = truth.shape[0]
    side = (n + 8) * PX
    assert flat.shape == (side, side)
    square = np.array([[0, 0], [n, 0], [n, n], [0, n]], np.float32) * PX + 4 * PX
    hom = cv2.getPerspectiveTransform(detections[0][0].astype(np.float32), square)
    plane = np.asarray(cv2.warpPerspective(bent, hom, (side, side)), np.uint8)
    assert wrong_modules(flat, truth) * 4 < wrong_modules(plane, truth)
    assert wrong_modules(flat, truth) < n * n * 0.03


def wrong_modules(upright: npt.NDArray[np.uint8], truth: npt.NDArray[np.bool_]) -> int:
    n = truth.shape[0]
    centres = upright[PX // 2 :: PX, PX // 2 :: PX][4 : 4 + n, 4 : 4 + n]
    return int(np.count_nonzero((centres < 115) != truth))


def test_the_cascade_reads_a_bent_code_with_the_unbend_stage() -> None:
    bent = bent_code(amplitude=1.0, wavelength=30)
    result = FrameDecoder(DecodeConfig(budget=None)).decode(bent)
    assert result.texts == (TOKEN,) and result.stage == "unbend"


@pytest.mark.parametrize("seed", [0, 12])
def test_crumpled_corpus_frames_zxing_locates_but_misreads(seed: int) -> None:
    sample = make_sample("crumpled", seed)
    gray = to_gray(sample.frame)
    assert decode_zxing(gray) == []
    detections = _bent_detections(_zx(gray))
    assert detections
    flat = rectify(gray, *detections[0])
    assert flat is not None and _zx_ok(flat) == (sample.payload,)


def test_rectify_refuses_what_cannot_be_a_code() -> None:
    gray = bent_code(amplitude=1.0, wavelength=30)
    (corners, version), = _bent_detections(_zx(gray))
    assert rectify(gray, corners, 0) is None
    assert rectify(gray, corners, 41) is None
    assert rectify(gray, corners[:3], version) is None
    tiny = corners.mean(axis=0) + (corners - corners.mean(axis=0)) * 0.05  # < 2 px per module
    assert rectify(gray, tiny, version) is None
    crossed = corners[[0, 2, 1, 3]]  # a bow tie, not a quadrilateral a lens gives
    assert rectify(gray, crossed, version) is None
    assert rectify(gray, corners * 1e6, version) is None
    # Corners on an empty picture: references are not found, the picture is still resampled,
    # and nothing reads from it.
    empty = np.full_like(gray, 128)
    flat = rectify(empty, corners, version)
    assert flat is not None and _zx_ok(flat) == ()
