"""The `passkiosk` command turns our errors into one actionable line and exit 2, never a
traceback (and never Qt's own abort when there is no screen)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *argv], capture_output=True,
                          text=True, timeout=120, env=env)


def test_run_without_a_screen_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = run("run", "--data", str(tmp_path), "--no-pcsc", env=env)
    assert proc.returncode == 2
    assert "expected a display" in proc.stderr and "Traceback" not in proc.stderr


def test_unusable_data_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = run("sync", "--data", str(blocker / "kiosk"), "--device-key")
    assert proc.returncode == 2
    assert proc.stderr.startswith("passkiosk") and "Not a directory" in proc.stderr
    assert proc.stderr.count("\n") == 1  # one line, no traceback
