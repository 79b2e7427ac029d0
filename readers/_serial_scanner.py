"""Serial-port scanner guns: each scan arrives as one line of text ended by CR, LF or CR LF.

Lines are decoded as UTF-8 and passed on exactly (no trimming: Base45 has a space in its
alphabet, PK1 spec §1); only the terminators are removed and empty lines skipped. A line longer
than ``max_line`` bytes, or not UTF-8, is dropped whole (the bytes up to its terminator) and
reported as DEGRADED; the next good scan sets OK again, so nothing after it is lost. An unfinished
line followed by ``line_timeout`` seconds of silence (a scan cut off by a glitch) is dropped so
it cannot glue itself to the next scan.
"""

from __future__ import annotations

import contextlib
import logging
import termios
import time

import serial

from readers._card_reader import EventSink, ReaderThread
from readers._errors import ReaderError
from readers._events import CodeScanned, Health, ReaderStatus

log = logging.getLogger(__name__)

SOURCE = "serial-scanner"
# A PK1 text is at most a few kB (4,096 bytes inflated, Base45 of the compressed form);
# 8 kB leaves room for HC1 and scanner prefixes while bounding memory per line.
MAX_LINE = 8192
_PORT_ERRORS = (serial.SerialException, OSError, termios.error)


class SerialScanner(ReaderThread):
    """Reads scans from a serial scanner gun on ``port`` and emits CodeScanned."""

    def __init__(
        self,
        sink: EventSink,
        port: str,
        *,
        baudrate: int = 9600,
        max_line: int = MAX_LINE,
        line_timeout: float = 2.0,
        reopen: float = 1.0,
    ) -> None:
        if not 16 <= max_line <= 1 << 20:
            raise ReaderError(f"scanner max_line: expected 16..1048576 bytes, got {max_line}")
        if not 0.1 <= line_timeout <= 60.0:
            raise ReaderError(f"scanner line_timeout: expected 0.1..60 s, got {line_timeout}")
        if not 0.05 <= reopen <= 60.0:
            raise ReaderError(f"scanner reopen interval: expected 0.05..60 s, got {reopen}")
        self._sink = sink
        self._port_name = port
        self._baudrate = baudrate
        self._max_line = max_line
        self._line_timeout = line_timeout
        self._reopen = reopen
        super().__init__("serial scanner")
        self._status: Health | None = None

    @property
    def source(self) -> str:
        return SOURCE

    def _run(self) -> None:
        self._status = None
        while not self._stop.is_set():
            try:
                port = serial.Serial(self._port_name, self._baudrate, timeout=0.1)
            except (*_PORT_ERRORS, ValueError) as exc:
                self._set_status(Health.LOST, f"cannot open {self._port_name}: {exc}")
                self._stop.wait(self._reopen)
                continue
            self._set_status(Health.OK, f"scanner on {self._port_name} open")
            try:
                self._read_lines(port)
            except _PORT_ERRORS as exc:
                self._set_status(Health.LOST, f"serial port {self._port_name} failed: {exc}")
                self._stop.wait(self._reopen)
            finally:
                with contextlib.suppress(*_PORT_ERRORS):
                    port.close()

    def _read_lines(self, port: serial.Serial) -> None:
        line = bytearray()
        overflow = False  # dropping the rest of an over-long line
        last = 0.0  # when the last byte arrived
        while not self._stop.is_set():
            # Wait (up to the port timeout) for one byte, then take whatever else is waiting:
            # read(4096) alone would sit out the whole timeout on every scan.
            chunk = port.read(1)
            if chunk:
                chunk += port.read(min(port.in_waiting, 4096))
            now = time.monotonic()
            if not chunk:
                if (line or overflow) and now - last > self._line_timeout:
                    log.warning("scanner %s: dropped an unfinished scan", self._port_name)
                    line.clear()
                    overflow = False
                continue
            last = now
            for byte in chunk:
                if byte in (0x0D, 0x0A):
                    if overflow:
                        self._set_status(
                            Health.DEGRADED,
                            f"dropped a scan longer than {self._max_line} bytes",
                        )
                    elif line:
                        self._emit_line(bytes(line), now)
                    line.clear()
                    overflow = False
                    continue
                if overflow:
                    continue
                if len(line) >= self._max_line:
                    overflow = True
                    line.clear()
                    continue
                line.append(byte)

    def _emit_line(self, raw: bytes, at: float) -> None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._set_status(
                Health.DEGRADED, f"dropped a scan that is not UTF-8 (byte {exc.start})"
            )
            return
        self._set_status(Health.OK, f"scanner on {self._port_name} open")
        self._emit(CodeScanned(text=text, source=SOURCE, at=at))

    def _set_status(self, health: Health, detail: str) -> None:
        # DEGRADED is re-sent for every dropped scan; OK and LOST only when they change.
        if self._status is not health or health is Health.DEGRADED:
            self._status = health
            self._emit(ReaderStatus(health=health, detail=detail, source=SOURCE))

    def _emit(self, event: CodeScanned | ReaderStatus) -> None:
        try:
            self._sink(event)
        except Exception:  # a broken sink must not kill the scanner
            log.exception("serial scanner: event sink failed")
