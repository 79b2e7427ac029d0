"""QR decoding: decoders on clean and degraded frames, the cascade, fusion, picture files and
the ``passkiosk decode`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from codes import base45_encode
from readers import (
    DecodeConfig,
    FrameDecoder,
    ImageReadError,
    ReaderError,
    TemporalFuser,
    decode_image_file,
    is_well_formed_token,
)
from readers._qr import _zx, decode_pyzbar, decode_zxing, to_gray
from tests.readers.degrade import make_sample, render_qr

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "PK1:" + base45_encode(bytes(range(1, 180)))
NO_LIMIT = DecodeConfig(budget=None)


def on_canvas(img: np.ndarray, width: int = 640, height: int = 480) -> np.ndarray:
    canvas = np.full((height, width), 140, np.uint8)
    y, x = (height - img.shape[0]) // 2, (width - img.shape[1]) // 2
    canvas[y : y + img.shape[0], x : x + img.shape[1]] = img
    return canvas


# -- decoders on clean pictures ---------------------------------------------------------------


def test_both_decoders_read_a_clean_code() -> None:
    gray = on_canvas(render_qr(TOKEN, "Q", 3))
    assert decode_zxing(gray) == [TOKEN]
    assert decode_pyzbar(gray) == [TOKEN]
    assert FrameDecoder().decode(gray).texts == (TOKEN,)
    assert FrameDecoder().decode(gray).stage == "zxing"


def test_dark_mode_only_zxing_reads_inverted() -> None:
    gray = on_canvas(255 - render_qr(TOKEN, "Q", 3))
    assert decode_pyzbar(gray) == []  # zbar does not read light-on-dark symbols
    assert decode_zxing(gray) == [TOKEN]


def test_nothing_to_read_gives_nothing() -> None:
    for gray in (np.full((480, 640), 128, np.uint8), np.zeros((1, 1), np.uint8)):
        result = FrameDecoder(NO_LIMIT).decode(gray)
        assert result.texts == () and result.stage == ""


def test_bgr_bgra_gray_inputs_and_bad_arrays() -> None:
    gray = on_canvas(render_qr(TOKEN, "Q", 3))
    bgr = np.asarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), np.uint8)
    bgra = np.asarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGRA), np.uint8)
    d = FrameDecoder()
    assert d.decode(bgr).texts == d.decode(bgra).texts == (TOKEN,)
    with pytest.raises(ImageReadError, match="uint8"):
        to_gray(gray.astype(np.float32))
    with pytest.raises(ImageReadError, match="shape"):
        to_gray(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ImageReadError, match="at most"):
        d.decode(np.zeros((2161, 3841), np.uint8))
    small = FrameDecoder(DecodeConfig(max_frame_pixels=640 * 479))
    with pytest.raises(ImageReadError, match=f"at most {640 * 479} pixels"):
        small.decode(gray)


# -- degraded frames: the cascade reads what zxing alone does not ------------------------------

# (family, seed, stage) from the deterministic corpus: zxing on the whole frame fails on each,
# the named cascade stage reads it (bench/bench_qr.py measures the full corpus).
CASCADE_CASES = [
    ("blur", 11, "roi-sharpen"),
    ("blur", 10, "roi-defocus"),
    ("motion_blur", 7, "roi-deblur-long"),
    ("motion_blur", 13, "roi-deblur"),
    ("glare", 10, "roi-adaptive"),
    ("glare", 32, "roi-grid"),  # a finder pattern washed out
    ("occlusion", 13, "roi-grid"),  # a finder pattern under the thumb
    ("noise", 6, "roi-denoise"),
]


@pytest.mark.parametrize(("family", "seed", "stage"), CASCADE_CASES)
def test_cascade_reads_degraded_frames_zxing_misses(family: str, seed: int, stage: str) -> None:
    sample = make_sample(family, seed)
    gray = to_gray(sample.frame)
    assert decode_zxing(gray) == []
    result = FrameDecoder(NO_LIMIT).decode(sample.frame)
    assert result.texts == (sample.payload,)
    assert result.stage == stage


# zxing-cpp's failed detections on these are rMQR / Micro QR strips inside the code; taken as
# the code's region they hid it (the texture search's box of the whole code was dropped as
# overlapping), and neither was read.
@pytest.mark.parametrize(("family", "seed", "fake"), [
    ("glare", 6, "RMQRCode"), ("glare", 8, "RMQRCode"), ("noise", 1, "MicroQRCode")])
def test_failed_detections_of_other_symbologies_do_not_hide_the_code(
        family: str, seed: int, fake: str) -> None:
    sample = make_sample(family, seed)
    gray = to_gray(sample.frame)
    assert [r.format.name for r in _zx(gray)] == [fake]
    assert FrameDecoder(NO_LIMIT).decode(gray).texts == (sample.payload,)


def test_degraded_samples_never_give_a_wrong_payload() -> None:
    d = FrameDecoder(NO_LIMIT)
    read = 0
    for i, family in enumerate(("clean", "jpeg", "tilt", "occlusion", "crumpled", "phone_dark")):
        sample = make_sample(family, 100 + i)
        texts = d.decode(sample.frame).texts
        assert set(texts) <= {sample.payload}, family
        read += bool(texts)
    assert read >= 4


def test_budget_skips_stages_that_do_not_fit() -> None:
    ticks = iter(range(1_000_000))

    def slow_clock() -> float:  # every look at the clock "takes" one second
        return float(next(ticks))

    sample = make_sample("blur", 11)  # needs the cascade
    result = FrameDecoder(DecodeConfig(budget=0.5), clock=slow_clock).decode(sample.frame)
    assert result.texts == () and result.stage == ""
    with pytest.raises(ReaderError, match="budget"):
        DecodeConfig(budget=0)
    with pytest.raises(ReaderError, match="max_image_bytes > 0"):
        DecodeConfig(max_image_bytes=0)


def test_a_stage_once_measured_too_slow_is_tried_again() -> None:
    # On a first frame (a code sharpening does not read) the clock jumps 100 s while the first
    # cascade stage runs, so sharpening is measured far over the budget; afterwards time stands
    # still. On a code sharpening reads, it must come back once its estimate has shrunk.
    first = make_sample("blur", 10)
    assert FrameDecoder(NO_LIMIT).decode(first.frame).stage == "roi-defocus"
    sample = make_sample("blur", 11)
    assert FrameDecoder(NO_LIMIT).decode(sample.frame).stage == "roi-sharpen"
    looks = [0]

    def clock() -> float:  # frame start, zxing's pass, the stage's start: 0; then 100 for good
        looks[0] += 1
        return 0.0 if looks[0] <= 3 else 100.0

    d = FrameDecoder(DecodeConfig(budget=5.0), clock=clock)
    assert d.decode(first.frame).texts == ()
    stages = [d.decode(sample.frame).stage for _ in range(60)]
    assert "roi-sharpen" in stages
    assert stages[0] != "roi-sharpen"  # shut out at first, by the slow measurement


def test_resume_shares_the_cascade_out_over_the_frames_of_a_still_scene() -> None:
    # Every look at the clock "takes" a second and the budget fits about one stage per frame,
    # so without resume each frame tries the same first stage; with it the frames take the
    # stages in turn until the one this blurred code needs (defocus deconvolution) is reached.
    sample = make_sample("blur", 10)
    assert FrameDecoder(NO_LIMIT).decode(sample.frame).stage == "roi-defocus"

    def frames(resume: bool) -> int | None:
        ticks = iter(range(1_000_000))
        d = FrameDecoder(DecodeConfig(budget=5.0), clock=lambda: float(next(ticks)))
        for n in range(1, 13):
            result = d.decode(sample.frame, resume=resume and n > 1)
            if result.texts:
                assert result.texts == (sample.payload,) and result.stage == "roi-defocus"
                return n
        return None

    assert frames(resume=False) is None
    took = frames(resume=True)
    assert took is not None and took > 1


def test_motion_diagnosis_finds_the_direction() -> None:
    # A sharp code is isotropic; blurred along x its edge energy lines up across x.
    from readers._qr import _motion

    code = render_qr(TOKEN, "Q", 4)
    sharp_coherence, _ = _motion(code)
    k = np.full((1, 9), 1 / 9, np.float32)
    blurred = np.asarray(cv2.filter2D(code, -1, k), np.uint8)
    coherence, angle = _motion(blurred)
    assert sharp_coherence < 0.25 < coherence
    assert abs(np.sin(angle)) < 0.1  # the motion runs along x


def test_interrupt_ends_the_cascade_and_budget_can_be_overridden() -> None:
    sample = make_sample("blur", 11)  # needs the cascade
    d = FrameDecoder()
    assert d.decode(sample.frame, interrupt=lambda: True).texts == ()
    assert d.decode(sample.frame, budget=None, interrupt=lambda: False).texts == (sample.payload,)


@pytest.mark.parametrize(("family", "seed"), [("noise", 15), ("low_light", 1)])
def test_temporal_fusion_reads_what_no_single_frame_does(family: str, seed: int) -> None:
    frames = [make_sample(family, seed, noise_seed=k) for k in range(4)]
    payload = frames[0].payload
    assert all(f.payload == payload for f in frames)
    d = FrameDecoder(NO_LIMIT)
    fuser = TemporalFuser(depth=4)
    fused = None
    for f in frames:
        assert payload not in d.decode(f.frame).texts
        fuser.push(to_gray(f.frame))
        fused = fuser.fused()
    assert fused is not None
    assert d.decode(fused).texts == (payload,)


def test_fuser_restarts_when_the_picture_moves_and_keeps_depth() -> None:
    fuser = TemporalFuser(depth=3)
    a = np.full((360, 640), 60, np.uint8)
    b = np.full((360, 640), 200, np.uint8)
    fuser.push(a)
    assert fuser.fused() is None  # one frame is no fusion
    fuser.push(a)
    fused = fuser.fused()
    assert fused is not None and int(fused.mean()) == 60
    fuser.push(b)  # moved: history restarts
    assert fuser.fused() is None
    # A still scene with changing noise: the mean of the last 3 frames only.
    for level in (200, 201, 202, 203, 204):
        fuser.push(np.full((360, 640), level, np.uint8))
    fused = fuser.fused()
    assert fused is not None and set(np.unique(fused)) == {203}
    fuser.reset()
    assert fuser.fused() is None
    with pytest.raises(ReaderError, match="depth"):
        TemporalFuser(depth=1)


def test_well_formed_token_shape() -> None:
    assert is_well_formed_token(TOKEN)
    assert is_well_formed_token("HC1:" + base45_encode(b"hello"))
    assert not is_well_formed_token("pk1:" + base45_encode(b"hello"))  # prefix is exact
    assert not is_well_formed_token("PK1:" + "abc")  # lower case is not Base45
    assert not is_well_formed_token("PK1:AAAA")  # length 1 mod 3
    assert not is_well_formed_token("PK1:" + "A" * 5000)
    assert not is_well_formed_token("https://example.org/")


# -- picture files ----------------------------------------------------------------------------


def test_decode_image_file_png_jpeg_and_two_codes(tmp_path: Path) -> None:
    one = tmp_path / "one.png"
    cv2.imwrite(str(one), on_canvas(render_qr(TOKEN, "H", 4), 800, 600))
    assert decode_image_file(str(one)) == [TOKEN]
    # A picture above the frame cap is scaled down to it first: to 1/6 here, < 1 px per module.
    assert decode_image_file(str(one), DecodeConfig(max_frame_pixels=800 * 600 // 36)) == []
    sample = make_sample("clean", 3)
    jpg = tmp_path / "gate.jpg"
    cv2.imwrite(str(jpg), sample.frame)
    assert decode_image_file(str(jpg)) == [sample.payload]
    other = "HC1:" + base45_encode(b"another code")
    two = np.full((400, 900), 255, np.uint8)
    a, b = render_qr(TOKEN, "Q", 3), render_qr(other, "Q", 4)
    two[10 : 10 + a.shape[0], 10 : 10 + a.shape[1]] = a
    two[10 : 10 + b.shape[0], 500 : 500 + b.shape[1]] = b
    cv2.imwrite(str(tmp_path / "two.png"), two)
    assert sorted(decode_image_file(str(tmp_path / "two.png"))) == sorted([TOKEN, other])
    # The same code printed twice is two symbols (spec §7 --image needs exactly one).
    two[10 : 10 + b.shape[0], 500 : 500 + b.shape[1]] = 255
    two[10 : 10 + a.shape[0], 500 : 500 + a.shape[1]] = a
    cv2.imwrite(str(tmp_path / "twice.png"), two)
    assert decode_image_file(str(tmp_path / "twice.png")) == [TOKEN, TOKEN]


def test_decode_image_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="readable picture"):
        decode_image_file(str(tmp_path / "missing.png"))
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG not really")
    with pytest.raises(ImageReadError, match="OpenCV can decode"):
        decode_image_file(str(junk))
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ImageReadError, match="OpenCV can decode"):
        decode_image_file(str(empty))
    with pytest.raises(ImageReadError, match="readable picture"):
        decode_image_file(str(tmp_path))  # a folder
    big = tmp_path / "big.png"
    cv2.imwrite(str(big), np.full((300, 300), 255, np.uint8))
    assert decode_image_file(str(big)) == []  # within the default caps
    with pytest.raises(ImageReadError, match="at most 100 bytes"):
        decode_image_file(str(big), DecodeConfig(max_image_bytes=100))
    with pytest.raises(ImageReadError, match="at most 1000 pixels"):
        decode_image_file(str(big), DecodeConfig(max_image_pixels=1000))


def test_decode_image_file_no_code_is_empty(tmp_path: Path) -> None:
    p = tmp_path / "plain.png"
    cv2.imwrite(str(p), np.full((200, 300), 90, np.uint8))
    assert decode_image_file(str(p)) == []


# -- passkiosk decode ---------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "decode", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_decode_prints_one_json_line_per_image(tmp_path: Path) -> None:
    code = tmp_path / "code.png"
    cv2.imwrite(str(code), on_canvas(render_qr(TOKEN, "Q", 3)))
    plain = tmp_path / "plain.png"
    cv2.imwrite(str(plain), np.full((100, 100), 200, np.uint8))
    r = run_cli(str(code), str(plain))
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines == [
        {"image": str(code), "codes": [TOKEN]},
        {"image": str(plain), "codes": []},
    ]


def test_cli_decode_unreadable_file_exits_2_after_the_rest(tmp_path: Path) -> None:
    code = tmp_path / "code.png"
    cv2.imwrite(str(code), on_canvas(render_qr(TOKEN, "Q", 3)))
    missing = tmp_path / "nope.png"
    r = run_cli(str(missing), str(code))
    assert r.returncode == 2
    assert "nope.png" in r.stderr and "expected a readable picture" in r.stderr
    assert [json.loads(x) for x in r.stdout.splitlines()] == [
        {"image": str(code), "codes": [TOKEN]}
    ]


def test_cli_decode_needs_an_image() -> None:
    r = run_cli()
    assert r.returncode == 2 and "IMAGE" in r.stderr
