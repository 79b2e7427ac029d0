"""Helper proxy lookup, the rules without a screen: the typed ID number, the lookup rate limit and
how the helper identified.

Pure Python (no Qt), time is a parameter. A helper types the resident ID number (GB 11643, PK1
spec §5) of the person they accompany; the number is checked as it is typed so a slip is caught
at the digit, not after the lookup. The raw number stays in :class:`IdEntry` only until the lookup
is made; what is logged about the helper is :class:`HelperId`, never a raw number.

Source strings are English and marked for Qt's lupdate (context ``Helper``); the view translates
them at display time.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import deque
from dataclasses import dataclass

from codes import id18_check_char, id18_problem, mask_id, normalize_id18
from kiosk._marks import QT_TRANSLATE_NOOP

CONTEXT = "Helper"
ID_LENGTH = 18
# §5: "today" for the birth date is China Standard Time.
_CST = dt.timezone(dt.timedelta(hours=8))
_FIRST_BIRTH_YEAR = 1900
# GB/T 2260 province-level codes (the number's first two digits), with 81/82/83 for the residence
# permits of Hong Kong, Macao and Taiwan residents.
PROVINCES = frozenset(
    str(n)
    for n in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
              46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83)
)




class Problem(enum.StrEnum):
    """Why the number typed so far cannot be right (plain reason codes for the screen)."""

    TOO_SHORT = "too_short"
    BAD_REGION = "bad_region"
    BAD_DATE = "bad_date"
    BAD_CHECK = "bad_check"
    INVALID = "invalid"  # §5 refuses it for a reason the keypad's own checks do not name


# One plain sentence per problem; %1 is the count typed so far.
PROBLEM_WORDS: dict[Problem, str] = {
    Problem.TOO_SHORT: QT_TRANSLATE_NOOP("Helper", "%1 of 18 characters entered"),
    Problem.BAD_REGION: QT_TRANSLATE_NOOP(
        "Helper", "The first two digits are not a province code, please check"
    ),
    Problem.BAD_DATE: QT_TRANSLATE_NOOP(
        "Helper", "Digits 7 to 14 are not a real birth date, please check"
    ),
    Problem.BAD_CHECK: QT_TRANSLATE_NOOP(
        "Helper", "The last character does not match, please check the number"
    ),
    Problem.INVALID: QT_TRANSLATE_NOOP("Helper", "This is not a valid ID number, please check"),
}
LAST_IS_X = QT_TRANSLATE_NOOP("Helper", "The last character should be X")
LAST_IS_DIGIT = QT_TRANSLATE_NOOP("Helper", "The last character should be a digit")
X_ONLY_LAST = QT_TRANSLATE_NOOP("Helper", "X can only be the last character")
NUMBER_FULL = QT_TRANSLATE_NOOP("Helper", "All 18 characters are entered")
NUMBER_OK = QT_TRANSLATE_NOOP("Helper", "The number looks right: press Next")


class IdEntry:
    """The ID number typed so far: digits, and ``X`` only as the 18th character."""

    def __init__(self, text: str = "") -> None:
        self._chars: list[str] = []
        for ch in text:
            if not self.push(ch):
                raise ValueError(f"ID entry: expected digits and a final X, got {text!r:.30}")

    @property
    def text(self) -> str:
        return "".join(self._chars)

    def __len__(self) -> int:
        return len(self._chars)

    @property
    def complete(self) -> bool:
        return len(self._chars) == ID_LENGTH

    def refusal(self, key: str) -> str | None:
        """Why ``key`` (a digit or X) cannot be typed next, as an English source line, or None
        when it can."""
        if key.upper() == "X" and len(self._chars) < ID_LENGTH - 1:
            return X_ONLY_LAST
        if self.complete:
            return NUMBER_FULL
        return None

    def push(self, key: str) -> bool:
        """Type one character; False (and nothing changes) when it cannot go next."""
        if len(key) != 1 or not key.isascii() or not (key.isdigit() or key in "Xx"):
            return False
        if self.refusal(key) is not None:
            return False
        self._chars.append(key.upper())
        return True

    def pop(self) -> None:
        """Delete the last character (nothing when empty)."""
        if self._chars:
            self._chars.pop()

    def clear(self) -> None:
        self._chars.clear()

    def grouped(self) -> str:
        """``440102 19900307 123X``: region, birth date and sequence+check, as far as typed."""
        t = self.text
        return " ".join(part for part in (t[:6], t[6:14], t[14:]) if part)

    def masked(self) -> str:
        """The confirm step's form: region and last four kept, the birth date hidden."""
        return mask_id(normalize_id18(self.text))

    def problem(self, now: float) -> Problem | None:
        """The first thing wrong with the number so far, ``TOO_SHORT`` when nothing is wrong
        but it is unfinished, or None when it is a valid number at ``now`` (§5)."""
        t = self.text
        if t and not any(p.startswith(t[:2]) for p in PROVINCES):
            return Problem.BAD_REGION
        if _date_problem(t[6:14], now):
            return Problem.BAD_DATE
        if len(t) < ID_LENGTH:
            return Problem.TOO_SHORT
        if id18_check_char(t[:17]) != t[17]:
            return Problem.BAD_CHECK
        return None if id18_problem(t, int(now)) is None else Problem.INVALID

    def expected_last(self) -> str | None:
        """After 17 digits: :data:`LAST_IS_X` or :data:`LAST_IS_DIGIT`; otherwise None."""
        if len(self._chars) != ID_LENGTH - 1:
            return None
        return LAST_IS_X if id18_check_char(self.text) == "X" else LAST_IS_DIGIT

    def advice(self, now: float) -> tuple[str, str | None]:
        """The line to show under the number: (English source, %1 argument or None)."""
        problem = self.problem(now)
        if problem is None:
            return NUMBER_OK, None
        if problem is Problem.TOO_SHORT:
            hint = self.expected_last()
            if hint is not None:
                return hint, None
            return PROBLEM_WORDS[problem], str(len(self))
        return PROBLEM_WORDS[problem], None


def _date_problem(digits: str, now: float) -> bool:
    """True when the birth-date digits typed so far (``YYYYMMDD`` or a prefix of it) can no
    longer become a date from 1900-01-01 to today in China (§5)."""
    today = dt.datetime.fromtimestamp(now, _CST).date()
    years = range(_FIRST_BIRTH_YEAR, today.year + 1)
    if not any(str(y).startswith(digits[:4]) for y in years):
        return True
    if len(digits) <= 4:
        return False
    year = int(digits[:4])
    months = [f"{m:02d}" for m in range(1, 13) if (year, m) <= (today.year, today.month)]
    if not any(m.startswith(digits[4:6]) for m in months):
        return True
    if len(digits) <= 6:
        return False
    month = int(digits[4:6])
    days = []
    for d in range(1, 32):
        try:
            born = dt.date(year, month, d)
        except ValueError:
            break
        if born <= today:
            days.append(f"{d:02d}")
    return not any(day.startswith(digits[6:8]) for day in days)


class RateLimiter:
    """At most ``limit`` lookups in any ``window_s`` seconds (a sliding window), so the keypad
    cannot be used to enumerate ID numbers. Pass a monotonic clock: a wall clock set back would
    hold old lookups in the window (the wait is capped at ``window_s`` all the same)."""

    def __init__(self, limit: int = 10, window_s: float = 60.0) -> None:
        if limit < 1 or not window_s > 0:
            raise ValueError(
                f"rate limit: expected limit >= 1 and window > 0, got {limit}, {window_s}"
            )
        self.limit = limit
        self.window_s = window_s
        self._times: deque[float] = deque(maxlen=limit)

    def _expire(self, now: float) -> None:
        if self._times and self._times[-1] > now:
            # The clock went back: count those lookups as made now, so they expire in one window.
            self._times = deque((min(t, now) for t in self._times), maxlen=self.limit)
        while self._times and self._times[0] <= now - self.window_s:
            self._times.popleft()

    def allow(self, now: float) -> bool:
        """Count one lookup at ``now`` and say whether it may run (a refusal is not counted)."""
        self._expire(now)
        if len(self._times) >= self.limit:
            return False
        self._times.append(now)
        return True

    def retry_after(self, now: float) -> float:
        """Seconds until :meth:`allow` can say yes (0.0 when it can now), at most ``window_s``."""
        self._expire(now)
        if len(self._times) < self.limit:
            return 0.0
        return min(self.window_s, max(0.0, self._times[0] + self.window_s - now))


# Enough of the subject hash to tell helpers apart in the log, too little to stand for the person.
HASH_PREFIX_HEX = 16


class HelperKind(enum.StrEnum):
    STAFF_PIN = "staff_pin"
    CARD = "card"


@dataclass(frozen=True, slots=True)
class HelperId:
    """How the helper identified before a proxy lookup, as logged with it.

    ``ref`` is empty for the staff PIN, and for a card either a subject-hash prefix (hex) or a
    masked number: a raw ID number is refused, so it can never reach a log."""

    kind: HelperKind
    ref: str = ""

    def __post_init__(self) -> None:
        if self.kind is HelperKind.STAFF_PIN:
            if self.ref:
                raise ValueError("helper: the staff PIN carries no reference")
            return
        is_hex = 0 < len(self.ref) <= HASH_PREFIX_HEX and all(
            c in "0123456789abcdef" for c in self.ref
        )
        is_masked = "*" in self.ref and len(self.ref) == ID_LENGTH
        if not (is_hex or is_masked):
            raise ValueError(
                "helper card: expected a subject-hash prefix (up to 16 lower-case hex) or a "
                f"masked number, got {len(self.ref)} characters"
            )

    @classmethod
    def staff_pin(cls) -> HelperId:
        return cls(HelperKind.STAFF_PIN)

    @classmethod
    def card_hash(cls, subject_hash: bytes) -> HelperId:
        """A helper's own card, by the first bytes of its subject hash (PK1 spec §5)."""
        return cls(HelperKind.CARD, subject_hash.hex()[: HASH_PREFIX_HEX])

    @classmethod
    def card_number(cls, id18: str) -> HelperId:
        """A helper's own card, by its masked number (the raw number is masked here)."""
        return cls(HelperKind.CARD, mask_id(id18))

    def log_text(self) -> str:
        """``staff_pin`` or ``card:<ref>``, for the audit log's detail."""
        return self.kind.value if not self.ref else f"{self.kind.value}:{self.ref}"
