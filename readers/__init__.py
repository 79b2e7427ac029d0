"""readers package: every way a person presents themselves at the gate, as plain events.

No Qt here: readers run their own threads and hand events to an ``EventSink`` callable.
- Events: ``CardPresented``, ``CardRemoved``, ``CodeScanned``, ``ReaderStatus`` (with
  ``Health``), together ``ReaderEvent``; the interface ``CardReader`` and ``EventSink``.
- ``PcscCardReader``: resident ID cards on PC/SC readers (serial via ``00 36 00 00 08``).
- ``SamCardReader``/``SamTimeout``: GA/T 467 SAM ID card readers on a serial port (ID number
  and name).
- ``SerialScanner``: serial-port scanner guns (one code per CR/LF-terminated line).
- ``CameraScanner``: QR codes from a ``FrameSource`` (``CvFrameSource``: a camera or video
  file), with ``CodeFilter`` (de-duplication, confirmation), ``ScannerStats`` and
  ``SceneConfig`` (how little decoding a still scene gets).
- QR decoding: ``decode_image_file`` (a picture file), ``FrameDecoder`` (a frame within a time
  budget, giving a ``DecodeResult``), ``TemporalFuser``, ``is_well_formed_token``; their
  tunables in ``DecodeConfig``.
- Errors, all ``codes.DeviceError``: ``ReaderError``, ``FrameError``, ``CameraError``,
  ``ImageReadError``.
"""

from typing import TYPE_CHECKING

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

__all__ = [
    "CameraError",
    "CameraScanner",
    "CardPresented",
    "CardReader",
    "CardRemoved",
    "CodeFilter",
    "CodeScanned",
    "CvFrameSource",
    "DecodeConfig",
    "DecodeResult",
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
    "SceneConfig",
    "SerialScanner",
    "TemporalFuser",
    "decode_image_file",
    "is_well_formed_token",
]

# The devices load OpenCV, numpy, zxing-cpp, pyzbar, pyserial and pyscard; the kiosk's event
# handling only needs the events, so `from readers import CardPresented` stays cheap and the
# device modules are imported on first access (PEP 562).
if TYPE_CHECKING:
    from readers._camera import (
        CameraError,
        CameraScanner,
        CodeFilter,
        CvFrameSource,
        FrameSource,
        ScannerStats,
    )
    from readers._pcsc import PcscCardReader
    from readers._qr import (
        DecodeConfig,
        DecodeResult,
        FrameDecoder,
        ImageReadError,
        TemporalFuser,
        decode_image_file,
        is_well_formed_token,
    )
    from readers._sam import SamCardReader, SamTimeout
    from readers._scene import SceneConfig
    from readers._serial_scanner import SerialScanner

_LAZY = {
    "CameraError": "readers._camera",
    "CameraScanner": "readers._camera",
    "CodeFilter": "readers._camera",
    "CvFrameSource": "readers._camera",
    "FrameSource": "readers._camera",
    "ScannerStats": "readers._camera",
    "PcscCardReader": "readers._pcsc",
    "DecodeConfig": "readers._qr",
    "DecodeResult": "readers._qr",
    "FrameDecoder": "readers._qr",
    "ImageReadError": "readers._qr",
    "TemporalFuser": "readers._qr",
    "decode_image_file": "readers._qr",
    "is_well_formed_token": "readers._qr",
    "SamCardReader": "readers._sam",
    "SamTimeout": "readers._sam",
    "SceneConfig": "readers._scene",
    "SerialScanner": "readers._serial_scanner",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'readers' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
