"""Application bootstrap shared by the demo and the real kiosk: QApplication, font, language."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QObject, QTranslator, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from codes import DeviceError
from kiosk._style import font_family

# kiosk/assets is the installed copy of the top-level assets/ folder; in a checkout it is a
# symlink to it, so one path serves the source tree, the venv and the wheel alike.
ASSETS = Path(__file__).resolve().parent / "assets"
TRANSLATIONS = ASSETS / "translations"
LANGUAGES = ("zh_CN", "zh_HK", "en")
DEFAULT_LANGUAGE = "zh_CN"
FONT_FAMILY = "Noto Sans CJK SC"
FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK HK")


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
    families = set(QFontDatabase.families())
    for family in FONT_FAMILIES:
        if family not in families:
            raise KioskSetupError(
                f"font family {family!r} not found; install the Debian package fonts-noto-cjk"
            )
    app.setFont(QFont(FONT_FAMILY, 14))
    return app


def system_language() -> str:
    """The kiosk language the system locale asks for (LANG / LC_ALL), Simplified by default."""
    name = QLocale.system().name()  # e.g. "zh_CN", "zh_HK", "zh_TW", "en_US", "C"
    if name in ("zh_HK", "zh_TW", "zh_MO"):
        return "zh_HK"
    if name.startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def second_language(language: str) -> str:
    """The language of a screen's smaller second line: English under Chinese, and Simplified
    Chinese under English (most visitors who cannot read the first line read one of these)."""
    return "zh_CN" if language == "en" else "en"


class Languages(QObject):
    """The three screen languages, switchable at any time.

    Every translator is loaded at start, so a switch never touches the disk and any line can be
    translated into any language (for the second line) without changing the installed one."""

    changed = Signal(str)

    def __init__(self, app: QApplication, default: str = DEFAULT_LANGUAGE) -> None:
        super().__init__(app)
        _check_language(default)
        self._app = app
        self._translators: dict[str, QTranslator] = {}
        for language in LANGUAGES:
            if language == "en":
                continue
            translator = QTranslator(self)
            qm = TRANSLATIONS / f"passkiosk_{language}.qm"
            if not translator.load(str(qm)):
                raise KioskSetupError(f"translation file missing or unreadable: {qm}")
            self._translators[language] = translator
        self.default = default
        self.current = ""
        self.set_language(default)

    def set_language(self, language: str) -> None:
        _check_language(language)
        if language == self.current:
            return
        old = self._translators.get(self.current)
        if old is not None:
            self._app.removeTranslator(old)
        new = self._translators.get(language)
        if new is not None:
            self._app.installTranslator(new)
        self.current = language
        QLocale.setDefault(QLocale(language))
        self._app.setFont(QFont(font_family(language), 14))
        self.changed.emit(language)

    def set_default(self, language: str) -> None:
        _check_language(language)
        self.default = language

    def reset(self) -> None:
        """Back to the site's default language (after each person)."""
        self.set_language(self.default)

    def translate(self, context: str, source: str, language: str | None = None) -> str:
        language = language or self.current
        translator = self._translators.get(language)
        if translator is None:
            return source
        text = translator.translate(context, source)
        return text or source


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise KioskSetupError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")


def tr(context: str, source: str) -> str:
    """Translate into the installed language (for views that re-read their words on a switch)."""
    return QCoreApplication.translate(context, source)


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
