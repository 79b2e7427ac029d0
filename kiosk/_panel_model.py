"""What the staff panel shows and how its controls change a config, without a screen.

Pure Python (no Qt): the status the kiosk hands the panel (:class:`PanelStatus`), the steps of
its +/- controls, the words it shows (marked for lupdate, context ``Staff``, translated by the
view at display time), the colour pairs it paints (all from ``kiosk._style``), and today's
per-hour counts as CSV for the export button.

The export holds counts only (hour, pass, attention, deny, invalid): no subject hashes, token ids
or record ids, so the file can be handed to anyone who asks how busy the gate was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from codes import Outcome, write_atomic
from kiosk._config import MAX_HOLD_S, MIN_HOLD_S, KioskConfig
from kiosk._marks import QT_TRANSLATE_NOOP
from kiosk._style import (
    BUTTON,
    BUTTON_SECONDARY,
    ERROR_TEXT_ON_WHITE,
    PALETTES,
    STAFF,
)

CONTEXT = "Staff"
# Day boundaries for "today" are China Standard Time, the only zone the kiosks serve.
CST = timezone(timedelta(hours=8))
HOLD_STEP_S = 1.0
VOLUME_STEP = 10




TITLE = QT_TRANSLATE_NOOP("Staff", "Staff panel")
SITE_GATE = QT_TRANSLATE_NOOP("Staff", "Site %1, gate %2")
TAB_STATUS = QT_TRANSLATE_NOOP("Staff", "Status")
TAB_SETTINGS = QT_TRANSLATE_NOOP("Staff", "Settings")
CLOSE = QT_TRANSLATE_NOOP("Staff", "Close")

TODAY = QT_TRANSLATE_NOOP("Staff", "Today")
COUNT_WORDS: dict[str, str] = {
    Outcome.PASS.value: QT_TRANSLATE_NOOP("Staff", "Passed"),
    Outcome.ATTENTION.value: QT_TRANSLATE_NOOP("Staff", "Attention"),
    Outcome.DENY.value: QT_TRANSLATE_NOOP("Staff", "Denied"),
    Outcome.INVALID.value: QT_TRANSLATE_NOOP("Staff", "Not recognised"),
}
LISTS = QT_TRANSLATE_NOOP("Staff", "Lists")
NO_LISTS = QT_TRANSLATE_NOOP("Staff", "No list synced yet")
LIST_VERSION = QT_TRANSLATE_NOOP("Staff", "version %1")
LIST_NO_VERSION = QT_TRANSLATE_NOOP("Staff", "no version yet")
AGE_MINUTES = QT_TRANSLATE_NOOP("Staff", "updated %1 min ago")
AGE_HOURS = QT_TRANSLATE_NOOP("Staff", "updated %1 h ago")
AGE_DAYS = QT_TRANSLATE_NOOP("Staff", "updated %1 days ago")
AGE_NEVER = QT_TRANSLATE_NOOP("Staff", "never updated")
READERS = QT_TRANSLATE_NOOP("Staff", "Readers and camera")
NO_READERS = QT_TRANSLATE_NOOP("Staff", "No reader reported yet")
LAST_SYNC = QT_TRANSLATE_NOOP("Staff", "Last sync: %1")

SYNC_NOW = QT_TRANSLATE_NOOP("Staff", "Sync now")
TEST_READERS = QT_TRANSLATE_NOOP("Staff", "Test readers and camera")
ACKNOWLEDGE = QT_TRANSLATE_NOOP("Staff", "Acknowledge red/amber (%1)")
EXPORT = QT_TRANSLATE_NOOP("Staff", "Export today's counts (CSV)")
EXIT = QT_TRANSLATE_NOOP("Staff", "Exit the kiosk")
EXIT_CONFIRM = QT_TRANSLATE_NOOP("Staff", "Tap again to exit")

POLICY = QT_TRANSLATE_NOOP("Staff", "Site policy")
SITE_KIND = QT_TRANSLATE_NOOP("Staff", "Site type")
STATION = QT_TRANSLATE_NOOP("Staff", "Station")
HOSPITAL = QT_TRANSLATE_NOOP("Staff", "Hospital")
AMBER_MAY_PASS = QT_TRANSLATE_NOOP("Staff", "Amber may pass")
ACK_REQUIRED = QT_TRANSLATE_NOOP("Staff", "Red/amber wait for staff")
YES = QT_TRANSLATE_NOOP("Staff", "Yes")
NO = QT_TRANSLATE_NOOP("Staff", "No")
PASS_HOLD = QT_TRANSLATE_NOOP("Staff", "Green shown for")
ALERT_HOLD = QT_TRANSLATE_NOOP("Staff", "Red/amber shown for")
SECONDS = QT_TRANSLATE_NOOP("Staff", "%1 s")
KIOSK = QT_TRANSLATE_NOOP("Staff", "Kiosk")
VOLUME = QT_TRANSLATE_NOOP("Staff", "Volume")
LANGUAGE = QT_TRANSLATE_NOOP("Staff", "Default language")
SERVICE_URL = QT_TRANSLATE_NOOP("Staff", "Service address")
SAVE = QT_TRANSLATE_NOOP("Staff", "Save settings")
UNSAVED = QT_TRANSLATE_NOOP("Staff", "Changes not saved yet")
NOT_SAVED = QT_TRANSLATE_NOOP("Staff", "Not saved: %1")

# Results the kiosk reports back through ``StaffPanel.show_message`` (``staff_text`` in the view).
EXPORTED_TO = QT_TRANSLATE_NOOP("Staff", "Exported to %1")
EXPORT_FAILED = QT_TRANSLATE_NOOP("Staff", "Export failed: %1")
SAVED = QT_TRANSLATE_NOOP("Staff", "Settings saved")
SYNC_STARTED = QT_TRANSLATE_NOOP("Staff", "Sync started")
SYNC_DONE = QT_TRANSLATE_NOOP("Staff", "Sync finished")
SYNC_FAILED = QT_TRANSLATE_NOOP("Staff", "Sync failed: %1")
ACKNOWLEDGED = QT_TRANSLATE_NOOP("Staff", "Acknowledged: %1")

# Language buttons name each language in itself (a person who reads only that one finds it).
LANGUAGE_NAMES = {"zh_CN": "简体中文", "zh_HK": "繁體中文", "en": "English"}


# -- status -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListInfo:
    """One synced list: its name as staff know it, its version, seconds since it was updated."""

    name: str
    version: int | None = None
    age_s: float | None = None


@dataclass(frozen=True, slots=True)
class PanelStatus:
    """Everything the panel shows that the kiosk knows: it is handed over, never fetched.

    ``counts`` maps outcome values (``"pass"`` …) to today's numbers; ``readers`` are ready
    lines (e.g. ``kiosk._words.readers_line``); ``last_sync`` is shown as given."""

    lists: tuple[ListInfo, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    readers: tuple[str, ...] = ()
    pending_acks: int = 0
    last_sync: str = ""


def age_phrase(age_s: float | None) -> tuple[str, str | None]:
    """How old a list is, as (source text, its ``%1``)."""
    if age_s is None:
        return AGE_NEVER, None
    if age_s < 3600:
        return AGE_MINUTES, str(max(0, int(age_s // 60)))
    if age_s < 2 * 86400:
        return AGE_HOURS, str(int(age_s // 3600))
    return AGE_DAYS, str(int(age_s // 86400))


def ordered_counts(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Each outcome (in the order pass, attention, deny, invalid) with its count; missing: 0."""
    return [(o.value, int(counts.get(o.value, 0))) for o in Outcome]


# -- controls ---------------------------------------------------------------------------------


def step_hold(seconds: float, steps: int) -> float:
    """A verdict time after ``steps`` presses of + (or -), kept within what the config allows."""
    return min(MAX_HOLD_S, max(MIN_HOLD_S, seconds + steps * HOLD_STEP_S))


def step_volume(volume: int, steps: int) -> int:
    return min(100, max(0, volume + steps * VOLUME_STEP))


def seconds_text(seconds: float) -> str:
    """``3`` for whole seconds, ``3.5`` otherwise (a config may hold any decimal)."""
    return f"{seconds:g}"


def with_policy(cfg: KioskConfig, **changes: object) -> KioskConfig:
    """``cfg`` with policy fields replaced: the panel edits one field per tap."""
    return replace(cfg, policy=replace(cfg.policy, **changes))  # type: ignore[arg-type]


# -- colours ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Colors:
    """The panel's colour pairs, every one of them from ``kiosk._style``."""

    page: tuple[str, str] = (STAFF.foreground, STAFF.background)
    button: tuple[str, str] = (BUTTON.foreground, BUTTON.background)
    choice_off: tuple[str, str] = (BUTTON_SECONDARY.foreground, BUTTON_SECONDARY.background)
    choice_on: tuple[str, str] = (BUTTON.foreground, BUTTON.background)
    danger: tuple[str, str] = (
        PALETTES[Outcome.DENY].foreground, PALETTES[Outcome.DENY].background)
    field: tuple[str, str] = (STAFF.foreground, "#FFFFFF")
    message: tuple[str, str] = (STAFF.foreground, "#FFFFFF")
    error: tuple[str, str] = (ERROR_TEXT_ON_WHITE, "#FFFFFF")

    def pairs(self) -> list[tuple[str, str, str]]:
        """(name, text colour, background) for every pair the panel paints."""
        return [(name, *getattr(self, name)) for name in self.__dataclass_fields__]


COLORS = Colors()


# -- export -----------------------------------------------------------------------------------


class HourlyCounts(Protocol):
    """What the export reads: ``sync.Store.hourly_outcome_counts``."""

    def hourly_outcome_counts(
        self, start: int, end: int, hour_s: int = 3600
    ) -> list[dict[str, int]]: ...


def day_span(now: float) -> tuple[int, int]:
    """Today in China Standard Time as epoch seconds ``[start, end)``."""
    local = datetime.fromtimestamp(now, UTC).astimezone(CST)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())


def counts_csv(day_start: int, hours: Sequence[Mapping[str, int]]) -> str:
    """One row per hour (CST): ``hour,pass,attention,deny,invalid`` with a header row."""
    names = [o.value for o in Outcome]
    lines = [",".join(["hour", *names])]
    for i, counts in enumerate(hours):
        hour = datetime.fromtimestamp(day_start + i * 3600, UTC).astimezone(CST)
        lines.append(",".join([hour.strftime("%Y-%m-%d %H:00"),
                               *(str(int(counts.get(n, 0))) for n in names)]))
    return "\r\n".join(lines) + "\r\n"  # RFC 4180 line ends: spreadsheets open it as it is


def export_today_counts(store: HourlyCounts, directory: Path, now: float, site: str,
                        gate: str) -> Path:
    """Write today's per-hour counts to ``directory/counts-<site>-<gate>-<date>.csv``
    (atomically; a second export the same day replaces the first) and return the path."""
    start, end = day_span(now)
    text = counts_csv(start, store.hourly_outcome_counts(start, end))
    date = datetime.fromtimestamp(start, UTC).astimezone(CST).strftime("%Y-%m-%d")
    safe = "-".join("".join(c if c.isalnum() or c in "-_." else "_" for c in part)
                    for part in (site, gate))
    path = directory / f"counts-{safe}-{date}.csv"
    write_atomic(path, text.encode("utf-8"))
    return path
