"""readers package: every way a person presents themselves at the gate, as plain events.

No Qt here: readers run their own threads and hand events to an ``EventSink`` callable.
- ``PcscCardReader``: resident ID cards on PC/SC readers (serial via ``00 36 00 00 08``).
- ``SamCardReader``: GA/T 467 SAM ID card readers on a serial port (ID number and name).
- ``SerialScanner``: serial-port scanner guns (one code per CR/LF-terminated line).
- ``decode_image_file``: QR codes in a picture.
- ``CameraScanner``: QR codes from a camera or video file (``CvFrameSource``), with a budgeted
  decoding cascade (``FrameDecoder``) and deterministic camera degradation (``degrade``).
"""

from readers._camera import (
    CameraError,
    CameraScanner,
    CodeFilter,
    CvFrameSource,
    FrameSource,
    ScannerStats,
)
from readers._card_reader import CardReader, EventSink
from readers._degrade import (
    DEGRADED_FAMILIES,
    FAMILIES,
    DegradeError,
    degrade,
    make_sample,
    render_qr,
)
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
from readers._qr import (
    DecodeResult,
    FrameDecoder,
    ImageReadError,
    TemporalFuser,
    decode_image_file,
    is_well_formed_token,
)
from readers._sam import SamCardReader, SamTimeout
from readers._serial_scanner import SerialScanner

__all__ = [
    "DEGRADED_FAMILIES",
    "FAMILIES",
    "CameraError",
    "CameraScanner",
    "CardPresented",
    "CardReader",
    "CardRemoved",
    "CodeFilter",
    "CodeScanned",
    "CvFrameSource",
    "DecodeResult",
    "DegradeError",
    "EventSink",
    "FrameDecoder",
    "FrameError",
    "FrameSource",
    "Health",
    "ImageReadError",
    "PcscCardReader",
    "ReaderError",
    "ReaderEvent",
    "ReaderStatus",
    "SamCardReader",
    "SamTimeout",
    "ScannerStats",
    "SerialScanner",
    "TemporalFuser",
    "decode_image_file",
    "degrade",
    "is_well_formed_token",
    "make_sample",
    "render_qr",
]
