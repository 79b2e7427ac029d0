"""Printed offline pass cards: an A6 PDF with a large QR code, for people without phones.

PK1 spec §1: offline codes are printed (kind 1, §3 ``kd``), valid up to 7 days (§4 step 6), in
QR alphanumeric mode with error correction Q or H. We always use H: paper gets folded, creased
and smudged, and H survives ~30 % damage.

The QR matrix comes from the ``qrcode`` package and is painted as vector rectangles (one filled
region, so no hairline seams appear between modules when the PDF is rasterised). Text uses
"Noto Sans CJK SC" explicitly: Qt's fallback font choice differs per machine and could print
tofu boxes instead of Chinese.

Nothing here writes a raw ID number: the ID field must already be masked, and a value that looks
like an unmasked ID number is refused before anything touches the disk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from pathlib import Path

from codes import DeviceError, TokenError

FONT_FAMILY = "Noto Sans CJK SC"

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
_RESOLUTION = 1200  # dpi of the PDF's coordinate system; modules snap to whole device units

INSTRUCTION_ZH = "到闸机时将此码对准摄像头"
INSTRUCTION_EN = "Hold this code up to the gate camera"


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
    _check_token(token_text)
    _check_field("name_masked", name_masked)
    _check_field("id_masked", id_masked)
    if "*" not in id_masked or _UNMASKED_RUN.search(id_masked):
        raise TokenError(
            "malformed",
            "expected a masked ID number such as 440106********123X (at most 7 unmasked "
            "characters in a row), found a value that looks unmasked; refusing to print it",
        )
    _check_times(valid_from, valid_until)
    matrix = _qr_matrix(token_text)
    _paint_pdf(
        Path(out_path),
        matrix=matrix,
        name_masked=name_masked,
        id_masked=id_masked,
        valid_from=valid_from,
        valid_until=valid_until,
    )


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
    import qrcode
    import qrcode.constants
    import qrcode.util

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, border=0)
    # One explicit alphanumeric segment (spec §1); the library's optimiser would pick the same
    # mode, but saying it keeps the symbol what the spec names regardless of library version.
    qr.add_data(qrcode.util.QRData(token_text, mode=qrcode.util.MODE_ALPHA_NUM))
    qr.make(fit=True)  # at most MAX_QR_VERSION: MAX_TOKEN_CHARS is that version's capacity
    return [[bool(m) for m in row] for row in qr.get_matrix()]


# --- painting ----------------------------------------------------------------------------------

_app_ref: object | None = None  # keeps the application we created alive (Qt needs exactly one)


def _ensure_gui_app() -> None:
    """QPdfWriter and fonts need a QGuiApplication; create an offscreen one if none exists."""
    global _app_ref
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication

    existing = QCoreApplication.instance()
    if existing is not None:
        if not isinstance(existing, QGuiApplication):
            raise DeviceError(
                "expected a QGuiApplication (fonts and PDF painting need one), found a "
                f"{type(existing).__name__}"
            )
        return
    # Printing is headless work (the service's print-card command): the offscreen platform
    # needs no display, where the default platform would abort the process without one.
    # A QApplication (not a bare QGuiApplication) so that the kiosk window can still be
    # opened later in the same process: Qt allows one application object per process.
    from PySide6.QtWidgets import QApplication

    args = ["passkiosk"]
    if "QT_QPA_PLATFORM" not in os.environ:
        args += ["-platform", "offscreen"]
    _app_ref = QApplication(args)


def _paint_pdf(
    out_path: Path,
    *,
    matrix: list[list[bool]],
    name_masked: str,
    id_masked: str,
    valid_from: int,
    valid_until: int,
) -> None:
    _ensure_gui_app()
    from PySide6.QtCore import QMarginsF, QRectF, Qt
    from PySide6.QtGui import (
        QBitmap,
        QColor,
        QFont,
        QFontDatabase,
        QImage,
        QPageLayout,
        QPageSize,
        QPainter,
        QPainterPath,
        QPdfWriter,
        QRegion,
        QTransform,
    )

    if FONT_FAMILY not in QFontDatabase.families():
        raise DeviceError(
            f"expected the font family {FONT_FAMILY!r} (Debian package fonts-noto-cjk) so "
            "Chinese prints as text, found it missing"
        )
    if not out_path.parent.is_dir():
        raise DeviceError(f"expected an existing folder for the card, found none at {out_path}")

    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    writer = QPdfWriter(str(tmp))
    writer.setResolution(_RESOLUTION)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A6),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    writer.setTitle("Offline pass card")  # never the name or ID: PDF metadata is easy to miss
    writer.setCreator("passkiosk")

    mm = _RESOLUTION / 25.4  # device units per millimetre

    def box(x: float, y: float, w: float, h: float) -> QRectF:
        return QRectF(x * mm, y * mm, w * mm, h * mm)

    painter = QPainter()
    if not painter.begin(writer):
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise DeviceError(f"expected to open {tmp} for writing the card PDF, found it unwritable")
    ok = False
    try:
        black = QColor(0, 0, 0)
        painter.fillRect(box(0, 0, _PAGE_W, _PAGE_H), QColor(255, 255, 255))
        painter.setPen(black)
        inner_w = _PAGE_W - 2 * _MARGIN

        def text(
            rect: QRectF,
            s: str,
            pt: float,
            *,
            bold: bool = False,
            align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter,
            min_pt: float = 7.0,
        ) -> None:
            # Shrink until the text fits its box (wrapping allowed), so nothing is ever cut off.
            font = QFont(FONT_FAMILY)
            font.setBold(bold)
            flags = int(align | Qt.AlignmentFlag.AlignVCenter) | int(Qt.TextFlag.TextWordWrap)
            size = pt
            while True:
                font.setPointSizeF(size)
                painter.setFont(font)
                need = painter.boundingRect(rect, flags, s)
                if (need.width() <= rect.width() and need.height() <= rect.height()) or (
                    size <= min_pt
                ):
                    break
                size = max(min_pt, size * 0.92)
            painter.drawText(rect, flags, s)

        text(box(_MARGIN, _MARGIN, inner_w, 8.0), "离线通行码  Offline pass", 16, bold=True)

        # QR: modules snap to whole device units so every module prints the same size.
        total = len(matrix) + 2 * QUIET_ZONE
        module = int(_QR_SIDE * mm) // total
        side = module * total
        x0 = int((_PAGE_W * mm - side) / 2) + QUIET_ZONE * module
        y0 = int(_QR_TOP * mm) + QUIET_ZONE * module
        # One region for the whole symbol (module bitmap -> region -> scaled to device units):
        # filled as one path, adjacent modules merge, so no seams appear when rasterised. It
        # also keeps the Python->Qt calls per card to a handful instead of one per module run.
        n = len(matrix)
        pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
        bitmap = QBitmap.fromImage(QImage(pixels, n, n, n, QImage.Format.Format_Grayscale8))
        region = QTransform(module, 0, 0, module, x0, y0).map(QRegion(bitmap))
        path = QPainterPath()
        path.addRegion(region)
        painter.fillPath(path, black)

        y = _QR_TOP + side / mm + 0.5
        text(box(_MARGIN, y, inner_w, 9.0), name_masked, 22, bold=True)
        y += 9.0
        text(box(_MARGIN, y, inner_w, 7.0), id_masked, 16)
        y += 8.0
        half = inner_w / 2
        for i, (label, t) in enumerate(
            (("有效期自 Valid from", valid_from), ("有效期至 Valid until", valid_until))
        ):
            x = _MARGIN + i * half
            text(box(x, y, half, 4.5), label, 10)
            text(box(x, y + 4.5, half, 8.5), cst_date(t), 21, bold=True)
            text(box(x, y + 13.0, half, 4.5), cst_clock(t) + " 北京时间 UTC+8", 10)
        y += 18.5
        text(
            box(_MARGIN, y, inner_w, _PAGE_H - _MARGIN - y),
            f"{INSTRUCTION_ZH}\n{INSTRUCTION_EN}",
            12,
        )
        ok = painter.end()
    finally:
        if painter.isActive():
            painter.end()
        if not ok:
            with contextlib.suppress(OSError):
                tmp.unlink()
    if not ok or not tmp.is_file() or tmp.stat().st_size == 0:
        raise DeviceError(f"expected a written card PDF at {tmp}, found none")
    try:
        os.replace(tmp, out_path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise DeviceError(f"expected to move the card into {out_path}, found: {exc}") from exc
