"""The staff PIN screen, and the checker that asks :class:`kiosk._pin.PinGuard` off the GUI thread.

The page shows one dot per digit (never the digits), a keypad without X, and what the guard said
(wrong, tries left; locked, with a countdown). It is public — anyone at the gate can see it —
so it keeps the public sizes (text at least 32 px, keys at least 96x96 px).

The PIN check is a scrypt hash (~30 ms on the kiosk, see docs/performance.md): :class:`PinChecker`
runs it on a worker thread so the screen never stutters while it is checked.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

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
from kiosk._pin import (
    CHECKING,
    CONTEXT,
    ENTER_PIN,
    LOCKED_OUT,
    WRONG_PIN,
    PinGuard,
    PinResult,
    PinStatus,
)

MIN_PIN = 4  # sync.Store.set_staff_pin accepts no shorter PIN
MAX_PIN = 12  # the longest a keypad PIN sensibly gets; more digits are ignored
DOT, EMPTY_DOTS = "●", "—"
COUNTDOWN_TICK_MS = 250
OK = QT_TRANSLATE_NOOP("Staff", "OK")
CANCEL = QT_TRANSLATE_NOOP("Staff", "Cancel")
HINT = QT_TRANSLATE_NOOP("Staff", "Type the PIN, then press OK")


def tr(source: str, arg: str | None = None) -> str:
    text = QCoreApplication.translate(CONTEXT, source)
    return text if arg is None else text.replace("%1", arg)


class PinPage(KeypadPage):
    """Dots, a message line, a keypad, OK and Cancel. ``pinEntered`` carries the digits once
    (the page forgets them at once and waits for ``show_wrong``, ``show_locked`` or ``reset``)."""

    pinEntered = Signal(str)
    cancelled = Signal()
    activity = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(page_style("pinPage"))
        self._digits = ""
        self._message = HINT
        self._arg: str | None = None
        self._error = False
        self._checking = False
        self._locked_until = 0.0  # time.monotonic() deadline

        def label(name: str) -> QLabel:
            w = QLabel(self)
            w.setObjectName(name)
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            w.setWordWrap(True)
            return w

        self.title = label("title")
        self.title_english = label("titleEnglish")
        self.dots = label("dots")
        self.message = label("message")
        self.ok = touch_button("ok", self, primary=True)
        self.cancel = touch_button("cancel", self)
        self.keypad = Keypad(self, with_x=False)

        keypad_page(self, [(self.title, 0), (self.title_english, 0), (self.dots, 2),
                           (self.message, 2), (self.ok, 1), (self.cancel, 1)], self.keypad)

        self.keypad.keyPressed.connect(self._key)
        self.ok.clicked.connect(self._ok)
        self.cancel.clicked.connect(self._cancel)
        self._countdown = QTimer(self)
        self._countdown.setInterval(COUNTDOWN_TICK_MS)
        self._countdown.timeout.connect(self._tick)
        self._refresh()

    # -- what the window calls --------------------------------------------------------------

    def reset(self) -> None:
        """Empty, ready for a PIN (also ends a countdown)."""
        self._countdown.stop()
        self._locked_until = 0.0
        self._digits = ""
        self._checking = False
        self._say(HINT)

    def show_wrong(self, tries_left: int) -> None:
        self._countdown.stop()
        self._checking = False
        self._digits = ""
        self._say(WRONG_PIN, str(max(0, tries_left)), error=True)

    def show_locked(self, seconds: float) -> None:
        """Refuse every key for ``seconds``, counting down; then ready again."""
        self._checking = False
        self._digits = ""
        self._locked_until = time.monotonic() + max(0.0, seconds)
        self._say(LOCKED_OUT, str(math.ceil(max(0.0, seconds))), error=True)
        self._countdown.start()

    def show_result(self, result: PinResult) -> bool:
        """Show a guard's answer; True when it was the right PIN (the page is reset)."""
        if result.status is PinStatus.OK:
            self.reset()
            return True
        if result.status is PinStatus.LOCKED:
            self.show_locked(result.locked_s)
        else:
            self.show_wrong(result.tries_left)
        return False

    def locked(self) -> bool:
        return self._countdown.isActive()

    def entered_length(self) -> int:
        return len(self._digits)

    # -- taps --------------------------------------------------------------------------------

    def _key(self, key: str) -> None:
        self.activity.emit()
        if self._checking or self.locked():
            return
        if key == DELETE:
            self._digits = self._digits[:-1]
        elif key == CLEAR:
            self._digits = ""
        elif key.isdigit() and len(self._digits) < MAX_PIN:
            self._digits += key
        if self._error:
            self._say(HINT)
        self._refresh()

    def _ok(self) -> None:
        self.activity.emit()
        if self._checking or self.locked() or len(self._digits) < MIN_PIN:
            return
        pin, self._digits = self._digits, ""
        self._checking = True
        self._say(CHECKING)
        self.pinEntered.emit(pin)

    def _cancel(self) -> None:
        self.activity.emit()
        self._digits = ""
        self._checking = False
        self._refresh()
        self.cancelled.emit()

    def _tick(self) -> None:
        left = self._locked_until - time.monotonic()
        if left <= 0:
            self.reset()
        else:
            self._say(LOCKED_OUT, str(math.ceil(left)), error=True)

    # -- painting ---------------------------------------------------------------------------

    def _say(self, source: str, arg: str | None = None, error: bool = False) -> None:
        self._message, self._arg, self._error = source, arg, error
        self._refresh()

    def _refresh(self) -> None:
        self.title.setText(tr(ENTER_PIN))
        self.title_english.setText(ENTER_PIN if tr(ENTER_PIN) != ENTER_PIN else "")
        self.title_english.setVisible(bool(self.title_english.text()))
        self.dots.setText(" ".join(DOT * len(self._digits)) or EMPTY_DOTS)
        self.message.setText(tr(self._message, self._arg))
        set_tone(self.message, "error" if self._error else "plain")
        self.ok.setText(tr(OK))
        self.cancel.setText(tr(CANCEL))
        # While locked or checking, keys are ignored rather than disabled: a greyed key would
        # fall below 7:1, and the message line already says why nothing happens.
        self.ok.setVisible(len(self._digits) >= MIN_PIN and not self._checking)

    def _fit(self, h: int) -> None:
        self.title.setFont(font(scaled(h, 0.055), bold=True))
        self.title_english.setFont(font(scaled(h, 0.04)))
        self.dots.setFont(font(scaled(h, 0.07), bold=True))
        self.message.setFont(font(scaled(h, 0.045)))
        for button in (self.ok, self.cancel):
            button.setFont(font(scaled(h, 0.045), bold=True))


class PinChecker(QObject):
    """Runs ``guard.attempt`` on a worker thread and emits ``finished(PinResult)`` on the GUI
    thread, or ``failed(str)`` when the check could not run (e.g. the store failed). One check
    at a time: a PIN submitted while one is checked is refused (False)."""

    finished = Signal(object)
    failed = Signal(str)

    def __init__(
        self, guard: PinGuard, clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._guard = guard
        self._clock = clock
        self._thread: threading.Thread | None = None

    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, pin: str) -> bool:
        if self.busy():
            return False
        self._thread = threading.Thread(
            target=self._run, args=(pin,), name="pin-check", daemon=True
        )
        self._thread.start()
        return True

    def _run(self, pin: str) -> None:
        # A signal emitted from this thread is queued to the receivers' (GUI) thread. Anything
        # the check raises must reach the screen, not die with the thread.
        try:
            result = self._guard.attempt(pin, self._clock())
        except Exception as e:
            self.failed.emit(f"{type(e).__name__}: {e}")
            return
        self.finished.emit(result)

    def wait(self, timeout_s: float = 5.0) -> None:
        """Join a running check (at shutdown, before the store is closed)."""
        if self._thread is not None:
            self._thread.join(timeout_s)
