"""readers package: every way a person presents themselves at the gate, as plain events.

No Qt here: readers run their own threads and hand events to an ``EventSink`` callable.
- ``PcscCardReader``: resident ID cards on PC/SC readers (serial via ``00 36 00 00 08``).
- ``SamCardReader``: GA/T 467 SAM ID card readers on a serial port (ID number and name).
- ``decode_image_file``: QR codes in a picture.
"""

from readers._card_reader import CardReader, EventSink
from readers._errors import FrameError, ReaderError
from readers._events import (
    CardPresented,
    CardRemoved,
    CodeScanned,
    Health,
    ReaderEvent,
    ReaderStatus,
)
from readers._pcsc import PcscCardReader
from readers._qr import ImageReadError, decode_image_file
from readers._sam import SamCardReader, SamTimeout

__all__ = [
    "CardPresented",
    "CardReader",
    "CardRemoved",
    "CodeScanned",
    "EventSink",
    "FrameError",
    "Health",
    "ImageReadError",
    "PcscCardReader",
    "ReaderError",
    "ReaderEvent",
    "ReaderStatus",
    "SamCardReader",
    "SamTimeout",
    "decode_image_file",
]
