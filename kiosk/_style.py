"""The kiosk's look, measured: colours with their contrast, type sizes and touch-target sizes.

Pure Python (no Qt), so the numbers are tested on their own and every screen takes them from one
place. The thresholds are the senior-friendly rules the kiosk is held to (MIIT 适老化 and WCAG 2.2
AAA): text and symbols at least 7:1 against their background, verdict words at least 72 px, all
other public text at least 32 px (the staff panel at least 24 px), touch targets at least 96x96 px.
"""

from __future__ import annotations

from dataclasses import dataclass

from codes import Outcome

MIN_CONTRAST = 7.0
VERDICT_TEXT_PX = 72
PUBLIC_TEXT_PX = 32
STAFF_TEXT_PX = 24
TOUCH_TARGET_PX = 96

FONT_FAMILIES = {
    "zh_CN": "Noto Sans CJK SC",
    "zh_HK": "Noto Sans CJK HK",
    "en": "Noto Sans CJK SC",  # its Latin glyphs are Source Sans: one family, no fallback jumps
}


def font_family(language: str) -> str:
    """The CJK family whose glyph shapes match the language (HK forms differ from Simplified)."""
    return FONT_FAMILIES.get(language, FONT_FAMILIES["zh_CN"])


@dataclass(frozen=True, slots=True)
class Palette:
    """One screen's colours: text on background, and the verdict symbol's ink on its white disc."""

    background: str
    foreground: str
    symbol_ink: str
    symbol_disc: str = "#FFFFFF"


# Darker green/red/grey than the usual traffic colours: white text on them reaches 8:1. Amber
# carries near-black text and a near-black symbol (amber on white would be 1.8:1).
PALETTES: dict[Outcome | None, Palette] = {
    None: Palette("#FFFFFF", "#0D3B66", "#0D3B66"),  # idle / reading
    Outcome.PASS: Palette("#0A5C2B", "#FFFFFF", "#0A5C2B"),
    Outcome.ATTENTION: Palette("#FFB300", "#111111", "#111111"),
    Outcome.DENY: Palette("#9B1B1B", "#FFFFFF", "#9B1B1B"),
    Outcome.INVALID: Palette("#37474F", "#FFFFFF", "#37474F"),
}

# Panels, buttons and the status strip.
OUT_OF_SERVICE = Palette("#212121", "#FFFFFF", "#FFB300", "#212121")
STRIP = Palette("#263238", "#FFFFFF", "#FFFFFF")
STRIP_ALERT_TEXT = "#FFD54F"
BUTTON = Palette("#0D3B66", "#FFFFFF", "#FFFFFF")
BUTTON_SECONDARY = Palette("#E3EAF2", "#0D3B66", "#0D3B66")
STAFF = Palette("#ECEFF1", "#102027", "#102027")
ERROR_TEXT_ON_WHITE = "#9B1B1B"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """WCAG 2.x relative luminance of ``#RRGGBB``."""
    text = color.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"colour: expected #RRGGBB, got {color!r}")
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours (1.0 … 21.0)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def pairs() -> list[tuple[str, str, str]]:
    """Every (name, text-or-symbol colour, background) pair the screens paint."""
    out: list[tuple[str, str, str]] = []
    for outcome, pal in PALETTES.items():
        name = outcome.value if outcome is not None else "idle"
        out.append((f"{name} text", pal.foreground, pal.background))
        out.append((f"{name} symbol", pal.symbol_ink, pal.symbol_disc))
    out.append(("out of service text", OUT_OF_SERVICE.foreground, OUT_OF_SERVICE.background))
    out.append(("out of service symbol", OUT_OF_SERVICE.symbol_ink, OUT_OF_SERVICE.symbol_disc))
    out.append(("strip text", STRIP.foreground, STRIP.background))
    out.append(("strip alert", STRIP_ALERT_TEXT, STRIP.background))
    out.append(("button", BUTTON.foreground, BUTTON.background))
    out.append(("secondary button", BUTTON_SECONDARY.foreground, BUTTON_SECONDARY.background))
    out.append(("staff panel", STAFF.foreground, STAFF.background))
    out.append(("error on white", ERROR_TEXT_ON_WHITE, "#FFFFFF"))
    return out
