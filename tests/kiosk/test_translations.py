"""Every screen string is translated, and the shipped .qm files match their .ts sources."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TS_DIR = ROOT / "assets" / "translations"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found next to {sys.executable}")
    return path


@pytest.mark.parametrize("lang", ["zh_CN", "zh_HK"])
def test_every_source_string_has_a_finished_translation(tmp_path: Path, lang: str) -> None:
    ts = tmp_path / f"passkiosk_{lang}.ts"
    shutil.copy(TS_DIR / ts.name, ts)
    sources = sorted(str(p) for p in (ROOT / "kiosk").glob("*.py"))
    subprocess.run([_tool("pyside6-lupdate"), *sources, "-ts", str(ts)], check=True,
                   capture_output=True)
    content = ts.read_text(encoding="utf-8")
    assert 'type="unfinished"' not in content, f"untranslated strings in {lang}"
    assert 'type="vanished"' not in content and 'type="obsolete"' not in content
    assert content.count("<translation>") >= 40


@pytest.mark.parametrize("lang", ["zh_CN", "zh_HK"])
def test_shipped_qm_is_compiled_from_the_ts(tmp_path: Path, lang: str) -> None:
    out = tmp_path / "out.qm"
    subprocess.run([_tool("pyside6-lrelease"), str(TS_DIR / f"passkiosk_{lang}.ts"), "-qm",
                    str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (TS_DIR / f"passkiosk_{lang}.qm").read_bytes()


def test_cjk_font_covers_the_screen_text(qapp) -> None:
    from PySide6.QtGui import QFont, QFontInfo, QFontMetrics

    from kiosk._app import FONT_FAMILY, application

    application()
    font = QFont(FONT_FAMILY)
    assert QFontInfo(font).family() == FONT_FAMILY
    metrics = QFontMetrics(font)
    for ch in "请刷身份证出示通行码禁止請職員":
        assert metrics.inFontUcs4(ord(ch)), ch
