"""The full-screen gate window: thin views that paint what ``kiosk._words`` says a state shows.

Designed for elderly visitors at arm's length (sizes and colours from ``kiosk._style``): one
message per screen, verdict words of at least 72 px, every other public line at least 32 px, every
touch target at least 96x96 px, every colour pair at least 7:1, and each verdict told by colour
AND a large symbol AND words (and sound, wired by the kiosk).

The window holds a stack: the gate page (idle, reading, verdict, out of service) and the other
screens the kiosk adds by name (helper lookup, staff PIN, staff panel). The status strip for staff
stays at the foot of every screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import _style as S
from kiosk._gate import GateState, GateTimings, Phase, Presentation
from kiosk._icons import SymbolWidget
from kiosk._words import (
    CONTEXT,
    HELPER_BUTTON,
    LANGUAGE_NAMES,
    STAFF_CORNER,
    Availability,
    Phrase,
    Screen,
    freshness,
    screen_for,
)

# (context, source, language) -> text; the kiosk passes its Languages.translate.
Translate = Callable[[str, str, str], str]

STAFF_HOLD_MS = 2000  # a long press, so a passer-by does not open the PIN screen by accident
READ_EXPECTED_MS = {Presentation.ID_CARD: 2000, Presentation.CODE: 600, Presentation.TYPED_ID: 600}


def _identity(context: str, source: str, language: str) -> str:
    del context, language
    return source


def phrase_text(phrase: Phrase, language: str, translate: Translate) -> str:
    text = translate(CONTEXT, phrase.source, language)
    return text.replace("%1", phrase.arg) if phrase.arg is not None else text


def font(px: int, language: str = "zh_CN", bold: bool = False) -> QFont:
    f = QFont(S.font_family(language))
    f.setPixelSize(px)
    f.setBold(bold)
    return f


def _label(name: str, parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    return label


def big_button(name: str, text: str, parent: QWidget, palette: S.Palette = S.BUTTON,
               px: int = S.PUBLIC_TEXT_PX, language: str = "zh_CN") -> QPushButton:
    """A touch button: at least 96x96 px, large text, no keyboard focus (the scanner gun types
    into the app, and a focused button would swallow its Enter)."""
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setFont(font(px, language, bold=True))
    button.setMinimumSize(S.TOUCH_TARGET_PX, S.TOUCH_TARGET_PX)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setStyleSheet(_style_for(palette))
    return button


class StaffCorner(QPushButton):
    """The staff entry: a corner target that opens the PIN screen after a 2 s press."""

    activated = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("staffCorner")
        self.setMinimumSize(S.TOUCH_TARGET_PX, S.TOUCH_TARGET_PX)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.setInterval(STAFF_HOLD_MS)
        self._hold.timeout.connect(self.activated)
        self.pressed.connect(self._hold.start)
        self.released.connect(self._hold.stop)


class GatePage(QWidget):
    """Idle, reading, verdict and out-of-service: symbol, headline, second-language line,
    detail, the masked person, badges and notes. Touching it emits ``touched``."""

    touched = Signal()
    languageChosen = Signal(str)
    helperRequested = Signal()
    staffRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gatePage")
        # A plain QWidget subclass ignores its style-sheet background without this attribute.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.language = "zh_CN"
        self.second = "en"
        self._screen: Screen | None = None
        self._translate: Translate = _identity

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        self.language_buttons: dict[str, QPushButton] = {}
        for code, name in LANGUAGE_NAMES.items():
            button = big_button(f"lang_{code}", name, self, S.BUTTON_SECONDARY, language=code)
            button.clicked.connect(lambda _=False, c=code: self.languageChosen.emit(c))
            self.language_buttons[code] = button
            top.addWidget(button)
        top.addStretch(1)
        # The staff corner floats over the page's top-right corner (placed on resize), so it
        # takes no row from the verdict's words.
        self.staff_corner = StaffCorner(self)
        self.staff_corner.activated.connect(self.staffRequested)

        self.symbol = SymbolWidget(self)
        self.symbol.setObjectName("symbol")
        self.headline = _label("headline", self)
        self.headline_second = _label("headlineSecond", self)
        self.detail = _label("detail", self)
        self.detail_second = _label("detailSecond", self)
        self.person = _label("person", self)
        self.badges = _label("badges", self)
        self.notes = _label("notes", self)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("readProgress")
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 100)
        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(50)
        self._progress_timer.timeout.connect(self._advance)
        self._progress_total_ms = 1
        self._progress_ms = 0
        self.helper_button = big_button("helperButton", "", self)
        self.helper_button.clicked.connect(self.helperRequested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.symbol, 5)
        for w in (self.headline, self.headline_second, self.detail, self.detail_second,
                  self.person, self.badges, self.notes):
            layout.addWidget(w, 0)
        layout.addWidget(self.progress, 0)
        layout.addWidget(self.helper_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self._palette = S.PALETTES[None]
        self._apply_fonts(800)

    # Rendering ----------------------------------------------------------------------------

    def set_translate(self, translate: Translate) -> None:
        self._translate = translate

    def set_language(self, language: str, second: str) -> None:
        self.language, self.second = language, second
        for code, button in self.language_buttons.items():
            # The chosen language is shown pressed in: a cue beyond colour.
            palette = S.BUTTON if code == language else S.BUTTON_SECONDARY
            button.setStyleSheet(_style_for(palette))
        self._apply_fonts(self.height())
        if self._screen is not None:
            self.paint_screen(self._screen, self._palette, self._phase_idle, self._presentation)

    _phase_idle = True
    _verdict = False
    _presentation: Presentation | None = None

    def paint_screen(self, screen: Screen, palette: S.Palette, idle: bool,
               reading: Presentation | None) -> None:
        self._screen, self._palette = screen, palette
        self._phase_idle, self._presentation = idle, reading
        self._verdict = screen.outcome is not None
        self.setStyleSheet(
            f"#gatePage {{ background: {palette.background}; }}"
            f" QLabel {{ color: {palette.foreground}; background: transparent; }}"
            f" QProgressBar {{ border: 2px solid {palette.foreground}; border-radius: 6px;"
            f" background: {palette.background}; min-height: 20px; max-height: 20px; }}"
            f" QProgressBar::chunk {{ background: {palette.foreground}; }}"
            f" #staffCorner {{ background: transparent; color: {palette.foreground};"
            f" border: 2px dashed {palette.foreground}; border-radius: 12px; }}"
        )
        self.symbol.set_symbol(screen.symbol, QColor(palette.symbol_ink),
                               QColor(palette.symbol_disc))
        first = self._line(screen.headline, self.language)
        second = self._line(screen.headline, self.second)
        self.headline.setText(first)
        _show(self.headline_second, second if second != first else "")
        if screen.detail is not None:
            d1, d2 = self._line(screen.detail, self.language), self._line(screen.detail,
                                                                            self.second)
            _show(self.detail, d1)
            _show(self.detail_second, d2 if d2 != d1 else "")
        else:
            _show(self.detail, "")
            _show(self.detail_second, "")
        _show(self.person, "  ".join(screen.person))
        _show(self.badges, "  ·  ".join(f"【{self._line(b, self.language)}】"
                                        for b in screen.badges))
        _show(self.notes, "\n".join(self._line(n, self.language) for n in screen.notes))
        for button in self.language_buttons.values():
            button.setVisible(idle)
        self.helper_button.setText(self._line(Phrase(HELPER_BUTTON), self.language))
        self.helper_button.setVisible(idle)
        self.staff_corner.setText(self._line(Phrase(STAFF_CORNER), self.language))
        self._apply_fonts(self.height())
        if reading is not None:
            self._progress_total_ms = READ_EXPECTED_MS[reading]
            self._progress_ms = 0
            self.progress.setValue(0)
            self.progress.show()
            self._progress_timer.start()
        else:
            self._progress_timer.stop()
            self.progress.hide()

    def _line(self, phrase: Phrase, language: str) -> str:
        return phrase_text(phrase, language, self._translate)

    def _advance(self) -> None:
        # Progress eases towards (never reaches) full: a slow card is not shown as "done".
        self._progress_ms += self._progress_timer.interval()
        fraction = self._progress_ms / (self._progress_ms + self._progress_total_ms)
        self.progress.setValue(int(100 * min(0.95, 2 * fraction)))

    def _apply_fonts(self, height: int) -> None:
        # Type scales with the screen height and never drops below the measured minimums. The
        # verdict's words are the largest; the idle and reading lines leave room for pictures.
        if self._verdict:
            head = max(S.VERDICT_TEXT_PX, int(height * 0.085))
        else:
            head = max(S.PUBLIC_TEXT_PX + 16, int(height * 0.06))
        body = max(S.PUBLIC_TEXT_PX, int(height * 0.036))
        lang, second = self.language, self.second
        self.headline.setFont(font(head, lang, bold=True))
        self.headline_second.setFont(font(body, second))
        self.detail.setFont(font(max(body, int(height * 0.045)), lang))
        self.detail_second.setFont(font(body, second))
        self.person.setFont(font(max(48, int(height * 0.06)), lang, bold=True))
        self.badges.setFont(font(body, lang, bold=True))
        self.notes.setFont(font(body, lang))
        self.helper_button.setFont(font(body, lang, bold=True))
        self.staff_corner.setFont(font(S.PUBLIC_TEXT_PX, lang))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.touched.emit()
        super().mouseReleaseEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._apply_fonts(event.size().height())
        corner = self.staff_corner
        corner.resize(corner.sizeHint().expandedTo(corner.minimumSize()))
        corner.move(event.size().width() - corner.width() - 16, 16)
        corner.raise_()
        super().resizeEvent(event)


def _style_for(palette: S.Palette) -> str:
    return (
        f"QPushButton {{ background: {palette.background}; color: {palette.foreground};"
        f" border: 3px solid {palette.foreground}; border-radius: 16px; padding: 8px 24px; }}"
        f" QPushButton:pressed {{ border-width: 6px; }}"
    )


def _show(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class _StripLabel(QLabel):
    """One line that never widens the window: a text too long for its share is cut with "…"
    (the full text stays the label's text and its tooltip)."""

    def __init__(self, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.setFont(self.font())
        shown = QFontMetrics(self.font()).elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                                     self.width())
        painter.drawText(self.rect(), int(self.alignment()), shown)
        painter.end()

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)


class StatusStrip(QFrame):
    """Bottom strip for staff: site and gate, data freshness (and clock trouble), readers.

    Read-only: actions (sync now, tests) are in the staff panel, behind the PIN."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusStrip")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            f"#statusStrip {{ background: {S.STRIP.background}; }}"
            f" QLabel {{ color: {S.STRIP.foreground}; }}"
        )
        self.site = _StripLabel("site", self)
        self.freshness = _StripLabel("freshness", self)
        self.readers = _StripLabel("readers", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 4, 24, 4)
        layout.setSpacing(24)
        # The site's name tends to be the longest entry: it gets the larger share.
        for w, share in ((self.site, 4), (self.freshness, 3), (self.readers, 3)):
            w.setFont(font(S.PUBLIC_TEXT_PX))
            layout.addWidget(w, share)
        self._fresh: tuple[Phrase, bool] | None = None

    def set_language(self, language: str, translate: Translate) -> None:
        for w in (self.site, self.freshness, self.readers):
            w.setFont(font(S.PUBLIC_TEXT_PX, language))
            phrase = w.property("phrase")  # a fixed line set by its source words (the demo's)
            if isinstance(phrase, str):
                w.setText(phrase_text(Phrase(phrase), language, translate))
        if self._fresh is not None:
            text, _alert = self._fresh
            self.freshness.setText(phrase_text(text, language, translate))

    def set_freshness(self, age_s: float | None, stale_after_s: float, clock_rolled_back: bool,
                      language: str, translate: Translate) -> None:
        # Called every 30 s: the label is repainted only when its words or its alert colour
        # change (a style sheet set again re-polishes and repaints even when it is the same).
        previous = self._fresh
        text, alert = self._fresh = freshness(age_s, stale_after_s, clock_rolled_back)
        self.freshness.setText(phrase_text(text, language, translate))
        if previous is None or previous[1] != alert:
            self.freshness.setStyleSheet(f"color: {S.STRIP_ALERT_TEXT};" if alert else "")


class KioskWindow(QMainWindow):
    """The gate screen. ``demo_bar`` holds the simulated-reader buttons in demo mode.

    Once :meth:`lock` is called no key and no window-manager close ends it: the only exit is
    :meth:`unlock` then ``close()`` (the staff panel's exit)."""

    def __init__(self, translate: Translate | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("passkiosk")
        self._translate: Translate = translate or _identity
        self.language, self.second = "zh_CN", "en"
        self._locked = False
        self._key_guard = _KeyGuard(self)
        self.timings = GateTimings()
        self.available = Availability.OK
        self.stale_age_s: float | None = None
        self._state = GateState(Phase.IDLE, 0.0)
        central = QWidget(self)
        self.page = GatePage(central)
        self.page.set_translate(self._translate)
        self.strip = StatusStrip(central)
        self.demo_bar = QFrame(central)
        self.demo_bar.setObjectName("demoBar")
        self.demo_bar.setStyleSheet(f"#demoBar {{ background: {S.STAFF.background}; }}")
        QVBoxLayout(self.demo_bar).setContentsMargins(8, 8, 8, 8)
        self.demo_bar.hide()
        self.stack = QStackedWidget(central)
        self.stack.addWidget(self.page)
        self._screens: dict[str, QWidget] = {"gate": self.page}
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.stack, 1)
        body.addWidget(self.demo_bar, 0)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(body, 1)
        layout.addWidget(self.strip, 0)
        self.setCentralWidget(central)
        self.show_state(self._state)

    # Screens --------------------------------------------------------------------------------

    def add_screen(self, name: str, widget: QWidget) -> None:
        """Add a side screen. It sits in a scroll area, so a screen whose controls need more
        room than a small panel has scrolls instead of pushing the window past the display."""
        holder = QScrollArea(self.stack)
        holder.setObjectName(f"{name}Scroll")
        holder.setFrameShape(QFrame.Shape.NoFrame)
        holder.setWidgetResizable(True)
        holder.setWidget(widget)
        self.stack.addWidget(holder)
        self._screens[name] = holder

    def show_screen(self, name: str) -> None:
        self.stack.setCurrentWidget(self._screens[name])

    def current_screen(self) -> str:
        current = self.stack.currentWidget()
        return next(name for name, w in self._screens.items() if w is current)

    def add_demo_button(self, name: str, label: str) -> QPushButton:
        button = big_button(name, phrase_text(Phrase(label), self.language, self._translate),
                            self.demo_bar, S.BUTTON_SECONDARY)
        button.setProperty("phrase", label)
        layout = self.demo_bar.layout()
        assert layout is not None
        layout.addWidget(button)
        self.demo_bar.show()
        return button

    # Language -------------------------------------------------------------------------------

    def set_language(self, language: str, second: str) -> None:
        self.language, self.second = language, second
        self.page.set_language(language, second)
        self.strip.set_language(language, self._translate)
        for button in self.demo_bar.findChildren(QPushButton):
            phrase = button.property("phrase")
            if isinstance(phrase, str):
                button.setText(phrase_text(Phrase(phrase), language, self._translate))
                button.setFont(font(S.PUBLIC_TEXT_PX, language, bold=True))
        self.show_state(self._state)

    def set_freshness(self, age_s: float | None, stale_after_s: float,
                      clock_rolled_back: bool = False) -> None:
        self.strip.set_freshness(age_s, stale_after_s, clock_rolled_back, self.language,
                                 self._translate)
        self.stale_age_s = age_s if age_s is not None and age_s > stale_after_s else None

    # Rendering ------------------------------------------------------------------------------

    def set_policy(self, timings: GateTimings) -> None:
        self.timings = timings
        self.show_state(self._state)

    def set_availability(self, available: Availability) -> None:
        if available is not self.available:
            self.available = available
            self.show_state(self._state)

    def show_state(self, state: GateState) -> None:
        self._state = state
        screen = screen_for(state, self.timings, stale_age_s=self.stale_age_s,
                            available=self.available)
        out = self.available.out_of_service
        palette = S.OUT_OF_SERVICE if out else S.PALETTES[screen.outcome]
        idle = state.phase is Phase.IDLE and not self.available.out_of_service
        reading = state.presentation if state.phase is Phase.READING else None
        self.page.paint_screen(screen, palette, idle, reading)

    # Full screen and lock-down ----------------------------------------------------------------

    def show_kiosk(self) -> None:
        """Full screen on any display: cage (Wayland), X with a window manager, and a bare X
        server with none — there ``showFullScreen`` alone leaves a small window in a corner,
        because no window manager honours the request; the geometry is set from the screen."""
        self.setWindowFlags(
            self.windowFlags()
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        screen = self.screen() or QApplication.primaryScreen()
        if screen is not None:
            self.setGeometry(QRect(screen.geometry()))
        self.showFullScreen()
        self.lock()

    def lock(self) -> None:
        self._locked = True
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._key_guard)

    def unlock(self) -> None:
        self._locked = False
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._key_guard)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._locked:
            event.ignore()  # Alt+F4 or a window manager's close: only staff may exit
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        event.accept()  # no stray key (Escape, F11, ...) changes the kiosk


class _KeyGuard(QObject):
    """Swallows the shortcuts that would leave or hide the kiosk (Alt+F4, Ctrl+Q, Ctrl+W)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            mods = event.modifiers()
            if (mods & Qt.KeyboardModifier.AltModifier and event.key() == Qt.Key.Key_F4) or (
                mods & Qt.KeyboardModifier.ControlModifier
                and event.key() in (Qt.Key.Key_Q, Qt.Key.Key_W)
            ):
                return True
        return False

