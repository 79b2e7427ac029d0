"""The full-screen gate window: a thin view that renders :class:`GateState`.

Designed for elderly visitors at arm's length: one message per screen, very large type that
scales with the screen height, verdicts shown by colour AND a large symbol AND words, and high
contrast (amber carries black text; green, red and grey carry white).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from PySide6.QtCore import Qt, Signal
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

from codes import Kind, Outcome, Verdict
from kiosk import _words as W
from kiosk._gate import GateState, Phase, Presentation
from kiosk._icons import SYMBOL_FOR, Symbol, SymbolWidget

FONT_FAMILY = "Noto Sans CJK SC"
CST = timezone(timedelta(hours=8))


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

    def show_lines(self, head: W.Words, detail: W.Words | None, person: str) -> None:
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
        if clock_rolled_back:
            self.freshness.setText(W.words(W.CLOCK_ROLLED_BACK).text)
            self.freshness.setStyleSheet("color: #FFB300;")
            return
        if age_s is None:
            text, alert = W.words(W.DATA_NEVER).text, True
        elif age_s > stale_after_s:
            text = W.words(W.DATA_STALE).text.replace("%1", str(int(age_s // 3600)))
            alert = True
        else:
            text = W.words(W.DATA_FRESH).text.replace("%1", str(int(age_s // 60)))
            alert = False
        self.freshness.setText(text)
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
        button = QPushButton(W.words(label).text, self.demo_bar)
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
        if state.phase is Phase.VERDICT and state.verdict is not None:
            self._render_verdict(state.verdict, state.presentation)
        elif state.phase is Phase.READING:
            self.page.set_palette(PALETTES[None])
            self.page.symbol.set_symbol(Symbol.CARD, QColor(PALETTES[None].foreground))
            source = {
                Presentation.ID_CARD: W.READING_CARD,
                Presentation.TYPED_ID: W.READING_TYPED,
            }.get(state.presentation or Presentation.CODE, W.READING_CODE)
            self.page.show_lines(W.words(source), None, "")
        else:
            self.page.set_palette(PALETTES[None])
            self.page.symbol.set_symbol(Symbol.CARD, QColor(PALETTES[None].foreground))
            self.page.show_lines(W.words(W.IDLE_TITLE), W.words(W.IDLE_HINT), "")
            self.page.person.setText(W.words(W.IDLE_CODE_HINT).text)
            self.page.person.setVisible(True)

    def _render_verdict(self, verdict: Verdict, presentation: Presentation | None) -> None:
        palette = PALETTES[verdict.outcome]
        self.page.set_palette(palette)
        self.page.symbol.set_symbol(SYMBOL_FOR[verdict.outcome], QColor(palette.background))
        detail = None if verdict.reason == "ok" else W.reason_words(verdict.reason)
        self.page.show_lines(W.words(W.HEADLINES[verdict.outcome]), detail,
                             _person_line(verdict, presentation))


def _person_line(verdict: Verdict, presentation: Presentation | None) -> str:
    """Masked name and ID, what was presented, and validity: never a raw ID number."""
    parts = [p for p in (verdict.name_masked, verdict.id_masked) if p]
    if verdict.format == "HC1":
        parts.append(W.words(W.KIND_HC1).text)
    elif verdict.kind is Kind.PHONE:
        parts.append(W.words(W.KIND_PHONE).text)
    elif verdict.kind is Kind.PRINTED:
        parts.append(W.words(W.KIND_PRINTED).text)
    elif presentation is Presentation.ID_CARD:
        parts.append(W.words(W.KIND_CARD).text)
    elif presentation is Presentation.TYPED_ID:
        parts.append(W.words(W.KIND_TYPED).text)
    if verdict.proxy:
        parts.append(W.words(W.PROXY).text)
    if verdict.outcome is Outcome.PASS and verdict.expires_at is not None:
        until = datetime.fromtimestamp(verdict.expires_at, UTC).astimezone(CST)
        parts.append(W.words(W.VALID_UNTIL).text.replace("%1", until.strftime("%m-%d %H:%M")))
    return "  ·  ".join(parts)

