"""USB scanner guns in keyboard-wedge mode, the pure part: tell a scanned code from typing.

No Qt and no clock here (times are parameters): ``WedgeDetector`` decides per key, ``Step`` says
what to do with it; ``kiosk._wedge.WedgeFilter`` applies that to Qt key events. The rules, the
held keys and the case handling are described there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
