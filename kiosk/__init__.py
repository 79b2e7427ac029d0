"""kiosk: the PySide6 gate app — thin Qt views over the pure gate state machine.

The gate machine (``GateMachine`` and its states) is pure Python and imported eagerly. Everything
that needs Qt is exported lazily, so ``passkiosk verify`` (which imports ``kiosk.cli``) never
loads Qt.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from kiosk._gate import GateMachine, GateState, GateTimings, Phase, Presentation

if TYPE_CHECKING:
    from kiosk._bridge import ReaderBridge
    from kiosk._controller import KioskController, Verifier
    from kiosk._run import Kiosk, RunOptions
    from kiosk._sound import SoundPlayer
    from kiosk._verifier import RecordingVerifier
    from kiosk._wedge import WedgeFilter
    from kiosk._wedge_detect import WedgeDetector
    from kiosk._window import KioskWindow

_LAZY = {
    "Kiosk": "kiosk._run",
    "KioskController": "kiosk._controller",
    "KioskWindow": "kiosk._window",
    "ReaderBridge": "kiosk._bridge",
    "RecordingVerifier": "kiosk._verifier",
    "RunOptions": "kiosk._run",
    "SoundPlayer": "kiosk._sound",
    "Verifier": "kiosk._controller",
    "WedgeDetector": "kiosk._wedge_detect",
    "WedgeFilter": "kiosk._wedge",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kiosk' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "GateMachine",
    "GateState",
    "GateTimings",
    "Kiosk",
    "KioskController",
    "KioskWindow",
    "Phase",
    "Presentation",
    "ReaderBridge",
    "RecordingVerifier",
    "RunOptions",
    "SoundPlayer",
    "Verifier",
    "WedgeDetector",
    "WedgeFilter",
]
