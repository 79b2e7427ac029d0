"""sd_notify without libsystemd (kiosk._watchdog) against a real Unix datagram socket."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk._watchdog import Notifier, watchdog_interval_ms


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
