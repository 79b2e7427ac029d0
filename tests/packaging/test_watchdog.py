"""sd_notify without libsystemd (kiosk._watchdog) against a real Unix datagram socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk._watchdog import Notifier, watchdog_interval_ms

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(5)
        yield sock, path


def test_messages_reach_the_socket(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.notify("READY=1")
    assert notifier.notify("WATCHDOG=1")
    assert sock.recv(256) == b"READY=1"
    assert sock.recv(256) == b"WATCHDOG=1"


def test_abstract_socket_address() -> None:
    name = f"passkiosk-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert Notifier(f"@{name}").notify("READY=1")
        assert sock.recv(256) == b"READY=1"


@pytest.mark.parametrize("address", [None, "", "relative/path", "/" + "x" * 200])
def test_no_manager_means_no_messages(address: str | None) -> None:
    notifier = Notifier(address)
    assert not notifier.enabled
    assert not notifier.notify("READY=1")


def test_a_gone_manager_is_logged_not_raised(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    assert not Notifier(str(tmp_path / "nobody-listens")).notify("WATCHDOG=1")
    assert "sd_notify WATCHDOG" in caplog.text


@pytest.mark.parametrize(("env", "expected"), [
    ({}, None),
    ({"WATCHDOG_USEC": "30000000"}, 15_000),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15_000),
    # Under cage the unit's main process is the compositor, the kiosk's parent.
    ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getppid())}, 1_000),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4194305"}, None),  # beyond pid_max
    ({"WATCHDOG_USEC": "soon"}, None),
    ({"WATCHDOG_USEC": "10"}, None),
])
def test_watchdog_interval_is_half_the_timeout(env: dict[str, str], expected: int | None
                                               ) -> None:
    assert watchdog_interval_ms(env) == expected


def test_passkiosk_run_says_ready_and_pings(tmp_path: Path,
                                            listener: tuple[socket.socket, str]) -> None:
    """``passkiosk run`` (offscreen) notifies once its window is up, then pings at half of
    WATCHDOG_USEC from the GUI thread, as the systemd unit expects."""
    sock, path = listener
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_PID")}
    env.update(QT_QPA_PLATFORM="offscreen", NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "run", "--data", str(tmp_path / "data"),
         "--config", str(tmp_path / "config.toml"), "--no-pcsc", "--lang", "en"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        sock.settimeout(60)  # a cold start on a shared machine
        assert sock.recv(256) == b"READY=1"
        sock.settimeout(5)
        assert [sock.recv(256) for _ in range(3)] == [b"WATCHDOG=1"] * 3
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
