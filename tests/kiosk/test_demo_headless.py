"""`passkiosk demo --headless --screenshots DIR` end to end, in a subprocess (real Qt, offscreen).

Checks the files a person would look at: one PNG per step and size, and that each verdict screen
really shows its colour (sampled away from the symbol and the text).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

# Background colour of the gate page at its top-left corner, per step (kiosk._style).
WHITE, GREEN, AMBER, RED, GREY, DARK = "#FFFFFF", "#0A5C2B", "#FFB300", "#9B1B1B", "#37474F", \
    "#212121"
STEPS = {
    "01-idle-zh_CN": WHITE,
    "02-idle-zh_HK": WHITE,
    "03-idle-en": WHITE,
    "04-reading-card": WHITE,
    "05-pass-card": GREEN,
    "06-reading-code": WHITE,
    "07-pass-phone": GREEN,
    "08-printed": GREEN,
    "09-yellow": AMBER,
    "10-red": RED,
    "11-damaged-code": GREY,
    "41-out-readers": DARK,
    "42-out-storage": DARK,
    "43-out-clock": DARK,
    "44-no-card": WHITE,
    "46-stale-data": GREEN,
}
# Every other screen the walk must photograph (their colours are the side screens' own).
OTHER_STEPS = ("30-proxy-identify", "31-proxy-keypad", "32-proxy-wrong-check",
               "33-proxy-confirm", "34-proxy-result", "35-proxy-rate-limited", "36-staff-pin",
               "37-staff-panel-status", "38-staff-panel-settings", "39-staff-pin-wrong",
               "40-staff-pin-locked", "45-no-code", "47-clock-warning")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shots")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "demo", "--headless", "--screenshots", str(out)],
        capture_output=True, text=True, timeout=240, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(out.resolve())
    return out


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800)])
def test_each_step_has_a_screenshot_in_its_colour(shots: Path, step: str, size) -> None:
    w, h = size
    image = QImage(str(shots / f"{step}-{w}x{h}.png"))
    assert (image.width(), image.height()) == (w, h)
    # Top-left corner of the gate page: background, never text or symbol.
    assert QColor(image.pixel(8, 8)).name().upper() == STEPS[step]


@pytest.mark.parametrize("step", OTHER_STEPS)
def test_every_other_screen_is_photographed_at_both_sizes(shots: Path, step: str) -> None:
    for w, h in ((1920, 1080), (1280, 800)):
        image = QImage(str(shots / f"{step}-{w}x{h}.png"))
        assert (image.width(), image.height()) == (w, h), step


def test_each_invalid_reason_has_its_screen(shots: Path) -> None:
    from kiosk._demo_walk import INVALID_REASONS

    names = {p.name for p in shots.glob("*-invalid-*-1280x800.png")}
    assert {n.split("-invalid-")[1].removesuffix("-1280x800.png") for n in names} == set(
        INVALID_REASONS)


def test_headless_needs_a_folder() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "demo", "--headless"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "--screenshots" in proc.stderr
