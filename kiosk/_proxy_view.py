"""The helper proxy lookup screen: identify the helper, type the ID number, confirm, look up.

A thin view over :mod:`kiosk._proxy`: the page shows what :class:`IdEntry` says about the number
typed so far and emits ``lookupRequested`` with the number when the helper confirms. The window
decides everything else: who the helper is (``helper_identified``), whether the lookup may run
(the kiosk's :class:`kiosk._proxy.RateLimiter`, then ``show_rate_limited``) and when the page
gives up on an idle helper (every key press emits ``activity``).
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk._keypad import (
    CLEAR,
    DELETE,
    Keypad,
    KeypadPage,
    font,
    keypad_page,
    page_style,
    scaled,
    set_tone,
    touch_button,
)
from kiosk._marks import QT_TRANSLATE_NOOP
from kiosk._proxy import CONTEXT, IdEntry, Problem


class ProxyStep(enum.Enum):
    IDENTIFY = "identify"
    KEYPAD = "keypad"
    CONFIRM = "confirm"
    RATE_LIMITED = "rate_limited"


TITLES: dict[ProxyStep, str] = {
    ProxyStep.IDENTIFY: QT_TRANSLATE_NOOP("Helper", "Helping someone? First show who you are"),
    ProxyStep.KEYPAD: QT_TRANSLATE_NOOP("Helper", "Type the ID number of the person you help"),
    ProxyStep.CONFIRM: QT_TRANSLATE_NOOP("Helper", "Look up this number?"),
    ProxyStep.RATE_LIMITED: QT_TRANSLATE_NOOP("Helper", "Too many lookups"),
}
IDENTIFY_HINT = QT_TRANSLATE_NOOP(
    "Helper", "Tap your own ID card on the reader, or ask staff to enter the PIN"
)
HELPER_LINE = QT_TRANSLATE_NOOP("Helper", "Helper: %1")
STAFF_HELPER = QT_TRANSLATE_NOOP("Helper", "staff member")
RATE_LIMITED = QT_TRANSLATE_NOOP("Helper", "Too many lookups, please try again in %1 seconds")
STAFF_PIN = QT_TRANSLATE_NOOP("Helper", "Staff PIN")
NEXT = QT_TRANSLATE_NOOP("Helper", "Next")
LOOK_UP = QT_TRANSLATE_NOOP("Helper", "Look up")
CHANGE = QT_TRANSLATE_NOOP("Helper", "Change the number")
CANCEL = QT_TRANSLATE_NOOP("Helper", "Cancel")
EMPTY_NUMBER = "—"
COUNTDOWN_TICK_MS = 250


def tr(source: str, arg: str | None = None) -> str:
    text = QCoreApplication.translate(CONTEXT, source)
    return text if arg is None else text.replace("%1", arg)


def _label(name: str, parent: QWidget, wrap: bool = True) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(wrap)
    label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return label


class ProxyLookupPage(KeypadPage):
    """Steps IDENTIFY → KEYPAD → CONFIRM (→ RATE_LIMITED → CONFIRM), with Cancel on each."""

    lookupRequested = Signal(str)
    pinRequested = Signal()
    cancelled = Signal()
    activity = Signal()

    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self.setObjectName("proxyPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(page_style("proxyPage"))
        self._clock = clock
        self._entry = IdEntry()
        self._step = ProxyStep.IDENTIFY
        self._helper = ""
        self._refusal: str | None = None
        self._wait_until = 0.0  # time.monotonic() deadline of the rate-limit wait
        self._requested = False  # one lookup per visit to CONFIRM, however often it is tapped

        self.title = _label("title", self)
        self.title_english = _label("titleEnglish", self)
        self.helper = _label("helper", self)
        self.steps = QStackedWidget(self)

        identify = QWidget(self.steps)
        self.identify_hint = _label("identifyHint", identify)
        self.staff_pin = touch_button("staffPin", identify)
        box = QVBoxLayout(identify)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.identify_hint, 2)
        box.addWidget(self.staff_pin, 1)

        typing = QWidget(self.steps)
        self.number = _label("number", typing, wrap=False)
        self.advice = _label("advice", typing)
        self.next = touch_button("next", typing, primary=True)
        box = QVBoxLayout(typing)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.number, 2)
        box.addWidget(self.advice, 2)
        box.addWidget(self.next, 1)

        confirm = QWidget(self.steps)
        self.masked = _label("masked", confirm, wrap=False)
        self.look_up = touch_button("lookUp", confirm, primary=True)
        self.change = touch_button("change", confirm)
        box = QVBoxLayout(confirm)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.masked, 2)
        row = QHBoxLayout()
        row.addWidget(self.change)
        row.addWidget(self.look_up)
        box.addLayout(row, 1)

        limited = QWidget(self.steps)
        self.rate_limited = _label("rateLimited", limited)
        set_tone(self.rate_limited, "error")
        box = QVBoxLayout(limited)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.rate_limited)

        self._pages = {
            ProxyStep.IDENTIFY: identify,
            ProxyStep.KEYPAD: typing,
            ProxyStep.CONFIRM: confirm,
            ProxyStep.RATE_LIMITED: limited,
        }
        for page in self._pages.values():
            self.steps.addWidget(page)
        self.cancel = touch_button("cancel", self)
        self.keypad = Keypad(self, with_x=True)

        keypad_page(self, [(self.title, 0), (self.title_english, 0), (self.helper, 0),
                           (self.steps, 1), (self.cancel, 0)], self.keypad)

        self.keypad.keyPressed.connect(self._key)
        self.staff_pin.clicked.connect(self._staff_pin)
        self.next.clicked.connect(self._next)
        self.look_up.clicked.connect(self._look_up)
        self.change.clicked.connect(self._change)
        self.cancel.clicked.connect(self._cancel)
        self._countdown = QTimer(self)
        self._countdown.setInterval(COUNTDOWN_TICK_MS)
        self._countdown.timeout.connect(self._tick)
        self._refresh()

    # -- what the window calls --------------------------------------------------------------

    def step(self) -> ProxyStep:
        return self._step

    def start(self) -> None:
        """Begin a new lookup: forget the helper and the number, ask who the helper is."""
        self._entry.clear()
        self._helper = ""
        self._go(ProxyStep.IDENTIFY)

    def helper_identified(self, label: str) -> None:
        """The helper tapped their card or staff entered the PIN: ``label`` is shown as who is
        helping (a masked number or a word, never a raw number); the keypad opens empty."""
        self._helper = label
        self._entry.clear()
        self._go(ProxyStep.KEYPAD)

    def helper_identified_by_pin(self) -> None:
        """Staff entered the PIN: shown as "staff member" in the current language."""
        self.helper_identified(STAFF_HELPER)

    def show_rate_limited(self, seconds: float) -> None:
        """The kiosk refused the lookup: count down, then return to the confirm step."""
        self._wait_until = time.monotonic() + max(0.0, seconds)
        self._go(ProxyStep.RATE_LIMITED)
        self._countdown.start()

    # -- the helper's taps --------------------------------------------------------------------

    def _key(self, key: str) -> None:
        self.activity.emit()
        if self._step is not ProxyStep.KEYPAD:
            return
        self._refusal = None
        if key == DELETE:
            self._entry.pop()
        elif key == CLEAR:
            self._entry.clear()
        else:
            self._refusal = self._entry.refusal(key)
            if self._refusal is None:
                self._entry.push(key)
        self._refresh()

    def _staff_pin(self) -> None:
        self.activity.emit()
        self.pinRequested.emit()

    def _next(self) -> None:
        self.activity.emit()
        if self._entry.problem(self._clock()) is None:
            self._go(ProxyStep.CONFIRM)

    def _look_up(self) -> None:
        self.activity.emit()
        if not self._requested and self._entry.problem(self._clock()) is None:
            self._requested = True
            self.lookupRequested.emit(self._entry.text)

    def _change(self) -> None:
        self.activity.emit()
        self._go(ProxyStep.KEYPAD)

    def _cancel(self) -> None:
        self.activity.emit()
        self._countdown.stop()
        self._entry.clear()
        self._helper = ""
        self._go(ProxyStep.IDENTIFY)
        self.cancelled.emit()

    def _tick(self) -> None:
        if time.monotonic() >= self._wait_until:
            self._countdown.stop()
            self._go(ProxyStep.CONFIRM if self._entry.complete else ProxyStep.KEYPAD)
        else:
            self._refresh()

    # -- painting -----------------------------------------------------------------------------

    def _go(self, step: ProxyStep) -> None:
        if step is not ProxyStep.RATE_LIMITED:
            self._countdown.stop()
        self._step = step
        self._refusal = None
        self._requested = False
        self._refresh()

    def _refresh(self) -> None:
        step = self._step
        self.steps.setCurrentWidget(self._pages[step])
        self.keypad.setVisible(step is ProxyStep.KEYPAD)
        title = TITLES[step]
        self.title.setText(tr(title))
        self.title_english.setText(title if tr(title) != title else "")
        self.title_english.setVisible(bool(self.title_english.text()))
        who = tr(STAFF_HELPER) if self._helper == STAFF_HELPER else self._helper
        self.helper.setText(tr(HELPER_LINE, who) if who else "")
        self.helper.setVisible(bool(self._helper) and step is not ProxyStep.IDENTIFY)
        self.identify_hint.setText(tr(IDENTIFY_HINT))
        self.staff_pin.setText(tr(STAFF_PIN))
        self.next.setText(tr(NEXT))
        self.look_up.setText(tr(LOOK_UP))
        self.change.setText(tr(CHANGE))
        self.cancel.setText(tr(CANCEL))
        self.number.setText(self._entry.grouped() or EMPTY_NUMBER)
        self.masked.setText(self._entry.masked() if self._entry.complete else "")
        now = self._clock()
        problem = self._entry.problem(now)
        if self._refusal is not None:
            self.advice.setText(tr(self._refusal))
            set_tone(self.advice, "error")
        else:
            source, arg = self._entry.advice(now)
            self.advice.setText(tr(source, arg))
            bad = problem not in (None, Problem.TOO_SHORT)
            set_tone(self.advice, "error" if bad else "plain")
        self.next.setVisible(problem is None)
        left = max(0.0, self._wait_until - time.monotonic())
        self.rate_limited.setText(tr(RATE_LIMITED, str(math.ceil(left))))

    def _fit(self, h: int) -> None:
        self.title.setFont(font(scaled(h, 0.055), bold=True))
        for label in (self.title_english, self.helper):
            label.setFont(font(scaled(h, 0.04)))
        for label in (self.number, self.masked):
            label.setFont(font(scaled(h, 0.07), bold=True))
        for label in (self.advice, self.identify_hint, self.rate_limited):
            label.setFont(font(scaled(h, 0.045)))
        for button in self.findChildren(QPushButton):
            if button.parent() is not self.keypad:
                button.setFont(font(scaled(h, 0.045), bold=True))
