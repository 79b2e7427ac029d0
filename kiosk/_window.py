"""The full-screen gate window: a thin view that paints what ``kiosk._words`` says a state shows.

Designed for elderly visitors at arm's length: one message per screen, very large type that
scales with the screen height, verdicts shown by colour AND a large symbol AND words, and high
contrast (amber carries black text; green, red and grey carry white).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from codes import Outcome
from kiosk._gate import GateState, Phase
from kiosk._icons import SymbolWidget
from kiosk._words import CONTEXT, Phrase, freshness, screen_for

FONT_FAMILY = "Noto Sans CJK SC"


@dataclass(frozen=True, slots=True)
class Palette:
    background: str
    foreground: str


PALETTES: dict[Outcome | None, Palette] = {
    None: Palette("#FFFFFF", "#0D3B66"),  # idle / reading
    Outcome.PASS: Palette("#1B7F3B", "#FFFFFF"),
    Outcome.ATTENTION: Palette("#FFB300", "#111111"),
    Outcome.DENY: Palette("#C62828", "#FFFFFF"),
    Outcome.INVALID: Palette("#546E7A", "#FFFFFF"),
}


@dataclass(frozen=True, slots=True)
class Line:
    """A translated line plus its English source (shown underneath when they differ)."""

    text: str
    english: str


def translate(phrase: Phrase) -> Line:
    text, english = QCoreApplication.translate(CONTEXT, phrase.source), phrase.source
    if phrase.arg is not None:
        text, english = text.replace("%1", phrase.arg), english.replace("%1", phrase.arg)
    return Line(text, english)


def _label(name: str, parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


def _font(px: int, bold: bool = False) -> QFont:
    font = QFont(FONT_FAMILY)
    font.setPixelSize(max(px, 12))
    font.setBold(bold)
    return font


class GatePage(QWidget):
    """The one page of the gate screen: symbol, headline, English line, detail lines.

    Touching it emits ``touched``: on a verdict that dismisses it (staff acknowledging)."""

    touched = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gatePage")
        # A plain QWidget subclass ignores its style-sheet background without this attribute.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.symbol = SymbolWidget(self)
        self.symbol.setObjectName("symbol")
        self.headline = _label("headline", self)
        self.english = _label("headlineEnglish", self)
        self.detail = _label("detail", self)
        self.detail_english = _label("detailEnglish", self)
        self.person = _label("person", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 24)
        layout.setSpacing(12)
        layout.addWidget(self.symbol, 5)
        for w in (self.headline, self.english, self.detail, self.detail_english, self.person):
            layout.addWidget(w, 0)
        self._palette = PALETTES[None]

    def set_palette(self, palette: Palette) -> None:
        self._palette = palette
        self.setStyleSheet(
            f"#gatePage {{ background: {palette.background}; }}"
            f" QLabel {{ color: {palette.foreground}; background: transparent; }}"
        )

    def show_lines(self, head: Line, detail: Line | None, person: str) -> None:
        self.headline.setText(head.text)
        self.english.setText(head.english if head.english != head.text else "")
        self.english.setVisible(bool(self.english.text()))
        self.detail.setText(detail.text if detail else "")
        self.detail_english.setText(
            detail.english if detail and detail.english != detail.text else ""
        )
        self.detail.setVisible(bool(self.detail.text()))
        self.detail_english.setVisible(bool(self.detail_english.text()))
        self.person.setText(person)
        self.person.setVisible(bool(person))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.touched.emit()
        super().mouseReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Type scales with the screen: ~10 % of the height for the headline, so it reads from
        # two metres on a 1080p screen and still fits a 1280x800 panel.
        h = event.size().height()
        self.headline.setFont(_font(int(h * 0.095), bold=True))
        self.english.setFont(_font(int(h * 0.045)))
        self.detail.setFont(_font(int(h * 0.05)))
        self.detail_english.setFont(_font(int(h * 0.032)))
        self.person.setFont(_font(int(h * 0.045), bold=True))
        super().resizeEvent(event)


class StatusStrip(QFrame):
    """Bottom strip for staff: site and gate, data freshness (and clock trouble), readers.

    Touching it emits ``touched``: the kiosk answers with "sync now" (safe for anyone to ask).
    """

    touched = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusStrip")
        self.setStyleSheet("#statusStrip { background: #263238; } QLabel { color: #ECEFF1; }")
        self.site = _label("site", self)
        self.freshness = _label("freshness", self)
        self.readers = _label("readers", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 6, 24, 6)
        for w in (self.site, self.freshness, self.readers):
            w.setFont(_font(22))
            layout.addWidget(w)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.touched.emit()
        super().mouseReleaseEvent(event)

    def set_freshness(
        self, age_s: float | None, stale_after_s: float, clock_rolled_back: bool = False
    ) -> None:
        text, alert = freshness(age_s, stale_after_s, clock_rolled_back)
        self.freshness.setText(translate(text).text)
        self.freshness.setStyleSheet("color: #FFB300;" if alert else "")


class KioskWindow(QMainWindow):
    """The gate screen. ``demo_bar`` holds the simulated-reader buttons in demo mode."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("passkiosk")
        central = QWidget(self)
        self.page = GatePage(central)
        self.strip = StatusStrip(central)
        self.demo_bar = QFrame(central)
        self.demo_bar.setObjectName("demoBar")
        self.demo_bar.setStyleSheet("#demoBar { background: #ECEFF1; }")
        QHBoxLayout(self.demo_bar).setContentsMargins(12, 6, 12, 6)
        self.demo_bar.hide()
        self.stack = QStackedWidget(central)
        self.stack.addWidget(self.page)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.demo_bar, 0)
        layout.addWidget(self.strip, 0)
        self.setCentralWidget(central)
        self.show_state(GateState(Phase.IDLE, 0.0))

    def add_demo_button(self, name: str, label: str) -> QPushButton:
        button = QPushButton(translate(Phrase(label)).text, self.demo_bar)
        button.setObjectName(name)
        button.setFont(_font(22, bold=True))
        button.setMinimumHeight(52)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keystrokes belong to the scanner gun
        layout = self.demo_bar.layout()
        assert layout is not None
        layout.addWidget(button)
        self.demo_bar.show()
        return button

    # Rendering ----------------------------------------------------------------------------------

    def show_state(self, state: GateState) -> None:
        screen = screen_for(state)
        palette = PALETTES[screen.outcome]
        self.page.set_palette(palette)
        # On a verdict the symbol takes the verdict's colour on its white disc.
        ink = palette.foreground if screen.outcome is None else palette.background
        self.page.symbol.set_symbol(screen.symbol, QColor(ink))
        person = "  ·  ".join(p if isinstance(p, str) else translate(p).text for p in screen.person)
        self.page.show_lines(
            translate(screen.headline),
            translate(screen.detail) if screen.detail is not None else None,
            person,
        )
