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

Which keys the filter withholds, and why (issue 4: "no visible text field"; the brief: swallow no
more than needed). A key can only be known to belong to a scan after the fact, so keys that may
start a scan are held back and later either dropped (they were a scan) or delivered, in their
original order and to their original receiver (they were not):

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent

from codes import DeviceError

# The most characters a QR symbol can carry in alphanumeric mode (version 40-L, ISO/IEC 18004
# table 7). A wedge burst longer than that is not a scanner reading a PK1/HC1 QR code.
MAX_SCAN_CHARS = 4296
DEFAULT_MIN_CHARS = 20  # a real PK1 token is ~300 characters, an HC1 code 400 or more
DEFAULT_MAX_GAP_S = 0.05
DEFAULT_PREFIXES = ("PK1:", "HC1:")
DEFAULT_IDLE_RELEASE_MS = 250


class WedgeConfigError(DeviceError):
    """The scanner-wedge settings are impossible (e.g. a minimum length above the cap)."""


_LOWER_TO_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True, slots=True)
class Step:
    """What to do with one key, as decided by WedgeDetector.

    Apply in this order: ``release_held`` (deliver every held key, oldest first — the burst
    so far was not a scan), then ``scanned`` (a complete scan: drop the held keys and swallow
    this Enter) or ``hold`` (keep this key back) or neither (deliver this key now).
    """

    release_held: bool = False
    hold: bool = False
    scanned: str | None = None
    rejected: str | None = None  # why a burst that began like a code is not one (for the log)


_PASS = Step()


def normalise_case(text: str) -> str:
    """Undo caps lock: a text with a lower-case letter and no upper-case one is upper-cased.

    Only ASCII letters change; QR alphanumeric text has no other letters.
    """
    if any("A" <= c <= "Z" for c in text) or not any("a" <= c <= "z" for c in text):
        return text
    return text.translate(_LOWER_TO_UPPER)


class WedgeDetector:
    """Pure burst detector (no Qt, no clock): feed it keys with their times, act on its Steps.

    ``t`` is in seconds on any clock that only moves forward; a gap that is negative (clock
    wrapped or mixed sources) ends a burst like a slow key does.
    """

    def __init__(
        self,
        *,
        min_chars: int = DEFAULT_MIN_CHARS,
        max_gap_s: float = DEFAULT_MAX_GAP_S,
        max_chars: int = MAX_SCAN_CHARS,
        prefixes: Sequence[str] = DEFAULT_PREFIXES,
    ) -> None:
        if not prefixes or any(not p for p in prefixes):
            raise WedgeConfigError(f"expected non-empty prefixes, found {prefixes!r}")
        if not 0 < max_gap_s <= 1.0:
            raise WedgeConfigError(f"expected 0 < max_gap_s <= 1 s, found {max_gap_s}")
        longest = max(len(p) for p in prefixes)
        if not longest <= min_chars <= max_chars <= MAX_SCAN_CHARS:
            raise WedgeConfigError(
                f"expected {longest} <= min_chars <= max_chars <= {MAX_SCAN_CHARS}, "
                f"found min_chars={min_chars}, max_chars={max_chars}"
            )
        self._min = min_chars
        self._gap = max_gap_s
        self._max = max_chars
        # Prefixes compare case-insensitively so a caps-lock scan is still recognised (and then
        # normalised); ASCII upper-casing is enough for PK1:/HC1:.
        self._prefixes = tuple(p.translate(_LOWER_TO_UPPER) for p in prefixes)
        self._longest = longest
        self._buf: list[str] = []
        self._last = 0.0

    @property
    def pending(self) -> bool:
        """True while keys are held back as a possible scan."""
        return bool(self._buf)

    def char(self, ch: str, t: float) -> Step:
        """A printable character typed at time ``t``."""
        if len(ch) != 1 or not ch.isprintable():
            return self.other()
        release = False
        rejected: str | None = None
        if self._buf:
            gap = t - self._last
            if not 0.0 <= gap <= self._gap:
                rejected = self._why_not(f"a {gap * 1000:.0f} ms gap after")
                self._buf.clear()
                release = True
            elif len(self._buf) >= self._max:
                rejected = self._why_not(f"more than {self._max} characters in")
                self._buf.clear()
                release = True
            elif self._could_be_code(self._buf, ch):
                self._buf.append(ch)
                self._last = t
                return Step(hold=True)
            else:
                self._buf.clear()
                release = True
        # Idle (or just released): this key may start a new burst.
        if self._could_be_code([], ch):
            self._buf.append(ch)
            self._last = t
            return Step(release_held=release, hold=True, rejected=rejected)
        return Step(release_held=release, rejected=rejected)

    def enter(self, t: float) -> Step:
        """Enter (Return or keypad Enter) at time ``t``: the end of a scan, or just a key."""
        if not self._buf:
            return _PASS
        gap = t - self._last
        if not 0.0 <= gap <= self._gap:
            return self._release(self._why_not(f"a {gap * 1000:.0f} ms gap before Enter after"))
        if len(self._buf) < self._min:
            return self._release(
                self._why_not(f"fewer than {self._min} characters ({len(self._buf)}) in")
            )
        text = normalise_case("".join(self._buf))
        self._buf.clear()
        return Step(scanned=text)

    def other(self) -> Step:
        """Any other key (Tab, arrows, Backspace, Ctrl+...): no scanner types that mid-code."""
        if not self._buf:
            return _PASS
        return self._release(self._why_not("another key in"))

    def abandon(self) -> Step:
        """No key for a while: whatever is held was not a scan."""
        if not self._buf:
            return _PASS
        return self._release(self._why_not("no Enter after"))

    def _release(self, rejected: str | None) -> Step:
        self._buf.clear()
        return Step(release_held=True, rejected=rejected)

    def _could_be_code(self, buf: list[str], ch: str) -> bool:
        if len(buf) >= self._longest:
            return True  # the prefix was checked key by key as it arrived
        typed = ("".join(buf) + ch).translate(_LOWER_TO_UPPER)
        return any(p.startswith(typed[: len(p)]) for p in self._prefixes)

    def _why_not(self, what: str) -> str | None:
        """A reason only when the burst had a complete prefix: a lone "P" is just a letter."""
        head = "".join(self._buf[: self._longest])
        upper = head.translate(_LOWER_TO_UPPER)
        if not any(upper.startswith(p) for p in self._prefixes):
            return None
        return f"not a scan: {what} a burst of {len(self._buf)} characters starting {head!r}"


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
