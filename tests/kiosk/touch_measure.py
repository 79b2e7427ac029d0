"""Measure a shown page the way the senior-friendly rules are written (kiosk._style): every
visible text at least 32 px, every button at least 96x96 px, every text/background pair one of
kiosk._style's pairs and at least 7:1. Label backgrounds are read from the rendered page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from PySide6.QtCore import QPoint
from PySide6.QtGui import QFontInfo, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kiosk import _style
from kiosk._app import install_language

P = TypeVar("P", bound=QWidget)

BORDER = 3  # px, the buttons' border in kiosk._keypad.page_style
STYLE_PAIRS = {(fg.lower(), bg.lower()) for _, fg, bg in _style.pairs()}


def problems(page: QWidget, min_text_px: int = _style.PUBLIC_TEXT_PX) -> list[str]:
    """What breaks the rules on ``page`` as it is shown now (empty when nothing does)."""
    out: list[str] = []
    image = page.grab().toImage()
    ratio = image.devicePixelRatio()
    widgets = [w for w in page.findChildren(QWidget) if w.isVisible()]
    texts = [w for w in widgets if isinstance(w, QLabel | QPushButton) and w.text()]
    if not texts:
        return ["no visible text at all"]
    for w in texts:
        name = f"{type(w).__name__} {w.objectName()!r} ({w.text()[:20]!r})"
        px = QFontInfo(w.font()).pixelSize()
        if px < min_text_px or w.font().pixelSize() < min_text_px:
            out.append(f"{name}: text {px} px < {min_text_px}")
        fg = w.palette().color(w.foregroundRole()).name()
        if isinstance(w, QPushButton):
            bg = w.palette().color(QPalette.ColorRole.Button).name()
            if w.width() < _style.TOUCH_TARGET_PX or w.height() < _style.TOUCH_TARGET_PX:
                out.append(f"{name}: {w.width()}x{w.height()} < {_style.TOUCH_TARGET_PX}")
            if w.fontMetrics().horizontalAdvance(w.text()) > w.contentsRect().width() - 2 * BORDER:
                out.append(f"{name}: face wider than its {w.width()} px button")
        else:
            corner = w.mapTo(page, QPoint(1, 1))
            bg = image.pixelColor(int(corner.x() * ratio), int(corner.y() * ratio)).name()
            if not w.wordWrap() and w.fontMetrics().horizontalAdvance(w.text()) > w.width():
                out.append(f"{name}: text wider than its {w.width()} px")
        if (fg, bg) not in STYLE_PAIRS:
            out.append(f"{name}: colours {fg} on {bg} are not a kiosk._style pair")
        elif _style.contrast(fg, bg) < _style.MIN_CONTRAST:
            out.append(f"{name}: contrast {_style.contrast(fg, bg):.2f} < 7")
    return out


def problems_per_step(qtbot: QtBot, page: P, size: tuple[int, int], language: str,
                      steps: Callable[[P], Iterator[str]]) -> dict[str, list[str]]:
    """Show ``page`` at ``size`` in ``language`` and measure it at every step ``steps`` walks it
    through (the app's language is English again afterwards)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    install_language(app, language)
    try:
        page.resize(*size)
        qtbot.waitUntil(lambda: page.size().width() == size[0], timeout=2000)
        return {step: problems(page) for step in steps(page)}
    finally:
        install_language(app, "en")
