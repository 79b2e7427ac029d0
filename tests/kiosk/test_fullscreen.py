"""`passkiosk run` fills a bare X server (Xvfb, no window manager) and no stray key ends it.

Without a window manager nobody honours a full-screen request, and a window that only asked for
it ends up small in a corner; the kiosk sets its geometry from the screen. The kiosk runs in a
child process on Qt's xcb platform; ``xwininfo`` (x11-utils) reads the window tree from outside,
and keys come from the X server through XTEST, as from a keyboard plugged into the kiosk.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.kiosk.test_wedge_x11 import XTest, _have_xtest

ROOT = Path(__file__).resolve().parents[2]
SCREEN = (1920, 1080)

pytestmark = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xwininfo") is None or not _have_xtest(),
    reason="needs Xvfb, xwininfo and libXtst (Debian: xvfb x11-utils libxtst6)",
)


@pytest.fixture
def bare_x() -> Iterator[str]:
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
         "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def kiosk_geometry(display: str) -> tuple[int, int, int, int] | None:
    """The passkiosk top-level window's width, height, x and y, as X sees it."""
    out = subprocess.run(["xwininfo", "-root", "-tree", "-display", display],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    for line in out.splitlines():
        if '"passkiosk"' in line:
            m = re.search(r"(\d+)x(\d+)\+(-?\d+)\+(-?\d+)", line)
            if m:
                w, h, x, y = (int(v) for v in m.groups())
                if w > 1 and h > 1:
                    return w, h, x, y
    return None


def wait_for(probe: Callable[[], object], limit_s: float = 30.0) -> object:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)  # polling another process's window tree: nothing to wait on here
    return None


def test_run_fills_a_bare_x_server_and_ignores_stray_keys(bare_x: str, tmp_path: Path) -> None:
    env = dict(os.environ, DISPLAY=bare_x, QT_QPA_PLATFORM="xcb", LANG="zh_CN.UTF-8")
    env.pop("WAYLAND_DISPLAY", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "run", "--data", str(tmp_path / "data"),
         "--no-pcsc"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        geometry = wait_for(lambda: kiosk_geometry(bare_x))
        assert geometry == (*SCREEN, 0, 0), (geometry, child.poll())
        keys = XTest(bare_x)
        try:
            for name in ("Escape", "F11", "q"):
                code = keys._keycode(name)
                keys.xtst.XTestFakeKeyEvent(keys.dpy, code, 1, 0)
                keys.xtst.XTestFakeKeyEvent(keys.dpy, code, 0, 0)
            alt, f4 = keys._keycode("Alt_L"), keys._keycode("F4")
            for code, down in ((alt, 1), (f4, 1), (f4, 0), (alt, 0)):
                keys.xtst.XTestFakeKeyEvent(keys.dpy, code, down, 0)
            keys.x11.XSync(keys.dpy, 0)
        finally:
            keys.close()
        # Still running and still covering the screen a moment after the keys.
        assert wait_for(lambda: child.poll() is not None, limit_s=2.0) is None
        assert kiosk_geometry(bare_x) == (*SCREEN, 0, 0)
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=10)
