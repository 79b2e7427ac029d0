"""systemd service notification (sd_notify) over ``$NOTIFY_SOCKET``, without libsystemd.

The kiosk unit is ``Type=notify`` with ``WatchdogSec``: systemd counts the kiosk as started only
once it says ``READY=1`` (its window is up), and restarts it when the ``WATCHDOG=1`` pings stop
(a hung GUI thread). The protocol is one datagram per message on a Unix socket whose path is in
``$NOTIFY_SOCKET`` (a leading ``@`` names an abstract socket); see sd_notify(3). Outside systemd
the variable is unset and every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)

# sd_notify(3) keeps the address a sockaddr_un path: at most 107 bytes plus the NUL.
_MAX_ADDRESS = 107
# systemd's own watchdog default floor; a value below this is a misconfigured unit.
_MIN_WATCHDOG_USEC = 1_000


class Notifier:
    """Sends sd_notify messages to the service manager, if there is one."""

    def __init__(self, address: str | None) -> None:
        self._address: str | bytes | None = None
        if not address:
            return
        if len(address) > _MAX_ADDRESS or address[0] not in "/@":
            log.warning("NOTIFY_SOCKET: expected an absolute path or @name of at most %d "
                        "characters, got %r; not notifying", _MAX_ADDRESS, address)
            return
        # An abstract socket's name starts with a NUL byte in place of the "@".
        self._address = "\0" + address[1:] if address[0] == "@" else address

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        return cls((os.environ if env is None else env).get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, message: str) -> bool:
        """Send one message (``READY=1``, ``WATCHDOG=1``, ``STATUS=...``); False when there is
        no service manager or it could not be reached (logged: the kiosk keeps running)."""
        if self._address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode(), self._address)
        except OSError as e:
            log.warning("sd_notify %s: %s", message.split("=", 1)[0], e)
            return False
        return True


def watchdog_interval_ms(env: Mapping[str, str] | None = None) -> int | None:
    """How often to send ``WATCHDOG=1``: half of ``$WATCHDOG_USEC`` (sd_watchdog_enabled(3)
    advises pinging at half the timeout), or None when the watchdog is off or meant for another
    process. ``$WATCHDOG_PID`` names the unit's main process: under cage that is the compositor
    that started the kiosk, so the kiosk pings for its parent too (the unit has
    ``NotifyAccess=all``)."""
    env = os.environ if env is None else env
    usec_text = env.get("WATCHDOG_USEC", "")
    pid_text = env.get("WATCHDOG_PID", "")
    if not usec_text:
        return None
    if pid_text and pid_text not in (str(os.getpid()), str(os.getppid())):
        return None
    try:
        usec = int(usec_text)
    except ValueError:
        log.warning("WATCHDOG_USEC: expected microseconds, got %r; no watchdog pings", usec_text)
        return None
    if usec < _MIN_WATCHDOG_USEC:
        log.warning("WATCHDOG_USEC: expected at least %d, got %d; no watchdog pings",
                    _MIN_WATCHDOG_USEC, usec)
        return None
    return max(1, usec // 2_000)


__all__ = ["Notifier", "watchdog_interval_ms"]
