"""readers package: every way a person presents themselves at the gate, as plain events."""

from readers._events import (
    CardPresented,
    CardRemoved,
    CodeScanned,
    Health,
    ReaderEvent,
    ReaderStatus,
)
from readers._qr import ImageReadError, decode_image_file

__all__ = [
    "CardPresented",
    "CardRemoved",
    "CodeScanned",
    "Health",
    "ImageReadError",
    "ReaderEvent",
    "ReaderStatus",
    "decode_image_file",
]
