"""USB scanner guns in keyboard-wedge mode: recognise a scanned code among ordinary keystrokes.

A handheld HID scanner "types" the code it read as fast keystrokes and then Enter. The kiosk has
no visible text field for that, so an application-wide event filter watches every key press and
tells a scan from a person typing:

- a scan is at least ``min_chars`` printable characters, each at most ``max_gap_s`` after the
  previous one (scanners type a key every 1-20 ms; people need 100 ms or more, and nobody keeps
  every gap of 20 keys under 50 ms), ending in Enter, and starting with ``PK1:`` or ``HC1:``
  (PK1 spec §1, §7);
- at most ``MAX_SCAN_CHARS`` characters: the most any QR symbol holds in alphanumeric mode, so a
  longer "burst" is not a scanner reading a QR code (the house size cap).

Which keys the filter withholds, and why (the gate has no visible text field, and a person's own
typing must never be eaten: swallow no more than needed). A key can only be known to belong to
a scan after the fact, so keys that may start a scan are held back and later either dropped
(they were a scan) or delivered, in their original order and to their original receiver (they
were not):

- a key that cannot start ``PK1:``/``HC1:`` (e.g. the digits of a typed ID number) is never held;
- ``P``/``H`` (any case) and the keys after it are held only while the text still matches a
  prefix and every gap stays short; a slow key, a non-matching key, any other key (arrows,
  Backspace, Ctrl+...) or ``idle_release_ms`` without a key delivers everything held at once, so
  a person sees their letter at most ~a quarter second late;
- only a complete scan is swallowed: its characters, its Enter and that Enter's release.

Case. Base45 and the QR alphanumeric alphabet have no lower-case letters, so a genuine code never
contains one. A scanner with caps lock on the host types every letter in the other case
(``pk1:6bfo...``); such a text (lower-case prefix, no upper-case letter anywhere) is upper-cased,
which restores it exactly. Any other mix of cases is passed on as typed and the verifier reports
it (``wrong_prefix``/``malformed``) — better a clear "cannot read this code" at the gate than
keys silently landing nowhere. PK1 spec §1 forbids case folding inside the *verifier*; this is the
transport undoing a known keyboard artefact before the verifier sees the text.

Limits (documented, not solved here): a scanner emulating a US keyboard on a host with another
layout (e.g. German QWERTZ swaps Y and Z) types wrong characters, which the verifier rejects;
keys that are application shortcuts are taken by Qt before any event filter sees them; an input
method (IME) active in a focused text field consumes keys before they become key events.
Serial-port scanners avoid all of these (readers/).

Timing. Gaps come from each key event's own timestamp (set by the window system when the key was
pressed), so a busy GUI thread does not stretch them; events without one (synthetic events have
timestamp 0) use the monotonic clock when they are processed. Tests inject a clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent

from kiosk._wedge_detect import (
    DEFAULT_IDLE_RELEASE_MS,
    Step,
    WedgeDetector,
)

_ENTER_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})
# Keys that only change what the next key types: neutral to the detector, but held while a burst
# is pending so the original order survives a release.
_MODIFIER_KEYS = frozenset(
    {
        Qt.Key.Key_Shift,
        Qt.Key.Key_Control,
        Qt.Key.Key_Alt,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_Meta,
        Qt.Key.Key_CapsLock,
        Qt.Key.Key_NumLock,
    }
)
_COMMAND_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)


class WedgeFilter(QObject):
    """Application-wide event filter turning scanner-gun bursts into ``scanned(str)``.

    Install with ``app.installEventFilter(WedgeFilter(app))``. ``rejected(str)`` tells the log
    why a burst that began like a code was not taken as one. ``clock`` (seconds) replaces the
    event timestamps, for tests; ``idle_release_ms`` is how long held keys wait for the next key.
    """

    scanned = Signal(str)
    rejected = Signal(str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        detector: WedgeDetector | None = None,
        clock: Callable[[], float] | None = None,
        idle_release_ms: int = DEFAULT_IDLE_RELEASE_MS,
    ) -> None:
        super().__init__(parent)
        self._det = detector if detector is not None else WedgeDetector()
        self._clock = clock
        self._held: list[tuple[QObject, QEvent]] = []
        self._held_keys: set[int] = set()  # keys whose presses are in _held
        self._replaying = False
        self._eat_release: int | None = None
        self._idle_ms = idle_release_ms
        self._last_held_at = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_idle)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._replaying:
            return False
        etype = event.type()
        if etype not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        if not isinstance(event, QKeyEvent):  # pragma: no cover - Qt always sends QKeyEvent
            return False
        # One key event visits several receivers (the window, the focus widget, its parents when
        # ignored). That needs no bookkeeping: the filter lets a key through only when it leaves
        # the detector idle (it could not start a code), so a later visit of the same event
        # meets an idle detector again and passes again, changing nothing.
        if etype == QEvent.Type.KeyRelease:
            return self._on_release(watched, event)
        return self._on_press(watched, event)

    def _on_press(self, watched: QObject, event: QKeyEvent) -> bool:
        self._eat_release = None
        key = event.key()
        text = event.text()
        if key in _ENTER_KEYS:
            step = self._det.enter(self._time(event))
        elif key in _MODIFIER_KEYS:
            step = Step(hold=self._det.pending)
        elif len(text) == 1 and text.isprintable() and not event.modifiers() & _COMMAND_MODIFIERS:
            step = self._det.char(text, self._time(event))
        else:
            step = self._det.other()
        if step.release_held:
            self._replay()
        if step.rejected is not None:
            self.rejected.emit(step.rejected)
        if step.scanned is not None:
            self._held.clear()
            self._held_keys.clear()
            if self._timer.isActive():
                self._timer.stop()
            self._eat_release = key
            self.scanned.emit(step.scanned)
            return True
        if step.hold:
            self._held.append((watched, event.clone()))
            self._held_keys.add(key)
            self._last_held_at = time.monotonic()
            if not self._timer.isActive():
                # Armed once per burst, not per key: _on_idle re-arms it for the time left.
                self._timer.start(self._idle_ms)
            return True
        return False

    def _on_release(self, watched: QObject, event: QKeyEvent) -> bool:
        if self._eat_release == event.key():
            self._eat_release = None
            return True
        # Hold the release of a held press (their order survives a replay); the release of a
        # key pressed before the burst began belongs to no scan and goes through.
        if self._held and event.key() in self._held_keys:
            self._held.append((watched, event.clone()))
            return True
        return False

    def _on_idle(self) -> None:
        left_ms = self._idle_ms - (time.monotonic() - self._last_held_at) * 1000.0
        if left_ms > 1.0 and self._held:
            self._timer.start(int(left_ms) + 1)  # keys kept coming: wait for the last one
            return
        step = self._det.abandon()
        self._replay()
        if step.rejected is not None:
            self.rejected.emit(step.rejected)

    def _replay(self) -> None:
        """Deliver the held key events, oldest first, to the objects they were meant for."""
        held, self._held = self._held, []
        self._held_keys.clear()
        if self._timer.isActive():
            self._timer.stop()
        self._replaying = True
        try:
            for receiver, event in held:
                if _alive(receiver):
                    QCoreApplication.sendEvent(receiver, event)
        finally:
            self._replaying = False

    def _time(self, event: QKeyEvent) -> float:
        if self._clock is not None:
            return self._clock()
        stamp = event.timestamp()
        return stamp / 1000.0 if stamp else time.monotonic()


def _alive(obj: QObject) -> bool:
    """False once the C++ object is gone (a window closed while its keys were held)."""
    import shiboken6

    return bool(shiboken6.isValid(obj))
