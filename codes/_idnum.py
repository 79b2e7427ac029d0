"""Resident ID numbers (GB 11643-1999) and display masking (PK1 spec §5).

The raw number lives only in the caller's hands for as long as it takes to hash it; nothing here
stores or logs it. Error messages name the rule that failed, never the number itself.
"""

from __future__ import annotations

import datetime as dt
import re

from codes._errors import TokenError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2: index = weighted sum mod 11
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_CST = dt.timezone(dt.timedelta(hours=8))  # China Standard Time, for "today" in §5
_FIRST_BIRTH = dt.date(1900, 1, 1)


def normalize_id18(id18: str) -> str:
    """Upper-case a typed check character ``x`` (the only normalisation §5 allows)."""
    if len(id18) == 18 and id18[17] == "x":
        return id18[:17] + "X"
    return id18


def id18_check_char(body17: str) -> str:
    """The GB 11643 check character (``0``–``9`` or ``X``) for the first 17 digits.

    Lets a keypad say what the 18th character must be before it is typed."""
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise TokenError("bad_id_number", "ID number: expected 17 ASCII digits before the check")
    total = sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def id18_problem(id18: str, now: int) -> str | None:
    """Why ``id18`` fails §5 (after normalisation), or None when it is valid at ``now``."""
    id18 = normalize_id18(id18)
    if not _SHAPE.fullmatch(id18):
        return "expected 17 ASCII digits and a digit or X"
    if id18_check_char(id18[:17]) != id18[17]:
        return "the GB 11643 check character does not match"
    try:
        born = dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return "the birth date is not a calendar date"
    today = dt.datetime.fromtimestamp(now, _CST).date()
    if not _FIRST_BIRTH <= born <= today:
        return f"expected a birth date from 1900-01-01 to {today.isoformat()} (UTC+8)"
    return None


def check_id18(id18: str, now: int) -> bool:
    """True when ``id18`` (a lower-case ``x`` allowed) is a valid resident ID number at ``now``."""
    return id18_problem(id18, now) is None


def require_id18(id18: str, now: int) -> str:
    """The normalised number, or ``TokenError('bad_id_number')`` saying which rule failed."""
    problem = id18_problem(id18, now)
    if problem is not None:
        raise TokenError("bad_id_number", f"ID number: {problem}")
    return normalize_id18(id18)


def mask_id(id18: str) -> str:
    """``440106********123X``: region code and last four kept, birth date and sequence hidden.

    Anything that is not 18 characters is masked entirely (one ``*`` per character) so a
    malformed number never leaks either.
    """
    id18 = normalize_id18(id18)
    if len(id18) != 18:
        return "*" * len(id18)
    return id18[:6] + "*" * 8 + id18[14:]


def mask_name(name: str) -> str:
    """Mask a name for display, the usual Chinese way.

    One character -> ``*``; two -> first + ``*`` (``张*``); three or more -> first, a ``*`` for
    each middle character, last (``张*明``, ``欧阳*明`` -> ``欧**明``). Latin names with spaces
    are masked word by word (``Gabriele Musterfrau`` -> ``G******e M********u``).
    """
    name = name.strip()
    if " " in name:
        return " ".join(mask_name(part) for part in name.split())
    n = len(name)
    if n <= 1:
        return "*" * n
    if n == 2:
        return name[0] + "*"
    return name[0] + "*" * (n - 2) + name[-1]
