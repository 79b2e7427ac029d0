"""kiosk: the PySide6 gate app — thin Qt views over the pure gate state machine.

Every name is exported lazily: ``passkiosk verify`` (which imports ``kiosk.cli``, and so this
package) loads neither Qt nor the gate state machine, which it does not use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk._bridge import ReaderBridge
    from kiosk._config import (
        ConfigError,
        KioskConfig,
        ReadersConfig,
        VerdictPolicy,
        default_config_path,
        load_config,
        save_config,
    )
    from kiosk._controller import KioskController, Verifier
    from kiosk._gate import GateMachine, GateState, GateTimings, Phase, Presentation
    from kiosk._keypad import Keypad
    from kiosk._panel import StaffPanel
    from kiosk._panel_model import ListInfo, PanelStatus, export_today_counts
    from kiosk._pin import MemoryLockState, PinGuard, PinResult, PinStatus, StoreLockState
    from kiosk._pin_view import PinChecker, PinPage
    from kiosk._proxy import HelperId, IdEntry, RateLimiter
    from kiosk._proxy_view import ProxyLookupPage, ProxyStep
    from kiosk._run import Kiosk, RunOptions
    from kiosk._sound import SoundPlayer
    from kiosk._verifier import RecordingVerifier
    from kiosk._wedge import WedgeFilter
    from kiosk._wedge_detect import WedgeDetector
    from kiosk._window import KioskWindow

_LAZY = {
    "GateMachine": "kiosk._gate",
    "GateState": "kiosk._gate",
    "GateTimings": "kiosk._gate",
    "Phase": "kiosk._gate",
    "Presentation": "kiosk._gate",
    "ConfigError": "kiosk._config",
    "KioskConfig": "kiosk._config",
    "ListInfo": "kiosk._panel_model",
    "PanelStatus": "kiosk._panel_model",
    "ReadersConfig": "kiosk._config",
    "StaffPanel": "kiosk._panel",
    "VerdictPolicy": "kiosk._config",
    "default_config_path": "kiosk._config",
    "export_today_counts": "kiosk._panel_model",
    "load_config": "kiosk._config",
    "save_config": "kiosk._config",
    "HelperId": "kiosk._proxy",
    "IdEntry": "kiosk._proxy",
    "Keypad": "kiosk._keypad",
    "MemoryLockState": "kiosk._pin",
    "PinChecker": "kiosk._pin_view",
    "PinGuard": "kiosk._pin",
    "PinPage": "kiosk._pin_view",
    "PinResult": "kiosk._pin",
    "PinStatus": "kiosk._pin",
    "ProxyLookupPage": "kiosk._proxy_view",
    "ProxyStep": "kiosk._proxy_view",
    "RateLimiter": "kiosk._proxy",
    "StoreLockState": "kiosk._pin",
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
    "ConfigError",
    "GateMachine",
    "GateState",
    "GateTimings",
    "HelperId",
    "IdEntry",
    "Keypad",
    "Kiosk",
    "KioskConfig",
    "KioskController",
    "KioskWindow",
    "ListInfo",
    "MemoryLockState",
    "PanelStatus",
    "Phase",
    "PinChecker",
    "PinGuard",
    "PinPage",
    "PinResult",
    "PinStatus",
    "Presentation",
    "ProxyLookupPage",
    "ProxyStep",
    "RateLimiter",
    "ReaderBridge",
    "ReadersConfig",
    "RecordingVerifier",
    "RunOptions",
    "SoundPlayer",
    "StaffPanel",
    "StoreLockState",
    "VerdictPolicy",
    "Verifier",
    "WedgeDetector",
    "WedgeFilter",
    "default_config_path",
    "export_today_counts",
    "load_config",
    "save_config",
]
