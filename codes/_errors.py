"""The project's two exception roots.

Every exception that leaves a passkiosk package is one of these (or a subclass), so the kiosk can
catch exactly what it expects and show a person something actionable. Messages say what was
expected and what was found. User-facing words live only in kiosk/; these messages are for logs,
staff and the command line.
"""

from __future__ import annotations


class TokenError(Exception):
    """A code, token, trust list or revocation list is not what the spec requires.

    ``reason`` is the spec's reason code (PK1 spec §4), e.g. ``malformed`` or ``too_large``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class DeviceError(Exception):
    """A device or transport failed: card reader, camera, scanner, serial port, network, store."""
