"""QR decoding of still pictures and camera frames: zxing-cpp first, pyzbar as the fallback.

Measured on degraded gate-camera pictures (issue 4): zxing-cpp reads the most (79 %) and is the
fastest (2.1 ms median); pyzbar reads fewer (56 %) but catches some frames zxing misses, and no
decoder returned a wrong payload. So zxing runs first on every attempt and pyzbar only when
zxing found nothing.
"""

from __future__ import annotations

import os
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp
from pyzbar import pyzbar

from codes._errors import DeviceError

GrayImage = npt.NDArray[np.uint8]

# Caps for `decode_image_file`: a gate picture is at most a few MB; a decompression bomb
# (tiny PNG declaring a huge canvas) must not exhaust memory, so both the file size and the
# declared pixel count are bounded before decoding (house rule: every parser has a size cap).
MAX_IMAGE_BYTES: Final = 32 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 40_000_000

# Only QR symbols: PK1 and HC1 travel as QR (PK1 spec §1); scanning other symbologies costs time
# and could only ever add wrong reads.
_ZX_FORMATS: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_ZBAR_SYMBOLS: Final = [pyzbar.ZBarSymbol.QRCODE]


class ImageReadError(DeviceError):
    """A picture file could not be read or decoded as an image."""


def decode_zxing(gray: GrayImage) -> list[str]:
    """QR texts zxing-cpp finds in a grayscale picture (incl. inverted, i.e. dark-mode screens)."""
    results = zxingcpp.read_barcodes(
        gray,
        formats=_ZX_FORMATS,
        try_rotate=True,
        try_downscale=True,
        try_invert=True,
        text_mode=zxingcpp.TextMode.Plain,
    )
    return [r.text for r in results if r.valid and r.text]


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


def decode_gray(gray: GrayImage) -> list[str]:
    """All distinct QR texts in a grayscale picture, zxing-cpp first, pyzbar if zxing saw none."""
    texts = decode_zxing(gray)
    if not texts:
        texts = decode_pyzbar(gray)
    return _unique(texts)


def to_gray(image: npt.NDArray[np.uint8]) -> GrayImage:
    """A BGR, BGRA or grayscale uint8 picture as a contiguous grayscale picture."""
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    if image.ndim == 3 and image.shape[2] == 3:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY), dtype=np.uint8)
    raise ImageReadError(
        f"expected a grayscale, BGR or BGRA picture, got an array of shape {image.shape}"
    )


def read_image_file(path: str) -> GrayImage:
    """Load a picture file as grayscale, within the size caps; ImageReadError otherwise."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ImageReadError(f"expected a readable picture file at {path!r}: {exc}") from exc
    if size > MAX_IMAGE_BYTES:
        raise ImageReadError(
            f"expected a picture of at most {MAX_IMAGE_BYTES} bytes, {path!r} has {size}"
        )
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_IMAGE_BYTES + 1)
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
    if pixels > MAX_IMAGE_PIXELS:
        raise ImageReadError(
            f"expected a picture of at most {MAX_IMAGE_PIXELS} pixels, {path!r} has {pixels}"
        )
    return np.ascontiguousarray(img, dtype=np.uint8)


def decode_image_file(path: str) -> list[str]:
    """All QR texts found in a picture file (zxing-cpp first, pyzbar fallback).

    Raises ImageReadError (a DeviceError) when the file is missing, too large or not a picture.
    A picture without any code gives an empty list.
    """
    return decode_gray(read_image_file(path))


def _unique(texts: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for t in texts:
        seen.setdefault(t, None)
    return list(seen)
