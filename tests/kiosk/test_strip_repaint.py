"""The status strip's data-age line (refreshed every 30 s) repaints only when it changes."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from pytestqt.qtbot import QtBot

from kiosk._window import StatusStrip

STALE_AFTER_S = 24 * 3600.0


class Paints(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def settle() -> None:
    """Deliver what is pending (an update posts its repaint request; painting may post more)."""
    for _ in range(3):
        QCoreApplication.processEvents()


def test_the_data_age_line_repaints_only_when_its_words_or_colour_change(qtbot: QtBot) -> None:
    strip = StatusStrip()
    qtbot.addWidget(strip)
    strip.resize(1200, 60)
    strip.show()
    qtbot.waitExposed(strip)

    def refresh(age_s: float) -> None:
        strip.set_freshness(age_s, STALE_AFTER_S, False, "en", lambda _ctx, text, _lang: text)

    refresh(600)  # data 10 minutes old
    qtbot.waitUntil(lambda: strip.freshness.text() != "")
    settle()
    paints = Paints()
    strip.freshness.installEventFilter(paints)

    refresh(620)  # 30 s later: still 10 minutes, nothing to repaint
    refresh(650)
    settle()
    assert paints.count == 0
    words = strip.freshness.text()

    refresh(661)  # the minute turned: the line says 11
    qtbot.waitUntil(lambda: paints.count > 0)
    assert strip.freshness.text() != words

    paints.count = 0
    refresh(STALE_AFTER_S + 3600)  # stale: the alert colour comes on
    qtbot.waitUntil(lambda: paints.count > 0)
    assert strip.freshness.styleSheet() != ""
    settle()
    paints.count = 0
    refresh(STALE_AFTER_S + 3630)  # still stale, same hour: no repaint
    settle()
    assert paints.count == 0
