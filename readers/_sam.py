"""GA/T 467 SAM ID card readers on a serial port (pyserial).

One thread polls: find card (``20 01``) -> select (``20 02``) -> read basic info (``30 01``),
no faster than every 300 ms (module manuals ask for that: a faster poll starves the RF field).
Frame layout and status bytes: see readers._gat467.

Health:
- OK once the module answers a well-formed frame;
- DEGRADED after ``max_errors`` exchanges in a row with a bad checksum, a partial frame or no
  answer (the port is open but the module talks nonsense or nothing);
- LOST when the port cannot be opened or breaks (USB-serial unplugged); it is reopened every
  ``reopen`` seconds until it comes back.

A card is reported once per presentation: while find keeps answering 9F nothing more is sent;
the first find without 9F reports CardRemoved. (Some modules answer 80 to find while a card that
was already read still lies on them; there the kiosk sees CardRemoved early, which is harmless.)
A card taken away between find and read (select 81 / read 41) is not reported at all.
"""

from __future__ import annotations

import contextlib
import logging
import termios
import time

import serial

from readers._card_reader import EventSink, ReaderThread
from readers._errors import FrameError, ReaderError
from readers._events import CardPresented, CardRemoved, Health, ReaderStatus
from readers._gat467 import (
    CMD_FIND,
    CMD_READ_BASE,
    CMD_SELECT,
    MAX_LEN,
    PREAMBLE,
    SW3_FOUND,
    SW3_OK,
    Response,
    check_length,
    decode_response_body,
    encode_command,
    parse_read_base,
)

log = logging.getLogger(__name__)

MIN_POLL = 0.3
# What a vanished port raises: pyserial wraps read/write errors, but termios calls (flush)
# raise termios.error (EIO) and a few paths raise a bare OSError.
_PORT_ERRORS = (serial.SerialException, OSError, termios.error)
# Bytes we skip while hunting for a preamble before calling the line garbage.
MAX_GARBAGE = MAX_LEN


class SamTimeout(ReaderError):
    """The SAM module did not send a complete answer in time."""


class SamCardReader(ReaderThread):
    """Polls a GA/T 467 SAM module on ``port`` and emits CardPresented(id18, name)."""

    def __init__(
        self,
        sink: EventSink,
        port: str,
        *,
        baudrate: int = 115_200,
        poll: float = MIN_POLL,
        answer_timeout: float = 1.0,
        reopen: float = 1.0,
        max_errors: int = 3,
    ) -> None:
        if not MIN_POLL <= poll <= 10.0:
            raise ReaderError(f"SAM poll interval: expected {MIN_POLL}..10 s, got {poll}")
        if not 0.05 <= answer_timeout <= 10.0:
            raise ReaderError(f"SAM answer timeout: expected 0.05..10 s, got {answer_timeout}")
        if not 0.05 <= reopen <= 60.0:
            raise ReaderError(f"SAM reopen interval: expected 0.05..60 s, got {reopen}")
        if not 1 <= max_errors <= 100:
            raise ReaderError(f"SAM max_errors: expected 1..100, got {max_errors}")
        self._sink = sink
        self._port_name = port
        self._baudrate = baudrate
        self._poll = poll
        self._answer_timeout = answer_timeout
        self._reopen = reopen
        self._max_errors = max_errors
        super().__init__("SAM reader")
        self._port: serial.Serial | None = None
        self._reported = False
        self._errors = 0
        self._status: tuple[Health, str] | None = None

    @property
    def source(self) -> str:
        return f"sam:{self._port_name}"

    # -- the loop -------------------------------------------------------------------------

    def _run(self) -> None:
        self._status = None
        try:
            while not self._stop.is_set():
                if self._port is None and not self._open():
                    self._stop.wait(self._reopen)
                    continue
                try:
                    self._poll_once()
                except _PORT_ERRORS as exc:
                    self._broken(f"serial port {self._port_name} failed: {exc}")
                    self._stop.wait(self._reopen)
                    continue
                except ReaderError as exc:  # FrameError, SamTimeout
                    if not self._stop.is_set():  # stop() cuts a wait short: not the module's fault
                        self._bad_exchange(str(exc))
                except Exception as exc:  # the reader must outlive any surprise
                    log.exception("SAM reader: unexpected error")
                    self._broken(f"SAM reader error: {type(exc).__name__}: {exc}")
                    self._stop.wait(self._reopen)
                    continue
                self._stop.wait(self._poll)
        finally:
            self._close()

    def _open(self) -> bool:
        try:
            self._port = serial.Serial(self._port_name, self._baudrate, timeout=0.05)
        except (*_PORT_ERRORS, ValueError) as exc:
            self._set_status(Health.LOST, f"cannot open {self._port_name}: {exc}")
            return False
        return True

    def _close(self) -> None:
        if self._port is not None:
            # Already gone: closing is all we wanted.
            with contextlib.suppress(*_PORT_ERRORS):
                self._port.close()
            self._port = None

    def _poll_once(self) -> None:
        found = self._transact(CMD_FIND)
        self._good()
        if found.sw3 != SW3_FOUND:
            self._absent()
            return
        if self._reported:
            return  # the same card still lies there
        selected = self._transact(CMD_SELECT)
        if selected.sw3 != SW3_OK:
            self._absent()  # taken away between find and select
            return
        answer = self._transact(CMD_READ_BASE)
        if (answer.sw1, answer.sw2, answer.sw3) != (0, 0, SW3_OK):
            sw = f"{answer.sw1:02X} {answer.sw2:02X} {answer.sw3:02X}"
            log.info("SAM %s: read failed with SW %s", self._port_name, sw)
            self._absent()  # 41: the card left between find and read
            return
        text = parse_read_base(answer.data)
        self._reported = True
        self._emit(CardPresented(serial=None, id18=text.id18, name=text.name, source=self.source))

    # -- frames -----------------------------------------------------------------------------

    def _transact(self, command: tuple[int, int]) -> Response:
        port = self._port
        if port is None:
            raise ReaderError(f"SAM reader: expected an open port {self._port_name}, none")
        port.reset_input_buffer()  # drop the tail of any earlier partial or late answer
        port.write(encode_command(*command))
        deadline = time.monotonic() + self._answer_timeout
        skipped = bytearray()
        while not skipped.endswith(PREAMBLE):
            skipped += self._read_exact(port, 1, deadline)
            if len(skipped) > MAX_GARBAGE:
                raise FrameError(f"GA/T 467: expected a preamble within {MAX_GARBAGE} bytes")
        length_bytes = self._read_exact(port, 2, deadline)
        check_length(int.from_bytes(length_bytes, "big"))
        rest = self._read_exact(port, int.from_bytes(length_bytes, "big"), deadline)
        return decode_response_body(length_bytes, rest)

    def _read_exact(self, port: serial.Serial, n: int, deadline: float) -> bytes:
        got = bytearray()
        while len(got) < n:
            if time.monotonic() >= deadline or self._stop.is_set():
                raise SamTimeout(
                    f"SAM {self._port_name}: expected {n} more bytes within "
                    f"{self._answer_timeout:g} s, got {len(got)}"
                )
            got += port.read(n - len(got))
        return bytes(got)

    # -- state changes ---------------------------------------------------------------------

    def _absent(self) -> None:
        if self._reported:
            self._reported = False
            self._emit(CardRemoved(source=self.source))

    def _good(self) -> None:
        self._errors = 0
        self._set_status(Health.OK, f"SAM reader on {self._port_name} answers")

    def _bad_exchange(self, detail: str) -> None:
        self._errors += 1
        log.info("SAM %s: bad exchange %d: %s", self._port_name, self._errors, detail)
        if self._errors >= self._max_errors:
            self._set_status(Health.DEGRADED, detail)

    def _broken(self, detail: str) -> None:
        self._close()
        self._errors = 0
        self._absent()
        self._set_status(Health.LOST, detail)

    def _set_status(self, health: Health, detail: str) -> None:
        if self._status is None or self._status[0] is not health:
            self._status = (health, detail)
            self._emit(ReaderStatus(health=health, detail=detail, source=self.source))

    def _emit(self, event: CardPresented | CardRemoved | ReaderStatus) -> None:
        try:
            self._sink(event)
        except Exception:  # a broken sink must not kill the reader
            log.exception("SAM reader: event sink failed")
