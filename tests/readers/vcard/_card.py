"""The virtual ID card: a SmartcardOS answering the two serial APDUs, driven over vpcd's socket.

Built on Debian's python3-virtualsmartcard (``VirtualICC`` runs the vpcd protocol: 2-byte length,
then payload). Its package lives outside sys.path (/usr/lib/python3/site-packages/virtualsmartcard
holds the importable ``virtualsmartcard`` package); dev.sh writes a .pth for the venv, and we add
the folder here too so the tests also run from a venv made another way.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from typing import Any

_VSC = "/usr/lib/python3/site-packages/virtualsmartcard"
if _VSC not in sys.path:
    sys.path.append(_VSC)

from virtualsmartcard.VirtualSmartcard import SmartcardOS, VirtualICC  # noqa: E402

VPCD_PORT = 35963  # vsmartcard-vpcd's first reader ("Virtual PCD 00 00"), from reader.conf.d/vpcd
SW_OK = b"\x90\x00"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_WRONG_LENGTH = b"\x67\x00"
# A plausible ISO 14443-B ATR; the contents don't matter to the reader, only that one exists.
ATR = bytes.fromhex("3B8880010000000000718100F8")


class IdCardOS(SmartcardOS):  # type: ignore[misc]
    """Answers ``00 36 00 00 08`` (ID card serial) and ``FF CA 00 00 00`` (contactless UID).

    ``serial=None`` makes the card reject the serial APDU (6D 00), so the reader must fall back to
    the UID. ``pull_on`` names an APDU at which the card vanishes (socket closed before answering):
    a card pulled mid-read.
    """

    def __init__(
        self, serial: bytes | None, uid: bytes | None = None, pull_on: bytes | None = None
    ) -> None:
        self.serial = serial
        self.uid = uid
        self.pull_on = pull_on
        self.apdus: list[bytes] = []
        self.pulled = threading.Event()

    def getATR(self) -> bytes:
        return ATR

    def execute(self, msg: bytes) -> bytes:
        self.apdus.append(bytes(msg))
        if self.pull_on is not None and bytes(msg) == self.pull_on:
            self.pulled.set()
            raise _Pulled
        if msg[:4] == b"\x00\x36\x00\x00":
            if self.serial is None:
                return SW_INS_NOT_SUPPORTED
            return self.serial + SW_OK
        if msg[:4] == b"\xff\xca\x00\x00":
            if self.uid is None:
                return SW_INS_NOT_SUPPORTED
            return self.uid + SW_OK
        return SW_INS_NOT_SUPPORTED


class _Pulled(Exception):
    """Raised inside execute() to drop the connection before answering."""


class _Icc(VirtualICC):  # type: ignore[misc]
    """VirtualICC over an already connected socket (its own __init__ builds a whole card file
    system, configures root logging and calls sys.exit on a connect error)."""

    def __init__(self, card_os: IdCardOS, sock: socket.socket) -> None:
        self.os = card_os
        self.sock = sock
        self.host = "127.0.0.1"
        self.port = VPCD_PORT
        self.server_sock = None
        self.type = "passkiosk-id"

    def _VirtualICC__recvFromVPICC(self) -> Any:  # overrides the mangled name
        # vpcd writes the 2-byte length and the payload separately; without an immediate ACK
        # Nagle + delayed ACK cost ~40 ms per APDU. QUICKACK is not sticky: set it every time.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return VirtualICC._VirtualICC__recvFromVPICC(self)


class VirtualCard:
    """A card that can be put on / taken off the virtual reader.

    ``insert()`` connects to vpcd (retrying until pcscd listens); with ``stay=True`` the card
    reconnects by itself whenever vpcd drops it (pcscd restarted: the card is still lying on the
    reader), until ``remove()``.
    """

    def __init__(self, card_os: IdCardOS, port: int = VPCD_PORT) -> None:
        self.os = card_os
        self.port = port
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._removed = threading.Event()
        self.connected = threading.Event()
        self.connections = 0

    def _connect(self, deadline: float) -> socket.socket | None:
        while not self._removed.is_set() and time.monotonic() < deadline:
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=1.0)
            except OSError:
                self._removed.wait(0.05)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        return None

    def insert(self, *, stay: bool = False, timeout: float = 10.0) -> None:
        """Connect to vpcd (bounded by timeout) and serve APDUs in a thread."""
        self._removed.clear()
        self.connected.clear()
        sock = self._connect(time.monotonic() + timeout)
        if sock is None:
            raise TimeoutError(f"vpcd did not accept the card on 127.0.0.1:{self.port}")
        self._set_sock(sock)
        self._thread = threading.Thread(
            target=self._serve, args=(sock, stay), name="virtual-id-card", daemon=True
        )
        self._thread.start()

    def _set_sock(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
        if sock is not None:
            self.connections += 1
            self.connected.set()
        else:
            self.connected.clear()

    def _serve(self, sock: socket.socket, stay: bool) -> None:
        while True:
            # run() ends with sys.exit() when vpcd closes the socket; on a reset connection the
            # library trips over its own unbound variable (UnboundLocalError): same meaning.
            with contextlib.suppress(SystemExit, _Pulled, OSError, UnboundLocalError):
                _Icc(self.os, sock).run()
            sock.close()
            self._set_sock(None)
            if not stay or self._removed.is_set():
                return
            # Bounded: a card "on the reader" waits at most 60 s for pcscd to come back.
            nxt = self._connect(time.monotonic() + 60.0)
            if nxt is None:
                return
            sock = nxt
            self._set_sock(sock)

    def remove(self, timeout: float = 5.0) -> None:
        """Take the card off the reader: close the socket and wait for the serving thread."""
        self._removed.set()
        with self._lock:
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError("virtual card thread did not stop")
            self._thread = None
