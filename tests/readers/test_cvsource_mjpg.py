"""CvFrameSource on a Motion-JPEG file: packets taken undecoded, read frames decoded to grey."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from readers import CvFrameSource, FrameDecoder
from tests.fakes.camera import blank_frame, code_frame

TEXT = "PK1:TEST-MJPG-SOURCE"


def write(path: Path, frames: list[np.ndarray], codec: str) -> None:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), 30.0, (w, h))
    if not writer.isOpened():
        pytest.skip(f"this OpenCV build writes no {codec} video")
    for f in frames:
        writer.write(f)
    writer.release()


def test_mjpg_file_frames_are_grey_and_match_the_colour_decoding(tmp_path: Path) -> None:
    frames = [blank_frame(), code_frame(TEXT), blank_frame()]
    video = tmp_path / "gate.avi"
    write(video, frames, "MJPG")
    src = CvFrameSource(str(video))
    src.open()
    try:
        got = [src.read() for _ in frames]
        assert src.read() is None  # the end of the file
    finally:
        src.close()
    assert all(g is not None and g.ndim == 2 and g.shape == frames[0].shape[:2] for g in got)
    # Decoded straight to grey, each frame is what the colour decoding turned grey gives
    # (within JPEG rounding), and the code in it reads.
    colour = cv2.VideoCapture(str(video))
    for g in got:
        ok, bgr = colour.read()
        assert ok and g is not None
        diff = np.abs(g.astype(np.int16) - cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.int16))
        assert float(diff.mean()) <= 2.0 and int(diff.max()) <= 8
    colour.release()
    assert got[1] is not None
    assert FrameDecoder().decode(got[1]).texts == (TEXT,)


def test_skip_passes_over_mjpg_frames_in_order(tmp_path: Path) -> None:
    frames = [code_frame(TEXT) if i % 3 == 2 else blank_frame() for i in range(9)]
    video = tmp_path / "gate.avi"
    write(video, frames, "MJPG")
    src = CvFrameSource(str(video))
    src.open()
    try:
        seen = []
        for i in range(9):
            if i % 3 == 2:
                frame = src.read()
                assert frame is not None
                seen.append(FrameDecoder().decode(frame).texts)
            else:
                assert src.skip() is True
        assert src.skip() is False  # nothing left
    finally:
        src.close()
    # Every kept frame is the one with the code: the skipped ones were taken off the file.
    assert seen == [(TEXT,)] * 3


def test_a_damaged_mjpg_frame_reads_as_none_and_the_next_one_reads(tmp_path: Path) -> None:
    video = tmp_path / "gate.avi"
    write(video, [blank_frame(), code_frame(TEXT), code_frame(TEXT)], "MJPG")
    data = bytearray(video.read_bytes())
    first = data.find(b"\xff\xd8\xff")
    second = data.find(b"\xff\xd8\xff", first + 3)
    assert first >= 0 and second > first
    data[second:second + 3] = b"\x00\x00\x00"  # the second picture loses its start marker
    video.write_bytes(bytes(data))
    src = CvFrameSource(str(video))
    src.open()
    try:
        got = [src.read() for _ in range(3)]
    finally:
        src.close()
    assert got[0] is not None and got[1] is None and got[2] is not None
    assert FrameDecoder().decode(got[2]).texts == (TEXT,)


def test_a_file_in_another_codec_keeps_its_colour_frames(tmp_path: Path) -> None:
    video = tmp_path / "gate.mkv"
    write(video, [blank_frame(), code_frame(TEXT)], "FFV1")
    src = CvFrameSource(str(video))
    src.open()
    try:
        got = [src.read(), src.read()]
    finally:
        src.close()
    assert got[0] is not None and got[0].ndim == 3
    assert got[1] is not None and FrameDecoder().decode(got[1]).texts == (TEXT,)
