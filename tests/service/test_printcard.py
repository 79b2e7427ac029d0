"""Printed offline cards: a real PK1 token -> A6 PDF -> 150 dpi raster -> QR decodes exactly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import codes
from codes import DeviceError, Kind, Outcome, TokenError, TrustedKey, TrustStore
from readers import decode_image_file
from service._printcard import (
    FONT_FILE,
    INSTRUCTION_EN,
    INSTRUCTION_ZH,
    MAX_LIFETIME_S,
    MAX_QR_VERSION,
    MAX_TOKEN_CHARS,
    QR_ALPHANUMERIC,
    CardText,
    cst_clock,
    cst_date,
    render_offline_card,
    render_offline_cards,
)
from tests.readers.degrade import FAMILIES, degrade

ID18 = "11010519491231002X"  # the GB 11643 example number
NAME = "张三明"
IAT = 1_795_910_400  # 2026-11-29 08:00 CST
EXP = IAT + 7 * 86_400
DPI = 150
MM = DPI / 25.4  # raster pixels per millimetre

# ISO/IEC 18004 table 7: characters a version-v symbol holds at error correction H.
ALNUM_H = {
    10: 174, 11: 200, 12: 227, 13: 259, 14: 283, 15: 321, 16: 365, 17: 408, 18: 452, 19: 493,
    20: 557,
}  # fmt: skip
BYTE_H = {
    10: 119, 11: 137, 12: 155, 13: 177, 14: 194, 15: 220, 16: 250, 17: 280, 18: 310, 19: 338,
    20: 382,
}  # fmt: skip

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed"
)


@dataclass(frozen=True)
class Card:
    token: str
    pdf: Path
    png: Path
    trust: TrustStore


def issue(nm: str | None = None) -> tuple[str, TrustStore]:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    spki = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    kid = codes.kid_for_public_key(key.public_key())
    token = codes.issue_pk1(
        signing_key=key,
        iss="CN-44",
        iat=IAT,
        exp=EXP,
        cti=bytes(range(16)),
        status=0,
        kind=Kind.PRINTED,
        sh=codes.subject_hash(ID18),
        nm=codes.mask_name(NAME) if nm is None else nm,
        im=codes.mask_id(ID18),
    )
    trust = TrustStore([TrustedKey(kid, "CN-44", "EdDSA", spki, IAT - 86_400, IAT + 365 * 86_400)])
    return token, trust


def rasterise(pdf: Path, dpi: int = DPI) -> Path:
    stem = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(stem)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return stem.with_suffix(".png")


def pdftext(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode("utf-8")
    # The embedded font maps a few CJK glyphs to their compatibility code points (行 -> ⾏)
    # and Latin "ffl" to a ligature; NFKC folds both back.
    return unicodedata.normalize("NFKC", out)


def gray_image(png: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    assert image is not None, f"expected a PNG at {png}"
    return np.asarray(image, dtype=np.uint8)


def qr_symbol(gray: npt.NDArray[np.uint8]) -> zxingcpp.Barcode:
    (symbol,) = zxingcpp.read_barcodes(
        gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    return symbol


def qr_version(symbol: zxingcpp.Barcode) -> int:
    extra = symbol.extra  # typed as object by zxingcpp; a dict for QR codes
    assert isinstance(extra, dict), extra
    return int(extra["Version"])


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> Card:
    token, trust = issue()
    pdf = tmp_path_factory.mktemp("card") / "card.pdf"
    render_offline_card(
        pdf,
        token_text=token,
        name_masked=codes.mask_name(NAME),
        id_masked=codes.mask_id(ID18),
        valid_from=IAT,
        valid_until=EXP,
    )
    return Card(token, pdf, rasterise(pdf), trust)


def test_qr_decodes_to_exactly_the_token_at_150_dpi(card: Card) -> None:
    assert decode_image_file(str(card.png)) == [card.token]


def test_decoded_card_verifies_as_a_printed_pass(card: Card) -> None:
    (text,) = decode_image_file(str(card.png))
    verdict = codes.verify(text, card.trust, None, IAT + 3 * 86_400)
    assert (verdict.outcome, verdict.reason, verdict.kind) == (Outcome.PASS, "ok", Kind.PRINTED)
    assert verdict.id_masked == "110105********002X"


def test_qr_is_error_correction_h_in_alphanumeric_mode(card: Card) -> None:
    symbol = qr_symbol(gray_image(card.png))
    assert symbol.ec_level == "H"
    version = qr_version(symbol)
    # Alphanumeric mode is what makes the token fit this small a version: the smallest version
    # that holds it as alphanumeric text, and too small to hold it as bytes.
    assert version == min(v for v, cap in ALNUM_H.items() if cap >= len(card.token))
    assert BYTE_H[version] < len(card.token)


def test_page_is_a6_with_chinese_in_the_named_font(card: Card) -> None:
    info = subprocess.run(
        ["pdfinfo", str(card.pdf)], check=True, capture_output=True, timeout=60
    ).stdout.decode()
    width, height = (float(x) for x in info.split("Page size:")[1].split("pts")[0].split(" x "))
    assert abs(width - 105 / 25.4 * 72) < 1.5 and abs(height - 148 / 25.4 * 72) < 1.5
    fonts = subprocess.run(
        ["pdffonts", str(card.pdf)], check=True, capture_output=True, timeout=60
    ).stdout.decode()
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    # Every font is the embedded (subset) WenQuanYi Zen Hei: Chinese is text, not tofu.
    assert rows and all("WenQuanYi" in r[0] and "yes" in r for r in rows), fonts
    assert FONT_FILE.name == "wqy-zenhei.ttc"


def test_card_text_is_all_there(card: Card) -> None:
    text = pdftext(card.pdf)
    for expected in (
        "离线通行码",
        "Offline pass",
        codes.mask_name(NAME),
        "有效期自",
        "有效期至",
        cst_date(IAT),
        cst_date(EXP),
        cst_clock(IAT),
        INSTRUCTION_ZH,
        INSTRUCTION_EN,
    ):
        assert expected in text, expected
    assert cst_date(IAT) == "2026-11-29" and cst_date(EXP) == "2026-12-06"
    assert ID18 not in text and ID18[6:14] not in text  # only the masked ID is on the card


def test_nothing_reaches_the_paper_edge(card: Card) -> None:
    gray = gray_image(card.png)
    h, w = gray.shape
    assert (w, h) == (round(105 * MM), round(148 * MM)) or abs(w - 105 * MM) < 3
    edge = int(4 * MM)  # card printers cannot print the outer ~3-4 mm
    inner = gray[edge : h - edge, edge : w - edge]
    border = gray.copy()
    border[edge : h - edge, edge : w - edge] = 255
    assert border.min() >= 250, "ink within 4 mm of the paper edge"
    assert inner.min() < 50  # and the card is not blank


def test_qr_still_decodes_through_the_camera_degradation_pipeline(
    card: Card, tmp_path: Path
) -> None:
    gray = gray_image(card.png)
    symbol = qr_symbol(gray)
    p = symbol.position
    corners = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
    box = (
        min(c.x for c in corners),
        min(c.y for c in corners),
        max(c.x for c in corners),
        max(c.y for c in corners),
    )
    modules = 17 + 4 * qr_version(symbol)
    read: dict[str, int] = {}
    for family in FAMILIES:
        read[family] = 0
        for seed in (1, 2):
            # A card held ~4.5 px per module from the gate camera (below ~2 px per module
            # nothing reads); the pipeline adds tilt, light, blur and the family's damage.
            frame = degrade(gray, family, seed, focus=box, focus_width_px=4.5 * modules)
            path = tmp_path / f"{family}-{seed}.png"
            cv2.imwrite(str(path), frame)
            texts = decode_image_file(str(path))
            assert texts in ([], [card.token]), f"wrong read in {family}/{seed}: {texts}"
            read[family] += texts == [card.token]
    # Every family reads at least once; overall the printed card reads in >= 80 % of frames.
    assert all(read.values()), read
    assert sum(read.values()) >= 0.8 * 2 * len(read), read


def test_token_cap_is_the_capacity_of_the_biggest_printed_version() -> None:
    from service._printcard import _qr_matrix

    assert ALNUM_H[MAX_QR_VERSION] == MAX_TOKEN_CHARS
    assert len(_qr_matrix("PK1:" + "A" * (MAX_TOKEN_CHARS - 4))) == 17 + 4 * MAX_QR_VERSION


def test_longest_token_and_longest_name_still_fit_and_decode(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    alphabet = sorted(QR_ALPHANUMERIC)
    token = "PK1:" + "".join(alphabet[i] for i in rng.integers(0, 45, MAX_TOKEN_CHARS - 4))
    name = "欧" + "*" * 30 + "明"  # 32 code points, the PK1 maximum for nm
    pdf = tmp_path / "long.pdf"
    render_offline_card(
        pdf,
        token_text=token,
        name_masked=name,
        id_masked="440106********123X",
        valid_from=IAT,
        valid_until=IAT + MAX_LIFETIME_S,
    )
    png = rasterise(pdf)
    assert decode_image_file(str(png)) == [token]
    assert name in pdftext(pdf).replace("\n", "").replace(" ", "")
    gray = gray_image(png)
    edge = int(4 * MM)
    gray[edge:-edge, edge:-edge] = 255
    assert gray.min() >= 250


def test_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    token, _ = issue()
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(b"old")
    render_offline_card(
        pdf, token_text=token, name_masked="张*明", id_masked="110105********002X",
        valid_from=IAT, valid_until=EXP,
    )  # fmt: skip
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.pdf"]


GOOD = {
    "token_text": "PK1:" + "ABC123" * 10,
    "name_masked": "张*明",
    "id_masked": "440106********123X",
    "valid_from": IAT,
    "valid_until": EXP,
}


@pytest.mark.parametrize(
    ("change", "reason", "words"),
    [
        ({"token_text": "PK1:abc"}, "malformed", "QR alphanumeric"),
        ({"token_text": "PK1:ABC\n"}, "malformed", "position 7"),
        ({"token_text": "HC1:ABC"}, "wrong_prefix", "'PK1:'"),
        ({"token_text": ""}, "wrong_prefix", "found ''"),
        ({"token_text": "PK1:" + "A" * MAX_TOKEN_CHARS}, "too_large", f"{MAX_TOKEN_CHARS}"),
        ({"token_text": b"PK1:ABC"}, "malformed", "str"),
        ({"id_masked": "44010619900101123X"}, "malformed", "unmasked"),
        ({"id_masked": "440106199001*****X"}, "malformed", "unmasked"),
        ({"id_masked": "440106********123X" * 2}, "malformed", "1..32"),
        ({"name_masked": ""}, "malformed", "1..32"),
        ({"name_masked": "张\x00明"}, "malformed", "printable"),
        ({"valid_until": IAT}, "malformed", "valid_until > valid_from"),
        ({"valid_until": IAT + MAX_LIFETIME_S + 1}, "lifetime", "7 days"),
        ({"valid_from": -1}, "malformed", "epoch seconds"),
        ({"valid_from": True}, "malformed", "epoch seconds"),
        ({"valid_until": 10**20}, "malformed", "epoch seconds"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    tmp_path: Path, change: dict[str, object], reason: str, words: str
) -> None:
    pdf = tmp_path / "card.pdf"
    with pytest.raises(TokenError, match=words) as info:
        render_offline_card(pdf, **{**GOOD, **change})  # type: ignore[arg-type]
    assert info.value.reason == reason
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_device_error(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="existing folder"):
        render_offline_card(tmp_path / "no" / "card.pdf", **GOOD)  # type: ignore[arg-type]


def test_unwritable_target_is_a_device_error_and_leaves_no_temp_file(tmp_path: Path) -> None:
    # A folder where the PDF should go: the rename at the end of the atomic write fails.
    (tmp_path / "card.pdf").mkdir()
    with pytest.raises(DeviceError, match="expected to write the card PDF"):
        render_offline_card(tmp_path / "card.pdf", **GOOD)  # type: ignore[arg-type]
    assert [p.name for p in tmp_path.iterdir()] == ["card.pdf"]
    assert (tmp_path / "card.pdf").is_dir()


def test_cst_dates_roll_over_at_cst_midnight() -> None:
    assert cst_date(0) == "1970-01-01" and cst_clock(0) == "08:00"
    assert cst_date(16 * 3600 - 1) == "1970-01-01"
    assert cst_date(16 * 3600) == "1970-01-02"  # 00:00 CST is 16:00 UTC the day before


def test_missing_font_is_a_device_error_not_tofu(tmp_path: Path) -> None:
    card = CardText(**GOOD)  # type: ignore[arg-type]
    with pytest.raises(DeviceError, match="fonts-wqy-zenhei"):
        render_offline_cards(tmp_path / "card.pdf", [card], font_file=tmp_path / "missing.ttc")
    assert list(tmp_path.iterdir()) == []


def test_several_cards_in_one_pdf_each_decode_to_their_own_token(tmp_path: Path) -> None:
    tokens = ["PK1:" + f"ABC{i}" * 20 for i in range(3)]
    pdf = tmp_path / "batch.pdf"
    render_offline_cards(pdf, [CardText(t, "张*明", "440106********123X", IAT, EXP)
                               for t in tokens])
    for page, token in enumerate(tokens, 1):
        stem = tmp_path / f"page{page}"
        subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-singlefile", "-f", str(page),
                        "-l", str(page), str(pdf), str(stem)], check=True, timeout=60)
        assert decode_image_file(str(stem.with_suffix(".png"))) == [token]
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          timeout=60).stdout.decode()
    assert re.search(r"^Pages:\s+3$", info, re.MULTILINE), info


def test_one_bad_card_fails_the_whole_batch(tmp_path: Path) -> None:
    good = CardText("PK1:ABC", "张*明", "440106********123X", IAT, EXP)
    bad = CardText("PK1:ABC", "张*明", "44010619900101123X", IAT, EXP)
    with pytest.raises(TokenError, match="unmasked"):
        render_offline_cards(tmp_path / "batch.pdf", [good, bad])
    with pytest.raises(TokenError, match=r"1\.\.200 cards"):
        render_offline_cards(tmp_path / "batch.pdf", [])
    assert list(tmp_path.iterdir()) == []


def test_traditional_chinese_prints_as_text(tmp_path: Path) -> None:
    pdf = tmp_path / "hk.pdf"
    render_offline_card(pdf, **{**GOOD, "name_masked": "陳*華"})  # type: ignore[arg-type]
    assert "陳*華" in pdftext(pdf)


_FRESH = """
import sys
from pathlib import Path
from service import render_offline_card
render_offline_card(Path(sys.argv[1]), token_text="PK1:" + "ABC123" * 10,
                    name_masked="张*明", id_masked="440106********123X",
                    valid_from=1795910400, valid_until=1795910400 + 86400)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "kiosk", "readers", "sync")))
"""


def test_renders_in_a_fresh_process_without_qt_or_a_display(tmp_path: Path) -> None:
    # The service's print-card command runs on a server: no display, and no GUI toolkit.
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    pdf = tmp_path / "card.pdf"
    done = subprocess.run(
        [sys.executable, "-c", _FRESH, str(pdf)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert decode_image_file(str(rasterise(pdf))) == [GOOD["token_text"]]
