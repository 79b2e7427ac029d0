"""WedgeFilter with real X11 key events: Xvfb + the XTEST extension, Qt on its xcb platform.

The other wedge tests send synthetic events (timestamp 0). Here the keys come from the X server
the way a USB scanner's keystrokes do, with the server's own timestamps, through Qt's xcb
plugin to the window and then the focus widget. Qt runs in a child process (this pytest
process already has an offscreen QApplication); keys are injected from here with libXtst.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "PK1:6BFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3DSPTLRR+%3 /:"
_KEYSYM_NAMES = {
    " ": "space", "$": "dollar", "%": "percent", "*": "asterisk", "+": "plus",
    "-": "minus", ".": "period", "/": "slash", ":": "colon", "\n": "Return",
}  # fmt: skip

_APP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit
from kiosk._wedge import WedgeFilter

app = QApplication(sys.argv)
edit = QLineEdit()
edit.resize(400, 40)
edit.show()
edit.activateWindow()
edit.setFocus()
wedge = WedgeFilter(app)
app.installEventFilter(wedge)
wedge.scanned.connect(lambda text: print("SCANNED", text, flush=True))
edit.returnPressed.connect(lambda: (print("RETURN", edit.text(), flush=True), edit.clear()))
tries = [0]

def ready():
    tries[0] += 1
    if edit.hasFocus() and edit.isActiveWindow():
        print("READY", flush=True)
    elif tries[0] < 500:
        QTimer.singleShot(20, ready)
    else:
        print("NOFOCUS", flush=True)

QTimer.singleShot(0, ready)
QTimer.singleShot(120_000, app.quit)  # bound the child's life whatever happens here
sys.exit(app.exec())
"""


class XTest:
    """Just enough of Xlib + XTEST (through ctypes) to press keys on a display."""

    def __init__(self, display: str) -> None:
        self.x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        self.xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XkbKeycodeToKeysym.restype = ctypes.c_ulong
        self.x11.XkbKeycodeToKeysym.argtypes = [
            ctypes.c_void_p, ctypes.c_ubyte, ctypes.c_int, ctypes.c_int,
        ]  # fmt: skip
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeKeyEvent.argtypes = [
            ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong,
        ]  # fmt: skip
        self.dpy = self.x11.XOpenDisplay(display.encode())
        assert self.dpy, f"cannot open X display {display}"
        self.shift = self._keycode("Shift_L")

    def _keycode(self, name: str) -> int:
        sym = self.x11.XStringToKeysym(name.encode())
        assert sym, f"no keysym {name!r}"
        code = int(self.x11.XKeysymToKeycode(self.dpy, sym))
        assert code, f"no key for {name!r}"
        return code

    def type(self, text: str, gap_s: float = 0.0) -> None:
        """Type ``text`` (``\\n`` is Return); ``gap_s`` is the pause between keys (a person)."""
        for ch in text:
            name = _KEYSYM_NAMES.get(ch, ch)
            code = self._keycode(name)
            sym = self.x11.XStringToKeysym(name.encode())
            shifted = self.x11.XkbKeycodeToKeysym(self.dpy, code, 0, 0) != sym
            if shifted:
                self.xtst.XTestFakeKeyEvent(self.dpy, self.shift, 1, 0)
            self.xtst.XTestFakeKeyEvent(self.dpy, code, 1, 0)
            self.xtst.XTestFakeKeyEvent(self.dpy, code, 0, 0)
            if shifted:
                self.xtst.XTestFakeKeyEvent(self.dpy, self.shift, 0, 0)
            if gap_s:
                self.x11.XSync(self.dpy, 0)
                time.sleep(gap_s)  # the pace of a person typing: input timing, not a wait
        self.x11.XSync(self.dpy, 0)

    def close(self) -> None:
        self.x11.XCloseDisplay(self.dpy)


def _have_xtest() -> bool:
    try:
        ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    shutil.which("Xvfb") is None or not _have_xtest(),
    reason="needs Xvfb and libXtst (Debian: xvfb libxtst6)",
)


@pytest.fixture
def xserver() -> Iterator[str]:
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()  # Xvfb writes its display number when it is ready
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


class Child:
    """The Qt app on the X display; its stdout lines arrive in a queue."""

    def __init__(self, display: str) -> None:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        env["PYTHONPATH"] = str(ROOT)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _APP],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        threading.Thread(
            target=lambda: [self.lines.put(line.rstrip("\n")) for line in stdout], daemon=True
        ).start()

    def line(self, timeout: float = 30.0) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            assert self.proc.stderr is not None
            pytest.fail(f"no output from the Qt child; stderr: {self.proc.stderr.read()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def test_real_x11_keys_scan_and_type(xserver: str) -> None:
    child = Child(xserver)
    keys = XTest(xserver)
    try:
        assert child.line() == "READY"
        # A scanner: every key at once, upper-case letters with Shift as a real keyboard sends.
        keys.type(TOKEN + "\n")
        assert child.line() == f"SCANNED {TOKEN}"
        # A fast typed ID number is not a code: it reaches the field, Return included.
        keys.type("44010619900101123X\n")
        assert child.line() == "RETURN 44010619900101123X"
        # A person typing a code's prefix at 120 ms a key: delivered to the field, not a scan.
        keys.type("PK1:ABC\n", gap_s=0.12)
        assert child.line() == "RETURN PK1:ABC"
    finally:
        keys.close()
        child.stop()
