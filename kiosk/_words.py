"""What the gate screen says: every word it shows, and which of them each gate state shows.

Pure Python (no Qt), so the rules are tested without a screen; the window only translates and
paints what :func:`screen_for` and :func:`freshness` return.

Source strings are English and marked for Qt's lupdate; the window translates them at display
time. The kiosk runs in Simplified Chinese by default, with Traditional Chinese (Hong Kong) and
English available (assets/translations/*.ts). The screen shows the translated line large and,
when the language is not English, the English source line below it, so a visitor who reads
neither Chinese script still understands the gate.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from codes import Kind, Outcome, Verdict
from kiosk._gate import GateState, GateTimings, Phase, Presentation
from kiosk._marks import QT_TRANSLATE_NOOP
from readers import Health

CONTEXT = "Gate"
# Validity is shown in China Standard Time, the only zone the kiosks serve.
CST = timezone(timedelta(hours=8))




IDLE_TITLE = QT_TRANSLATE_NOOP("Gate", "Please tap your ID card or show your pass code")
IDLE_HINT = QT_TRANSLATE_NOOP("Gate", "Hold the card on the reader for 2 seconds")
IDLE_CODE_HINT = QT_TRANSLATE_NOOP("Gate", "Phone or printed code: hold it up to the camera")
READING_CARD = QT_TRANSLATE_NOOP("Gate", "Reading your card, please do not move it")
READING_CODE = QT_TRANSLATE_NOOP("Gate", "Checking your code")
READING_TYPED = QT_TRANSLATE_NOOP("Gate", "Looking up the ID number")

HEADLINES: dict[Outcome, str] = {
    Outcome.PASS: QT_TRANSLATE_NOOP("Gate", "Please go through"),
    Outcome.ATTENTION: QT_TRANSLATE_NOOP("Gate", "Please wait for staff"),
    Outcome.DENY: QT_TRANSLATE_NOOP("Gate", "Entry not allowed"),
    Outcome.INVALID: QT_TRANSLATE_NOOP("Gate", "Not recognised, please try again"),
}

# One explanation per reason code (PK1 spec §4 and §6, plus the gate's own read failures).
REASONS: dict[str, str] = {
    "ok": QT_TRANSLATE_NOOP("Gate", "Green code"),
    "no_record": QT_TRANSLATE_NOOP("Gate", "No health record restricts entry"),
    "status_yellow": QT_TRANSLATE_NOOP("Gate", "Yellow code: staff will check"),
    "status_red": QT_TRANSLATE_NOOP("Gate", "Red code: please see staff"),
    "revoked_subject": QT_TRANSLATE_NOOP("Gate", "Health status has changed: please see staff"),
    "revoked_card": QT_TRANSLATE_NOOP("Gate", "This card is flagged: please see staff"),
    "revoked_token": QT_TRANSLATE_NOOP("Gate", "This code has been withdrawn"),
    "expired": QT_TRANSLATE_NOOP("Gate", "This code has expired: please get a new one"),
    "not_yet_valid": QT_TRANSLATE_NOOP("Gate", "This code is not valid yet"),
    "lifetime": QT_TRANSLATE_NOOP("Gate", "This code has an invalid validity period"),
    "bad_signature": QT_TRANSLATE_NOOP("Gate", "This code could not be verified"),
    "unknown_key": QT_TRANSLATE_NOOP("Gate", "This code's issuer is not known here"),
    "key_revoked": QT_TRANSLATE_NOOP("Gate", "This code's issuer key was withdrawn"),
    "key_expired": QT_TRANSLATE_NOOP("Gate", "This code's issuer key is out of date"),
    "unsupported_alg": QT_TRANSLATE_NOOP("Gate", "This code could not be verified"),
    "wrong_key_usage": QT_TRANSLATE_NOOP("Gate", "This certificate type is not allowed"),
    "wrong_prefix": QT_TRANSLATE_NOOP("Gate", "This is not a pass code"),
    "malformed": QT_TRANSLATE_NOOP("Gate", "This code is damaged or not a pass code"),
    "too_large": QT_TRANSLATE_NOOP("Gate", "This code is damaged or not a pass code"),
    "bad_id_number": QT_TRANSLATE_NOOP("Gate", "The ID number is not valid"),
    "bad_card_serial": QT_TRANSLATE_NOOP("Gate", "The card could not be read"),
    "stale_data": QT_TRANSLATE_NOOP("Gate", "Kiosk data is out of date: staff will check"),
    "read_timeout": QT_TRANSLATE_NOOP("Gate", "Reading took too long, please try again"),
    "card_removed": QT_TRANSLATE_NOOP("Gate", "Card moved too soon: hold it for 2 seconds"),
    "no_data": QT_TRANSLATE_NOOP("Gate", "This kiosk has no trust list yet: staff will check"),
    "internal_error": QT_TRANSLATE_NOOP("Gate", "Something went wrong: please see staff"),
}
UNKNOWN_REASON = QT_TRANSLATE_NOOP("Gate", "Please see staff")

KIND_PHONE = QT_TRANSLATE_NOOP("Gate", "Phone code")
KIND_PRINTED = QT_TRANSLATE_NOOP("Gate", "Printed code")
KIND_CARD = QT_TRANSLATE_NOOP("Gate", "ID card")
KIND_HC1 = QT_TRANSLATE_NOOP("Gate", "EU / WHO certificate")
PROXY = QT_TRANSLATE_NOOP("Gate", "Issued by a helper")
VALID_UNTIL = QT_TRANSLATE_NOOP("Gate", "Valid until %1")

DATA_FRESH = QT_TRANSLATE_NOOP("Gate", "Data updated %1 min ago")
DATA_STALE = QT_TRANSLATE_NOOP("Gate", "Offline: data is %1 h old")
DATA_NEVER = QT_TRANSLATE_NOOP("Gate", "No data synced yet")
CLOCK_ROLLED_BACK = QT_TRANSLATE_NOOP("Gate", "Clock was set back: using the last trusted time")
DEMO_MODE = QT_TRANSLATE_NOOP("Gate", "DEMO")
DATA_AGE = QT_TRANSLATE_NOOP("Gate", "Offline check: kiosk data is %1 h old")

BADGE_PROXY = QT_TRANSLATE_NOOP("Gate", "Proxy lookup")
BADGE_PRINTED = QT_TRANSLATE_NOOP("Gate", "Printed code")
WAIT_FOR_STAFF = QT_TRANSLATE_NOOP("Gate", "Staff have been alerted and will come to you")
NEXT_WAITS = QT_TRANSLATE_NOOP("Gate", "Next person: please wait a moment")
AMBER_PASS = QT_TRANSLATE_NOOP("Gate", "Please go through: staff will note your yellow code")

IDLE_NO_CARD_TITLE = QT_TRANSLATE_NOOP(
    "Gate", "Card reader out of order: please show your pass code")
IDLE_NO_CODE_TITLE = QT_TRANSLATE_NOOP("Gate", "Camera out of order: please tap your ID card")
HELPER_BUTTON = QT_TRANSLATE_NOOP("Gate", "Look up for someone")
STAFF_CORNER = QT_TRANSLATE_NOOP("Gate", "Staff")

OUT_TITLE = QT_TRANSLATE_NOOP("Gate", "This gate is out of service")
OUT_READERS = QT_TRANSLATE_NOOP("Gate", "The card reader and the camera are not working")
OUT_READERS_STILL = QT_TRANSLATE_NOOP("Gate", "Please use another gate or ask staff for help")
OUT_READERS_STAFF = QT_TRANSLATE_NOOP(
    "Gate", "Staff: check the reader and camera cables, then test them in the staff panel")
OUT_STORAGE = QT_TRANSLATE_NOOP("Gate", "Entry records cannot be saved")
OUT_STORAGE_STILL = QT_TRANSLATE_NOOP("Gate", "Please use another gate or ask staff for help")
OUT_STORAGE_STAFF = QT_TRANSLATE_NOOP(
    "Gate", "Staff: the kiosk's disk has failed or is full; records already saved are safe")
OUT_CLOCK = QT_TRANSLATE_NOOP("Gate", "The kiosk clock was set back")
OUT_CLOCK_STILL = QT_TRANSLATE_NOOP("Gate", "Please use another gate or ask staff for help")
OUT_CLOCK_STAFF = QT_TRANSLATE_NOOP(
    "Gate", "Staff: correct the date and time, then run a sync from the staff panel")

LANGUAGE_NAMES = {"zh_CN": "简体中文", "zh_HK": "繁體中文", "en": "English"}

DEMO_CARD = QT_TRANSLATE_NOOP("Gate", "Tap ID card")
DEMO_PHONE = QT_TRANSLATE_NOOP("Gate", "Phone code")
DEMO_PRINTED = QT_TRANSLATE_NOOP("Gate", "Printed code")
DEMO_YELLOW = QT_TRANSLATE_NOOP("Gate", "Yellow code")
DEMO_RED = QT_TRANSLATE_NOOP("Gate", "Red code")
DEMO_BROKEN = QT_TRANSLATE_NOOP("Gate", "Damaged code")
DEMO_SITE = QT_TRANSLATE_NOOP("Gate", "DEMO · Guangzhou South · Gate 3")
DEMO_READERS = QT_TRANSLATE_NOOP("Gate", "Card reader ✓ · Camera ✓")



class Symbol(enum.StrEnum):
    """The large picture on the screen; every outcome has its own shape (not only a colour)."""

    CHECK = "check"
    EXCLAMATION = "exclamation"
    CROSS = "cross"
    QUESTION = "question"
    CARD = "card"
    QR = "qr"
    CARD_OR_CODE = "card_or_code"  # the idle picture: a card on the reader, or a code


SYMBOL_FOR: dict[Outcome, Symbol] = {
    Outcome.PASS: Symbol.CHECK,
    Outcome.ATTENTION: Symbol.EXCLAMATION,
    Outcome.DENY: Symbol.CROSS,
    Outcome.INVALID: Symbol.QUESTION,
}


@dataclass(frozen=True, slots=True)
class Phrase:
    """A source string to translate at display time, with the value for its ``%1``, if any."""

    source: str
    arg: str | None = None


class Availability(enum.StrEnum):
    """What the gate can still do: shapes the idle screen, or replaces it when out of service."""

    OK = "ok"
    NO_CARD = "no_card"  # card readers down, codes still read
    NO_CODE = "no_code"  # camera/scanner down, cards still read
    OUT_READERS = "out_readers"
    OUT_STORAGE = "out_storage"
    OUT_CLOCK = "out_clock"

    @property
    def out_of_service(self) -> bool:
        return self.value.startswith("out_")


def availability(
    card_ok: bool | None, code_ok: bool | None, *, storage_ok: bool, clock_rolled_back: bool
) -> Availability:
    """``card_ok``/``code_ok``: None when no such reader is configured.

    Storage first: without it no entry can be recorded (出入登记 is the gate's duty). A clock set
    back makes every expiry check unreliable. A gate with neither a working card reader nor a
    working code reader serves nobody. A scanner gun on the keyboard wedge needs no
    configuration, so codes count as readable unless a configured code reader has failed."""
    if not storage_ok:
        return Availability.OUT_STORAGE
    if clock_rolled_back:
        return Availability.OUT_CLOCK
    if card_ok is False and code_ok is False:
        return Availability.OUT_READERS
    if card_ok is False:
        return Availability.NO_CARD
    if code_ok is False:
        return Availability.NO_CODE if card_ok else Availability.OUT_READERS
    return Availability.OK


@dataclass(frozen=True, slots=True)
class Screen:
    """One state of the gate screen. ``outcome`` picks the colours (None: idle or reading).

    ``person`` holds the masked name and ID number, shown large as they are (never translated,
    never raw). ``badges`` say how the check was made (printed code, proxy lookup, validity);
    ``notes`` are the smaller lines at the foot (staff alerted, data age, queue)."""

    outcome: Outcome | None
    symbol: Symbol
    headline: Phrase
    detail: Phrase | None = None
    person: tuple[str, ...] = ()
    badges: tuple[Phrase, ...] = ()
    notes: tuple[Phrase, ...] = ()


_READING = {
    Presentation.ID_CARD: READING_CARD,
    Presentation.CODE: READING_CODE,
    Presentation.TYPED_ID: READING_TYPED,
}

_OUT_OF_SERVICE = {
    Availability.OUT_READERS: (OUT_READERS, OUT_READERS_STILL, OUT_READERS_STAFF),
    Availability.OUT_STORAGE: (OUT_STORAGE, OUT_STORAGE_STILL, OUT_STORAGE_STAFF),
    Availability.OUT_CLOCK: (OUT_CLOCK, OUT_CLOCK_STILL, OUT_CLOCK_STAFF),
}


def screen_for(
    state: GateState,
    timings: GateTimings | None = None,
    *,
    stale_age_s: float | None = None,
    available: Availability = Availability.OK,
) -> Screen:
    """What the gate shows for ``state`` under the site's ``timings``.

    ``stale_age_s``: the kiosk's list age when it is past the site's freshness limit (offline), so
    a verdict says how old the data behind it is; None when the data is fresh."""
    timings = timings or GateTimings()
    if available.out_of_service:
        what, still, staff = _OUT_OF_SERVICE[available]
        return Screen(None, Symbol.EXCLAMATION, Phrase(OUT_TITLE), Phrase(what),
                      notes=(Phrase(still), Phrase(staff)))
    if state.phase is Phase.VERDICT and state.verdict is not None:
        return _verdict_screen(state, state.verdict, timings, stale_age_s)
    if state.phase is Phase.READING:
        presentation = state.presentation or Presentation.CODE
        symbol = Symbol.QR if presentation is Presentation.CODE else Symbol.CARD
        return Screen(None, symbol, Phrase(_READING[presentation]))
    if available is Availability.NO_CARD:
        return Screen(None, Symbol.QR, Phrase(IDLE_NO_CARD_TITLE), Phrase(IDLE_CODE_HINT))
    if available is Availability.NO_CODE:
        return Screen(None, Symbol.CARD, Phrase(IDLE_NO_CODE_TITLE), Phrase(IDLE_HINT))
    return Screen(None, Symbol.CARD_OR_CODE, Phrase(IDLE_TITLE), Phrase(IDLE_HINT),
                  notes=(Phrase(IDLE_CODE_HINT),))


def _verdict_screen(
    state: GateState, verdict: Verdict, timings: GateTimings, stale_age_s: float | None
) -> Screen:
    outcome = verdict.outcome
    headline = Phrase(HEADLINES[outcome])
    if outcome is Outcome.ATTENTION and timings.amber_may_pass:
        headline = Phrase(AMBER_PASS)
    notes: list[Phrase] = []
    if timings.needs_staff(verdict):
        notes.append(Phrase(WAIT_FOR_STAFF))
    if stale_age_s is not None:
        notes.append(Phrase(DATA_AGE, str(int(stale_age_s // 3600))))
    if state.queued is not None:
        notes.append(Phrase(NEXT_WAITS))
    return Screen(
        outcome,
        SYMBOL_FOR[outcome],
        headline,
        # A green code needs no explanation; every other reason says what to do.
        None if verdict.reason == "ok" else Phrase(REASONS.get(verdict.reason, UNKNOWN_REASON)),
        tuple(p for p in (verdict.name_masked, verdict.id_masked) if p),
        badges(verdict, state.presentation),
        tuple(notes),
    )


def badges(verdict: Verdict, presentation: Presentation | None) -> tuple[Phrase, ...]:
    """How the check was made and how long the code is valid: never a raw ID number."""
    parts: list[Phrase] = []
    if presentation is Presentation.TYPED_ID:
        parts.append(Phrase(BADGE_PROXY))
    elif verdict.format == "HC1":
        parts.append(Phrase(KIND_HC1))
    elif verdict.kind is Kind.PRINTED:
        parts.append(Phrase(BADGE_PRINTED))
    elif verdict.kind is Kind.PHONE:
        parts.append(Phrase(KIND_PHONE))
    elif presentation is Presentation.ID_CARD:
        parts.append(Phrase(KIND_CARD))
    if verdict.proxy and presentation is not Presentation.TYPED_ID:
        parts.append(Phrase(PROXY))
    if verdict.outcome is Outcome.PASS and verdict.expires_at is not None:
        until = datetime.fromtimestamp(verdict.expires_at, UTC).astimezone(CST)
        parts.append(Phrase(VALID_UNTIL, until.strftime("%m-%d %H:%M")))
    return tuple(parts)


def freshness(
    age_s: float | None, stale_after_s: float, clock_rolled_back: bool = False
) -> tuple[Phrase, bool]:
    """The status strip's data line and whether it is an alert (staff must look)."""
    if clock_rolled_back:
        return Phrase(CLOCK_ROLLED_BACK), True
    if age_s is None:
        return Phrase(DATA_NEVER), True
    if age_s > stale_after_s:
        return Phrase(DATA_STALE, str(int(age_s // 3600))), True
    return Phrase(DATA_FRESH, str(int(age_s // 60))), False


HEALTH_MARK = {Health.OK: "✓", Health.DEGRADED: "⚠", Health.LOST: "✗"}


def readers_line(health: Mapping[str, Health]) -> str:
    """The status strip's reader line: each reader by name, with a mark staff read at a glance."""
    return "  ".join(f"{source} {HEALTH_MARK[h]}" for source, h in sorted(health.items()))
