"""The installed kiosk's boot session, without systemd: the unit's own ``ExecStart`` and
``Environment`` run as its ``User`` inside a fresh root, under cage's headless backend, with a
notify socket standing in for systemd's and ``grim`` taking screenshots (tests and benchmarks).

cage renders with pixman (``WLR_RENDERER=pixman``: no GPU here) into a 1280x720 headless output.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from tests.packaging._chroot import FreshRoot

UNIT = "lib/systemd/system/passkiosk-kiosk.service"
OUTPUT = (1280, 720)  # wlroots' headless output
RUNTIME_DIR = "/tmp/kiosk-runtime"
NOTIFY_DIR = "/tmp/kiosk-notify"
WATCHDOG_USEC = 2_000_000


def unit_settings(root: Path) -> dict[str, list[str]]:
    """Every ``Key=value`` of the installed unit, values in file order per key."""
    settings: dict[str, list[str]] = {}
    for line in (root / UNIT).read_text().splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def idle_screen_problems(png: Path) -> list[str]:
    """How the screenshot differs from the idle screen filling the output (empty: it does not):
    a white page edge to edge and the dark status strip along the whole bottom."""
    img = cv2.imread(str(png), cv2.IMREAD_COLOR)
    if img is None:
        return [f"{png}: not a picture"]
    problems = []
    h, w = img.shape[:2]
    if (w, h) != OUTPUT:
        problems.append(f"expected a {OUTPUT[0]}x{OUTPUT[1]} output, got {w}x{h}")
    grey = img.mean(axis=2)
    page = grey[int(h * 0.15) : int(h * 0.85)]
    white = float((page > 235).mean())
    if white < 0.7:
        problems.append(f"expected a white page (>70% white), got {white:.0%}")
    for name, (y, x) in {"top left": (2, 2), "top right": (2, w - 3)}.items():
        if grey[y, x] < 235:
            problems.append(f"expected the page at the {name} corner, got grey {grey[y, x]:.0f}")
    strip = grey[h - 12 : h - 2]
    for name, cols in {"left": strip[:, :8], "middle": strip, "right": strip[:, -8:]}.items():
        if float(cols.mean()) > 90:
            problems.append(f"expected the dark strip at the bottom {name}, got grey "
                            f"{float(cols.mean()):.0f}")
    ink = float(((img[..., 0] > img[..., 2] + 40) & (grey < 150)).mean())  # navy text/buttons
    if ink < 0.01:
        problems.append(f"expected the navy prompt and buttons, got {ink:.1%} navy pixels")
    return problems


@dataclass
class KioskSession:
    """The unit's command under cage in ``root``; ``start()``, then ``wait_ready()``,
    ``screenshot()``, and ``stop()``."""

    root: FreshRoot
    log: Path
    started_at: float = 0.0
    notices: list[tuple[float, str]] = field(default_factory=list)
    _seen: int = 0  # notices already returned by wait_for
    _proc: subprocess.Popen[bytes] | None = None
    _sock: socket.socket | None = None

    def start(self) -> None:
        settings = unit_settings(self.root.path)
        user = settings["User"][0]
        env = dict(kv.split("=", 1) for line in settings.get("Environment", [])
                   for kv in shlex.split(line))
        for folder in (RUNTIME_DIR, NOTIFY_DIR):
            done = self.root.run(f"install -d -m 0700 -o {user} -g {user} {folder}")
            assert done.returncode == 0, done.stderr
        notify = self.root.path / NOTIFY_DIR.lstrip("/") / "notify.sock"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(notify))
        os.chmod(notify, 0o777)  # the kiosk user sends to it, like to systemd's socket
        env.update(XDG_RUNTIME_DIR=RUNTIME_DIR, WLR_BACKENDS="headless",
                   WLR_LIBINPUT_NO_DEVICES="1", WLR_RENDERER="pixman",
                   NOTIFY_SOCKET=f"{NOTIFY_DIR}/notify.sock", WATCHDOG_USEC=str(WATCHDOG_USEC))
        # systemd names the unit's main process (cage) in WATCHDOG_PID: bash execs into cage.
        # cage 0.1.4 (wlroots 0.15) tries to scan a full-screen client's buffer out directly;
        # the headless output refuses it and the frame is then lost, so the output never shows
        # the client. A 180-degree output transform rules scan-out out (the client's buffer is
        # not rotated) and cage composites every frame; grim turns the picture upright.
        cage, args = settings["ExecStart"][0].split(" ", 1)
        assert cage == "/usr/bin/cage", cage
        command = f"export WATCHDOG_PID=$$; exec {cage} -r -r {args}"
        self.started_at = time.monotonic()
        self._proc = self.root.popen(command, user=user, env=env, log=self.log)

    def _drain(self) -> None:
        """Note the arrival of every message already sent (without waiting)."""
        assert self._sock is not None
        self._sock.setblocking(False)
        try:
            while True:
                text = self._sock.recv(4096).decode()
                self.notices.append((time.monotonic() - self.started_at, text))
        except BlockingIOError:
            pass
        finally:
            self._sock.setblocking(True)

    def wait_for(self, message: str, timeout: float) -> float:
        """Seconds from start until the kiosk sent ``message`` (the first one not yet
        returned by an earlier call)."""
        assert self._sock is not None
        self._drain()
        for i, (at, text) in enumerate(self.notices):
            if text == message and i >= self._seen:
                self._seen = i + 1
                return at
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise AssertionError(f"the session ended ({self._proc.returncode}): "
                                     f"{self.log.read_text(errors='replace')[-3000:]}")
            self._sock.settimeout(max(0.05, min(1.0, deadline - time.monotonic())))
            try:
                text = self._sock.recv(4096).decode()
            except TimeoutError:
                continue
            self.notices.append((time.monotonic() - self.started_at, text))
            if text == message:
                self._seen = len(self.notices)
                return self.notices[-1][0]
        raise AssertionError(f"no {message} within {timeout} s; got {self.notices}")

    def screenshot(self, out: Path) -> bool:
        """A grim screenshot of cage's output into ``out`` (False: the compositor is not up)."""
        runtime = self.root.path / RUNTIME_DIR.lstrip("/")
        done = subprocess.run(["grim", str(out)], env={
            "PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime),
            "WAYLAND_DISPLAY": "wayland-0"}, capture_output=True, timeout=30, check=False)
        return done.returncode == 0 and out.is_file()

    def wait_painted(self, out: Path, timeout: float) -> float:
        """Seconds from start until a screenshot shows the idle screen (kept in ``out``)."""
        deadline = time.monotonic() + timeout
        problems = ["no screenshot yet"]
        while time.monotonic() < deadline:
            taken = time.monotonic()
            self._drain()  # READY=1 and pings keep their arrival times meanwhile
            if self.screenshot(out):
                problems = idle_screen_problems(out)
                if not problems:
                    return taken - self.started_at
            time.sleep(0.1)
        raise AssertionError(f"idle screen not painted within {timeout} s: {problems}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=20)
        if self._sock is not None:
            self._sock.close()
