"""Reader errors: all are codes.DeviceError, so the kiosk catches one root."""

from __future__ import annotations

from codes import DeviceError


class ReaderError(DeviceError):
    """A card reader, SAM reader or scanner failed or answered outside its protocol."""


class FrameError(ReaderError):
    """A GA/T 467 frame is malformed: bad header, length, checksum or status."""
