"""The degraded corpus generator: deterministic, every family, usable on any picture."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from readers import is_well_formed_token
from tests.readers.degrade import (
    BASE45_ALPHABET,
    FAMILIES,
    DegradeError,
    degrade,
    make_sample,
    pk1_like_payload,
    qr_matrix,
    render_look,
    render_qr,
)

ROOT = Path(__file__).resolve().parents[2]


def digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_frame(family: str) -> None:
    a = make_sample(family, 7)
    b = make_sample(family, 7)
    assert a.payload == b.payload
    assert np.array_equal(a.frame, b.frame)
    assert a.frame.shape == (720, 1280, 3) and a.frame.dtype == np.uint8
    assert 2.2 <= a.module_px <= 6.0


def test_different_seeds_and_families_differ() -> None:
    a = make_sample("blur", 1)
    assert not np.array_equal(a.frame, make_sample("blur", 2).frame)
    assert a.payload != make_sample("blur", 2).payload
    assert not np.array_equal(a.frame, make_sample("noise", 1).frame)


def test_frames_are_the_same_in_another_process() -> None:
    code = (
        "import hashlib, numpy as np; from tests.readers.degrade import make_sample;"
        "s = make_sample('crumpled', 5);"
        "print(hashlib.sha256(np.ascontiguousarray(s.frame).tobytes()).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == digest(make_sample("crumpled", 5).frame)


def test_noise_seed_changes_only_the_noise() -> None:
    a = make_sample("low_light", 3, noise_seed=1)
    b = make_sample("low_light", 3, noise_seed=2)
    assert a.payload == b.payload
    assert not np.array_equal(a.frame, b.frame)
    # Same scene: the difference is sensor noise, a few grey levels on average.
    assert float(np.mean(np.abs(a.frame.astype(int) - b.frame.astype(int)))) < 8


def test_payloads_look_like_pk1_tokens() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = pk1_like_payload(rng)
        assert p.startswith("PK1:") and 204 <= len(p) <= 304
        assert set(p[4:]) <= set(BASE45_ALPHABET)
    # A real PK1 token's Base45 is well-formed too; the look-alike only has the alphabet.
    assert is_well_formed_token("PK1:" + "0" * 3 * 70)


def test_looks_use_the_spec_error_correction() -> None:
    rng = np.random.default_rng(0)
    text = pk1_like_payload(rng, 250)
    card, box, modules = render_look(text, "card", rng)
    phone, pbox, pmodules = render_look(text, "phone", rng)
    # Printed cards carry EC H, phones EC Q (PK1 spec §1): H needs more modules.
    assert modules == len(qr_matrix(text, "H")) + 8
    assert pmodules == len(qr_matrix(text, "Q")) + 8
    assert modules > pmodules
    for img, (x0, y0, x1, y1) in ((card, box), (phone, pbox)):
        assert 0 <= x0 < x1 <= img.shape[1] and 0 <= y0 < y1 <= img.shape[0]


def test_degrade_any_picture_gray_or_bgr() -> None:
    card = np.full((638, 1011), 240, np.uint8)  # a 300 dpi ID-1 card raster
    card[100:500, 550:950] = render_qr("PK1:ABC", "H", 16)[:400, :400]
    for img in (card, np.repeat(card[:, :, None], 3, axis=2)):
        out = degrade(img, "motion_blur", 4)
        assert out.shape == (720, 1280, 3) and out.dtype == np.uint8
    small = degrade(card, "glare", 4, frame_size=(640, 360), focus=(550, 100, 950, 500))
    assert small.shape == (360, 640, 3)
    assert np.array_equal(
        small, degrade(card, "glare", 4, frame_size=(640, 360), focus=(550, 100, 950, 500))
    )


def test_degrade_rejects_bad_input() -> None:
    ok = np.zeros((10, 10), np.uint8)
    with pytest.raises(DegradeError, match="family"):
        degrade(ok, "rain", 1)
    with pytest.raises(DegradeError, match="family"):
        make_sample("rain", 1)
    with pytest.raises(DegradeError, match="uint8"):
        degrade(ok.astype(np.float32), "blur", 1)
    with pytest.raises(DegradeError, match="non-empty"):
        degrade(np.zeros((0, 0), np.uint8), "blur", 1)
    with pytest.raises(DegradeError, match="at most"):
        degrade(np.zeros((6000, 5000), np.uint8), "blur", 1)
