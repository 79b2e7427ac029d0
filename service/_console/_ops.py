"""The operations view's rules: which kiosk is online, which alerts it raises, today's counts.

Pure functions over what the storage returns (no I/O), so the rules are tested directly.

Alerts (they stay until someone acknowledges them, even after the cause went away):

- ``silent``: no upload for more than ``SILENT_S`` (the kiosk uploads once a minute).
- ``stale_data``: the kiosk's lists are older than ``STALE_DATA_S`` (it reports the age with
  each upload; the time since that upload is added), or it never synced.
- ``clock_back``: the kiosk's trusted clock saw the wall clock set back (``rolled_back``).
- ``reader_down``: the card reader is in error or gone (``error``, ``absent``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from codes.wire import KioskHealth

SILENT_S = 15 * 60
STALE_DATA_S = 24 * 3600
CST = timezone(timedelta(hours=8), "CST")
OUTCOMES = ("pass", "attention", "deny", "invalid")
OUTCOME_TEXT = {"pass": ("通过", "pass"), "attention": ("需关注", "attention"),
                "deny": ("拒绝", "deny"), "invalid": ("无效", "invalid")}

ALERT_TEXT = {
    "silent": ("超过15分钟未上报", "silent for more than 15 minutes"),
    "stale_data": ("名单数据超过24小时", "lists older than 24 hours"),
    "clock_back": ("时钟被回拨", "clock set back"),
    "reader_down": ("读卡器故障", "card reader down"),
}


def day_bounds(now: int) -> tuple[int, int]:
    """Today in China Standard Time, as epoch seconds [start, end)."""
    local = datetime.fromtimestamp(now, CST)
    start = datetime(local.year, local.month, local.day, tzinfo=CST)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())


def cst_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, CST).strftime("%Y-%m-%d %H:%M")


def utc_iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def alerts_for(key_id: str, reported_at: int, health: KioskHealth,
               now: int) -> list[tuple[str, str, str]]:
    """(key_id, kind, detail) for every alert condition the kiosk's latest report shows."""
    out: list[tuple[str, str, str]] = []
    silent = now - reported_at
    if silent > SILENT_S:
        out.append((key_id, "silent", f"last upload {silent // 60} min ago"))
    if health.data_age_s is None:
        out.append((key_id, "stale_data", "never synced"))
    elif health.data_age_s + max(0, silent) > STALE_DATA_S:
        hours = (health.data_age_s + max(0, silent)) // 3600
        out.append((key_id, "stale_data", f"lists {hours} h old"))
    if "rolled_back" in health.clock_warnings:
        out.append((key_id, "clock_back", "trusted clock saw the time set back"))
    if health.reader in ("error", "absent"):
        out.append((key_id, "reader_down", f"reader {health.reader}"))
    return out


@dataclass
class SiteCounts:
    site: str
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    hourly: list[dict[str, int]] = field(
        default_factory=lambda: [dict.fromkeys(OUTCOMES, 0) for _ in range(24)])


def site_counts(rows: Iterable[tuple[str, str, str, str, int, int, int]],
                sites: Sequence[str] | None = None) -> dict[str, SiteCounts]:
    """Fold (key_id, site, gate, outcome, hour, count, latest) rows into per-site counts."""
    out: dict[str, SiteCounts] = {}
    for _kid, site, _gate, outcome, hour, count, _latest in rows:
        if sites is not None and site not in sites:
            continue
        sc = out.setdefault(site, SiteCounts(site))
        if outcome in sc.totals and 0 <= hour < 24:
            sc.totals[outcome] += count
            sc.hourly[hour][outcome] += count
    return dict(sorted(out.items()))


# Bar colours per outcome: each has at least 3:1 contrast against white (WCAG 1.4.11 for
# graphics); the legend beside the chart names them in text, so colour is never the only cue.
BAR_COLOURS = {"pass": "#1b5e20", "attention": "#8a5a00", "deny": "#b00020",
               "invalid": "#4a4a4a"}


def hourly_svg(counts: SiteCounts, *, width: int = 480, height: int = 120) -> str:
    """A stacked bar chart of one site's day, hour by hour (inline SVG, no script)."""
    peak = max(1, max(sum(h.values()) for h in counts.hourly))
    bar_w = width / 24
    plot_h = height - 16
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" '
             f'aria-label="每小时通行 / hourly checks">']
    for hour, bucket in enumerate(counts.hourly):
        y = float(plot_h)
        for outcome in OUTCOMES:
            n = bucket[outcome]
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(f'<rect x="{hour * bar_w + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{h:.1f}" fill="{BAR_COLOURS[outcome]}">'
                         f'<title>{hour:02d}:00 {outcome} {n}</title></rect>')
        if hour % 3 == 0:
            parts.append(f'<text x="{hour * bar_w + 1:.1f}" y="{height - 2}" font-size="11" '
                         f'fill="#1a1a1a">{hour:02d}</text>')
    parts.append(f'<line x1="0" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="#1a1a1a"/>')
    parts.append("</svg>")
    return "".join(parts)
