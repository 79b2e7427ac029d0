"""Times given as text (PK1 spec §7, the commands' ``--now``)."""

from __future__ import annotations

import datetime as dt
import re

_EPOCH = re.compile(r"[+-]?[0-9]+")


def parse_time(text: str) -> int:
    """Epoch seconds from epoch-seconds text or ISO 8601 (no offset = UTC; fractions of a second
    dropped). ValueError says what was expected when the text is neither."""
    text = text.strip()
    if _EPOCH.fullmatch(text):
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected epoch seconds or an ISO 8601 time, got {text[:40]!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    # Drop the fraction before converting so the result is exact, also before 1970.
    return int(when.replace(microsecond=0).timestamp())
