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

STEPS = {
    "01-idle": "#FFFFFF",
    "02-card-reading": "#FFFFFF",
    "03-card-pass": "#1B7F3B",
    "04-phone": "#1B7F3B",
    "05-printed": "#1B7F3B",
    "06-yellow": "#FFB300",
    "07-red": "#C62828",
    "08-broken": "#546E7A",
}


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


def test_headless_needs_a_folder() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "demo", "--headless"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "--screenshots" in proc.stderr
