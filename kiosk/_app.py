"""Application bootstrap shared by the demo and the real kiosk: QApplication, font, language."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from codes import DeviceError

# kiosk/assets is the installed copy of the top-level assets/ folder; in a checkout it is a
# symlink to it, so one path serves the source tree, the venv and the wheel alike.
ASSETS = Path(__file__).resolve().parent / "assets"
TRANSLATIONS = ASSETS / "translations"
LANGUAGES = ("zh_CN", "zh_HK", "en")
DEFAULT_LANGUAGE = "zh_CN"
FONT_FAMILY = "Noto Sans CJK SC"


class KioskSetupError(DeviceError):
    """The kiosk's display environment is incomplete (a missing font or translation file)."""


def application(headless: bool = False) -> QApplication:
    """The process's QApplication (created once). Headless runs use Qt's offscreen platform."""
    has_screen = any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
    if headless and not has_screen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif not has_screen:
        # Without a screen Qt aborts the whole process with a plugin message; say what to do.
        raise KioskSetupError(
            "expected a display (DISPLAY or WAYLAND_DISPLAY), found none: start the kiosk in "
            "its cage/X session, or set QT_QPA_PLATFORM=offscreen to run without a screen"
        )
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("passkiosk")
    # Set the family explicitly: with fontconfig's fallback alone, bold CJK renders as regular.
    if FONT_FAMILY not in QFontDatabase.families():
        raise KioskSetupError(
            f"font family {FONT_FAMILY!r} not found; install the Debian package fonts-noto-cjk"
        )
    app.setFont(QFont(FONT_FAMILY, 14))
    return app


def install_language(app: QApplication, language: str) -> QTranslator | None:
    """Load assets/translations/passkiosk_<language>.qm; English needs no translator."""
    if language not in LANGUAGES:
        raise KioskSetupError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    for old in app.findChildren(QTranslator):
        app.removeTranslator(old)
        old.deleteLater()
    QLocale.setDefault(QLocale(language))
    if language == "en":
        return None
    translator = QTranslator(app)
    qm = TRANSLATIONS / f"passkiosk_{language}.qm"
    if not translator.load(str(qm)):
        raise KioskSetupError(f"translation file missing or unreadable: {qm}")
    app.installTranslator(translator)
    return translator
