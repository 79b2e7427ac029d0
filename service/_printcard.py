"""Printed offline pass cards: an A6 PDF with a large QR code, for people without phones.

PK1 spec §1: offline codes are printed (kind 1, §3 ``kd``), valid up to 7 days (§4 step 6), in
QR alphanumeric mode with error correction Q or H. We always use H: paper gets folded, creased
and smudged, and H survives ~30 % damage.

The QR matrix comes from the ``qrcode`` package and is drawn as vector rectangles, all in one
filled path, so no hairline seams appear between modules when the PDF is rasterised. The PDF is
made with reportlab (no GUI toolkit on the service) and embeds a subset of WenQuanYi Zen Hei
(Debian's ``fonts-wqy-zenhei``), which covers Simplified and Traditional Chinese: a font left to
the printer's fallback could print tofu boxes instead of Chinese.

Nothing here writes a raw ID number: the ID field must already be masked, and a value that looks
like an unmasked ID number is refused before anything touches the disk.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import qrcode
import qrcode.constants
import qrcode.util
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from codes import DeviceError, TokenError, write_atomic

FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
MAX_CARDS_PER_PDF = 200  # a community worker's weekly renewal batch fits easily

# QR alphanumeric alphabet (ISO/IEC 18004 §7.4.4) == the Base45 alphabet plus nothing else.
QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")

# Biggest QR version we print. A6 leaves ~80 mm for the symbol; version 20 (97 modules + 8 quiet)
# keeps a module at ~0.76 mm, which a gate camera still resolves from a hand-held card (and a
# 150-dpi raster still gives ~4.5 px per module). A real PK1 offline token with masked name and
# ID (~290 characters) needs version 15.
MAX_QR_VERSION = 20
# Cheap cap checked before any QR encoding: version 20-H holds 557 alphanumeric characters.
MAX_TOKEN_CHARS = 557
QUIET_ZONE = 4  # modules, ISO/IEC 18004 §7.3.8

MAX_FIELD_CHARS = 32  # PK1 spec §3: nm is at most 32 code points; im gets the same cap
MAX_LIFETIME_S = 608_400  # PK1 spec §4 step 6: kind 1 lives at most 7 days + 1 hour
# Largest time we can show as a CST date (9999-12-31T23:59:59+08:00).
_MAX_TIME = 253_402_271_999

_CST = dt.timezone(dt.timedelta(hours=8), "CST")
# An ID number is 17 digits + a check character. A run of 8 or more of those in the "masked"
# ID means it is not masked enough (the usual mask keeps 6 + 4 characters); refuse it.
_UNMASKED_RUN = re.compile(r"[0-9Xx]{8,}")

# Page geometry, in millimetres (A6 portrait is 105 x 148 mm).
_PAGE_W, _PAGE_H = 105.0, 148.0
_MARGIN = 6.0  # also clears the unprintable edge of common card printers (~3-5 mm)
_QR_SIDE = 80.0  # including the quiet zone
_QR_TOP = 14.5

INSTRUCTION_ZH = "到闸机时将此码对准摄像头"
INSTRUCTION_EN = "Hold this code up to the gate camera"


@dataclass(frozen=True, slots=True)
class CardText:
    """What one card shows: the PK1 text, masked name and ID, validity (epoch seconds)."""

    token_text: str
    name_masked: str
    id_masked: str
    valid_from: int
    valid_until: int


def render_offline_card(
    out_path: Path,
    *,
    token_text: str,
    name_masked: str,
    id_masked: str,
    valid_from: int,
    valid_until: int,
) -> None:
    """Render an A6 offline pass card to ``out_path`` (a PDF, written atomically).

    ``token_text`` is the PK1 text (``PK1:`` + Base45); ``name_masked`` and ``id_masked`` are the
    display forms (e.g. ``张*明``, ``440106********123X``); ``valid_from``/``valid_until`` are
    epoch seconds, printed as China Standard Time dates.

    Raises TokenError for input the card cannot carry (reason ``wrong_prefix``, ``malformed``,
    ``too_large`` or ``lifetime``) and DeviceError when the font is missing or the file cannot
    be written. On any error no file is left at ``out_path``.
    """
    render_offline_cards(out_path, [CardText(token_text, name_masked, id_masked, valid_from,
                                             valid_until)])


def render_offline_cards(out_path: Path, cards: Sequence[CardText], *,
                         font_file: Path = FONT_FILE) -> None:
    """Render several cards into one PDF, one A6 page each (a batch of renewals to print).

    Every card is checked before anything is drawn: one bad card fails the whole batch, and no
    file is left at ``out_path``.
    """
    if not 1 <= len(cards) <= MAX_CARDS_PER_PDF:
        raise TokenError("malformed", f"expected 1..{MAX_CARDS_PER_PDF} cards in one PDF, "
                                      f"found {len(cards)}")
    matrices = [_checked_matrix(card) for card in cards]
    out_path = Path(out_path)
    if not out_path.parent.is_dir():
        raise DeviceError(f"expected an existing folder for the card, found none at {out_path}")
    pdf = _paint_pdf(list(zip(cards, matrices, strict=True)), font_file)
    try:
        write_atomic(out_path, pdf)
    except OSError as exc:
        raise DeviceError(f"expected to write the card PDF {out_path}, found: {exc}") from exc


def _checked_matrix(card: CardText) -> list[list[bool]]:
    _check_token(card.token_text)
    _check_field("name_masked", card.name_masked)
    _check_field("id_masked", card.id_masked)
    if "*" not in card.id_masked or _UNMASKED_RUN.search(card.id_masked):
        raise TokenError(
            "malformed",
            "expected a masked ID number such as 440106********123X (at most 7 unmasked "
            "characters in a row), found a value that looks unmasked; refusing to print it",
        )
    _check_times(card.valid_from, card.valid_until)
    return _qr_matrix(card.token_text)


def cst_date(t: int) -> str:
    """``t`` (epoch seconds) as a China Standard Time date, e.g. ``2026-11-26``."""
    return dt.datetime.fromtimestamp(t, _CST).strftime("%Y-%m-%d")


def cst_clock(t: int) -> str:
    """``t`` (epoch seconds) as a China Standard Time clock time, e.g. ``08:30``."""
    return dt.datetime.fromtimestamp(t, _CST).strftime("%H:%M")


# --- input checks ------------------------------------------------------------------------------


def _check_token(token_text: object) -> None:
    if not isinstance(token_text, str):
        raise TokenError("malformed", f"expected the token as str, found {type(token_text)}")
    if len(token_text) > MAX_TOKEN_CHARS:
        raise TokenError(
            "too_large",
            f"expected a token of at most {MAX_TOKEN_CHARS} characters for an A6 card, "
            f"found {len(token_text)}",
        )
    if not token_text.startswith("PK1:"):
        raise TokenError(
            "wrong_prefix", f"expected a token starting with 'PK1:', found {token_text[:4]!r}"
        )
    for i, ch in enumerate(token_text):
        if ch not in QR_ALPHANUMERIC:
            raise TokenError(
                "malformed",
                f"expected only QR alphanumeric characters (0-9 A-Z space $%*+-./:), "
                f"found {ch!r} at position {i}",
            )


def _check_field(what: str, value: object) -> None:
    if not isinstance(value, str):
        raise TokenError("malformed", f"expected {what} as str, found {type(value)}")
    if not 1 <= len(value) <= MAX_FIELD_CHARS:
        raise TokenError(
            "malformed",
            f"expected {what} of 1..{MAX_FIELD_CHARS} characters, found {len(value)}",
        )
    if not value.isprintable():
        raise TokenError("malformed", f"expected printable {what}, found control characters")


def _check_times(valid_from: object, valid_until: object) -> None:
    for what, t in (("valid_from", valid_from), ("valid_until", valid_until)):
        if not isinstance(t, int) or isinstance(t, bool) or not 0 <= t <= _MAX_TIME:
            raise TokenError(
                "malformed", f"expected {what} as epoch seconds in 0..{_MAX_TIME}, found {t!r}"
            )
    assert isinstance(valid_from, int) and isinstance(valid_until, int)  # narrowed above
    if valid_until <= valid_from:
        raise TokenError(
            "malformed",
            f"expected valid_until > valid_from, found {valid_until} <= {valid_from}",
        )
    if valid_until - valid_from > MAX_LIFETIME_S:
        raise TokenError(
            "lifetime",
            f"expected an offline card valid at most {MAX_LIFETIME_S} s (7 days + 1 hour), "
            f"found {valid_until - valid_from} s",
        )


def _qr_matrix(token_text: str) -> list[list[bool]]:
    """The QR module matrix (no quiet zone), error correction H, alphanumeric mode."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, border=0)
    # One explicit alphanumeric segment (spec §1); the library's optimiser would pick the same
    # mode, but saying it keeps the symbol what the spec names regardless of library version.
    qr.add_data(qrcode.util.QRData(token_text, mode=qrcode.util.MODE_ALPHA_NUM))
    qr.make(fit=True)  # at most MAX_QR_VERSION: MAX_TOKEN_CHARS is that version's capacity
    return [[bool(m) for m in row] for row in qr.get_matrix()]


# --- painting ----------------------------------------------------------------------------------


def _register_font(font_file: Path) -> str:
    """The reportlab name of the Chinese font in ``font_file`` (registered once per file)."""
    name = "WenQuanYiZenHei" if font_file == FONT_FILE else f"CardFont-{font_file.name}"
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    try:
        pdfmetrics.registerFont(TTFont(name, str(font_file), subfontIndex=0))
    except (OSError, TTFError) as exc:
        raise DeviceError(
            f"expected the Chinese font {font_file} (Debian package fonts-wqy-zenhei) so "
            f"Chinese prints as text, found: {exc}"
        ) from exc
    return name


def _paint_pdf(pages: Sequence[tuple[CardText, list[list[bool]]]], font_file: Path) -> bytes:
    font = _register_font(font_file)
    out = io.BytesIO()
    page_w, page_h = _PAGE_W * mm, _PAGE_H * mm
    # invariant=True: no creation date or random id, so the same cards give the same bytes.
    canvas = Canvas(out, pagesize=(page_w, page_h), invariant=True, pageCompression=1,
                    initialFontName=font, initialFontSize=12)
    canvas.setTitle("Offline pass card")  # never the name or ID: PDF metadata is easy to miss
    canvas.setCreator("passkiosk")
    for card, matrix in pages:
        _paint_card(canvas, card, matrix, font)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _paint_card(canvas: Canvas, card: CardText, matrix: list[list[bool]], font: str) -> None:
    """One card on the current page. Layout in millimetres from the top-left corner."""
    page_h = _PAGE_H * mm
    inner_w = _PAGE_W - 2 * _MARGIN

    def text(x: float, top: float, w: float, h: float, s: str, pt: float, *,
             bold: bool = False, min_pt: float = 7.0) -> None:
        # Shrink until the line fits its box, so nothing is ever cut off; centred.
        size = pt
        while size > min_pt and (pdfmetrics.stringWidth(s, font, size) > w * mm
                                 or size * 1.05 > h * mm):
            size = max(min_pt, size * 0.92)
        width = pdfmetrics.stringWidth(s, font, size)
        baseline = page_h - (top + h / 2) * mm - size * 0.35
        # The font has no bold face: bold strokes the glyph outlines as well as filling them.
        # The render mode is text state that outlives a text object, so set it every time.
        canvas.setLineWidth(size * 0.04)
        t = canvas.beginText(x * mm + (w * mm - width) / 2, baseline)
        t.setFont(font, size)
        t.setTextRenderMode(2 if bold else 0)
        t.textLine(s)
        canvas.drawText(t)

    canvas.setFillColorRGB(0, 0, 0)
    canvas.setStrokeColorRGB(0, 0, 0)
    text(_MARGIN, _MARGIN, inner_w, 8.0, "离线通行码  Offline pass", 16, bold=True)

    # QR: every dark run of a row is one rectangle, all in one path filled at once, so modules
    # merge without seams; the quiet zone is the white page around it.
    n = len(matrix)
    module = _QR_SIDE / (n + 2 * QUIET_ZONE)
    x0 = (_PAGE_W - _QR_SIDE) / 2 + QUIET_ZONE * module
    y0 = _QR_TOP + QUIET_ZONE * module
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            path.rect((x0 + start * module) * mm, page_h - (y0 + (r + 1) * module) * mm,
                      (c - start) * module * mm, module * mm)
    canvas.drawPath(path, stroke=0, fill=1)

    y = _QR_TOP + _QR_SIDE + 0.5
    text(_MARGIN, y, inner_w, 9.0, card.name_masked, 22, bold=True)
    y += 9.0
    text(_MARGIN, y, inner_w, 7.0, card.id_masked, 16)
    y += 8.0
    half = inner_w / 2
    for i, (label, t) in enumerate(
        (("有效期自 Valid from", card.valid_from), ("有效期至 Valid until", card.valid_until))
    ):
        x = _MARGIN + i * half
        text(x, y, half, 4.5, label, 10)
        text(x, y + 4.5, half, 8.5, cst_date(t), 21, bold=True)
        text(x, y + 13.0, half, 4.5, cst_clock(t) + " 北京时间 UTC+8", 10)
    y += 18.5
    text(_MARGIN, y, inner_w, 6.0, INSTRUCTION_ZH, 12)
    text(_MARGIN, y + 6.0, inner_w, 6.0, INSTRUCTION_EN, 12)
