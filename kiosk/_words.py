"""Every word the gate screen shows, in one place, through Qt's translation system.

Source strings are English; the kiosk runs in Simplified Chinese by default, with Traditional
Chinese (Hong Kong) and English available (assets/translations/*.ts). The screen shows the
translated line large and, when the language is not English, the English source line below it,
so a visitor who reads neither Chinese script still understands the gate.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from codes import Outcome

_CTX = "Gate"


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:
    """Marks ``source`` for lupdate; it is translated at display time by :func:`words`.

    PySide6's own marker is typed as returning ``object``; this one keeps the tables ``str``."""
    assert context == _CTX
    return source


@dataclass(frozen=True, slots=True)
class Words:
    """A translated line plus its English source (shown underneath when they differ)."""

    text: str
    english: str


def words(source: str) -> Words:
    return Words(QCoreApplication.translate(_CTX, source), source)


IDLE_TITLE = QT_TRANSLATE_NOOP("Gate", "Please tap your ID card or show your pass code")
IDLE_HINT = QT_TRANSLATE_NOOP("Gate", "Hold the card on the reader for 2 seconds")
IDLE_CODE_HINT = QT_TRANSLATE_NOOP("Gate", "Phone or printed code: hold it up to the camera")
READING_CARD = QT_TRANSLATE_NOOP("Gate", "Reading your card, please keep it still")
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
KIND_TYPED = QT_TRANSLATE_NOOP("Gate", "ID number lookup")
KIND_HC1 = QT_TRANSLATE_NOOP("Gate", "EU / WHO certificate")
PROXY = QT_TRANSLATE_NOOP("Gate", "Issued by a helper")
VALID_UNTIL = QT_TRANSLATE_NOOP("Gate", "Valid until %1")

DATA_FRESH = QT_TRANSLATE_NOOP("Gate", "Data updated %1 min ago")
DATA_STALE = QT_TRANSLATE_NOOP("Gate", "Offline: data is %1 h old")
DATA_NEVER = QT_TRANSLATE_NOOP("Gate", "No data synced yet")
CLOCK_ROLLED_BACK = QT_TRANSLATE_NOOP("Gate", "Clock was set back: using the last trusted time")
DEMO_MODE = QT_TRANSLATE_NOOP("Gate", "DEMO")

DEMO_CARD = QT_TRANSLATE_NOOP("Gate", "Tap ID card")
DEMO_PHONE = QT_TRANSLATE_NOOP("Gate", "Phone code")
DEMO_PRINTED = QT_TRANSLATE_NOOP("Gate", "Printed code")
DEMO_YELLOW = QT_TRANSLATE_NOOP("Gate", "Yellow code")
DEMO_RED = QT_TRANSLATE_NOOP("Gate", "Red code")
DEMO_BROKEN = QT_TRANSLATE_NOOP("Gate", "Damaged code")


def reason_words(reason: str) -> Words:
    return words(REASONS.get(reason, UNKNOWN_REASON))
