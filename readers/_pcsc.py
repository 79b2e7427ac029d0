"""PC/SC card watcher for resident ID cards (pyscard's low-level ``smartcard.scard`` API).

Why not pyscard's CardMonitor: measured here, its thread dies for good when pcscd restarts
(0x80100013, then 0x8010001D) and a context opened before the restart stays dead. So one thread
loops over short ``SCardGetStatusChange`` waits (``poll`` seconds, the same as a
``CardRequest(timeout=0.5).waitforcardevent()`` loop) and rebuilds its context whenever pcscd
says the service or the context is gone. Every failure ends in "try again at the next poll":

- pcscd restarted / stopped: the context dies -> ReaderStatus LOST, CardRemoved for cards we had
  reported; a new context is built every poll until pcscd answers again (~one poll).
- reader unplugged / replugged: the reader list is re-read every poll; no reader -> LOST.
- ``connect()`` right after a restart raises SCARD_E_NO_SMARTCARD (0x8010000C) for ~0.5 s, and
  right after a pull SCARD_W_UNPOWERED_CARD (0x80100067) until the next poll: both are
  transient, the read is retried next poll (at most ``max_attempts`` times per insertion).
- card pulled mid-read: the transmit fails, nothing is reported; the next poll sees no card.

The serial: APDU ``00 36 00 00 08`` returns the ID card's 8-byte physical serial + 90 00 (PK1
spec §5); cards that refuse it are asked for the contactless UID (``FF CA 00 00 00``, PC/SC part
3), used when it is 8 bytes. Serials are reported as 16 upper-case hex characters, never logged.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from smartcard import scard

from readers._card_reader import EventSink, ReaderThread
from readers._errors import ReaderError
from readers._events import CardPresented, CardRemoved, Health, ReaderStatus

log = logging.getLogger(__name__)

APDU_SERIAL = [0x00, 0x36, 0x00, 0x00, 0x08]
APDU_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
SERIAL_BYTES = 8
PNP = "\\\\?PnP?\\Notification"

# Errors after which the context is useless: pcscd stopped, restarted or the socket broke.
_SERVICE_GONE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_F_COMM_ERROR,
    scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_F_INTERNAL_ERROR,
    scard.SCARD_E_NO_MEMORY,
}


def _u32(hr: int) -> int:
    # pyscard returns HRESULTs as signed or unsigned ints depending on the platform.
    return hr & 0xFFFFFFFF


def _describe(hr: int) -> str:
    return f"{scard.SCardGetErrorMessage(hr).strip()} (0x{_u32(hr):08X})"


_GONE = {_u32(x) for x in _SERVICE_GONE}


class _ServiceGone(Exception):
    """pcscd or our context is gone; rebuild the context at the next poll."""


class _Transient(Exception):
    """The card could not be read this time (still powering up, pulled, shared...)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class _Slot:
    state: int = scard.SCARD_STATE_UNAWARE
    reported: bool = False
    attempts: int = 0
    insertion: int = -1  # pcsc-lite's event counter (high 16 bits of the state) at insertion


class PcscCardReader(ReaderThread):
    """Watches every PC/SC reader and emits CardPresented / CardRemoved / ReaderStatus.

    ``source`` of card events is ``"pcsc:<reader name>"``; ReaderStatus uses ``"pcsc"``.
    A card that answers neither APDU with an 8-byte value (or fails ``max_attempts`` reads in a
    row) is reported once as ``CardPresented(serial=None)`` so the kiosk can say so.
    """

    def __init__(
        self,
        sink: EventSink,
        *,
        poll: float = 0.5,
        max_attempts: int = 5,
    ) -> None:
        if not 0.05 <= poll <= 5.0:
            raise ReaderError(f"poll interval: expected 0.05..5 s, got {poll}")
        if not 1 <= max_attempts <= 100:
            raise ReaderError(f"max_attempts: expected 1..100, got {max_attempts}")
        self._sink = sink
        self._poll = poll
        self._max_attempts = max_attempts
        super().__init__("PC/SC watcher")
        self._ctx: Any = None
        self._slots: dict[str, _Slot] = {}
        self._status: tuple[Health, str] | None = None
        self._transient: dict[str, int] = {}
        self._transient_lock = threading.Lock()

    @property
    def source(self) -> str:
        return "pcsc"

    @property
    def transient_errors(self) -> dict[str, int]:
        """How often each PC/SC error code made a card read wait for the next poll (for staff
        diagnostics and the recovery benchmark), e.g. ``{"0x8010000C": 2}``."""
        with self._transient_lock:
            return dict(self._transient)

    # -- the loop -------------------------------------------------------------------------

    def _wake(self) -> None:
        ctx = self._ctx
        if ctx is not None:
            # Wakes a pending SCardGetStatusChange at once (PC/SC allows this one call from
            # another thread); a stale context only makes it fail harmlessly.
            scard.SCardCancel(ctx)

    def _run(self) -> None:
        self._status = None
        try:
            while not self._stop.is_set():
                try:
                    self._cycle()
                except _ServiceGone as exc:
                    self._lost(f"PC/SC service unavailable: {exc}")
                    self._stop.wait(self._poll)
                except Exception as exc:  # the watcher must outlive any surprise
                    log.exception("PC/SC watcher: unexpected error, rebuilding the context")
                    self._lost(f"PC/SC watcher error: {type(exc).__name__}: {exc}")
                    self._stop.wait(self._poll)
        finally:
            self._release()

    def _cycle(self) -> None:
        ctx = self._context()
        readers = self._list_readers(ctx)
        for gone in [name for name in self._slots if name not in readers]:
            self._forget(gone)
        if not readers:
            self._set_status(Health.LOST, "no card reader connected")
            self._stop.wait(self._poll)
            return
        self._set_status(Health.OK, f"{len(readers)} reader(s): " + ", ".join(readers))
        for name in readers:
            self._slots.setdefault(name, _Slot())
        self._wait_change(ctx, readers)
        for name in readers:
            self._settle(ctx, name)

    def _context(self) -> Any:
        if self._ctx is None:
            hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hr != scard.SCARD_S_SUCCESS:
                raise _ServiceGone(_describe(hr))
            self._ctx = ctx
        return self._ctx

    def _list_readers(self, ctx: Any) -> list[str]:
        hr, readers = scard.SCardListReaders(ctx, [])
        if _u32(hr) == _u32(scard.SCARD_E_NO_READERS_AVAILABLE):
            return []
        if hr != scard.SCARD_S_SUCCESS:
            raise _ServiceGone(_describe(hr))
        return [str(r) for r in readers]

    def _wait_change(self, ctx: Any, readers: list[str]) -> None:
        """Block at most one poll for a change on any reader (or a reader added/removed)."""
        states = [(name, self._slots[name].state) for name in readers]
        states.append((PNP, len(readers) << 16))
        hr, new_states = scard.SCardGetStatusChange(ctx, int(self._poll * 1000), states)
        code = _u32(hr)
        if code in (_u32(scard.SCARD_E_TIMEOUT), _u32(scard.SCARD_E_CANCELLED)):
            return  # nothing changed, or stop() woke us
        if code in (
            _u32(scard.SCARD_E_UNKNOWN_READER),
            _u32(scard.SCARD_E_READER_UNAVAILABLE),
        ):
            self._stop.wait(min(self._poll, 0.1))  # the list changed under us: relist
            return
        if code != scard.SCARD_S_SUCCESS:
            raise _ServiceGone(_describe(hr))
        for name, event_state, _atr in new_states:
            if name in self._slots:
                self._slots[name].state = event_state & ~scard.SCARD_STATE_CHANGED

    def _settle(self, ctx: Any, name: str) -> None:
        slot = self._slots[name]
        present = bool(slot.state & scard.SCARD_STATE_PRESENT) and not (
            slot.state & scard.SCARD_STATE_MUTE
        )
        insertion = (slot.state >> 16) & 0xFFFF
        if slot.reported and (not present or insertion != slot.insertion):
            # Removed, or removed and put back between two polls (the counter moved on).
            self._emit(CardRemoved(source=f"pcsc:{name}"))
            slot.reported = False
            slot.attempts = 0
        if not present:
            slot.attempts = 0
            return
        if slot.reported or slot.attempts >= self._max_attempts:
            return
        slot.attempts += 1
        try:
            serial = self._read_serial(ctx, name)
        except _Transient as exc:
            key = f"0x{exc.code:08X}"
            with self._transient_lock:
                self._transient[key] = self._transient.get(key, 0) + 1
            if slot.attempts < self._max_attempts:
                log.info("PC/SC %s: card not readable yet (%s), retrying", name, exc)
                return
            log.warning("PC/SC %s: card unreadable after %d tries: %s", name, slot.attempts, exc)
            serial = None
        slot.reported = True
        slot.insertion = insertion
        self._emit(CardPresented(serial=serial, source=f"pcsc:{name}"))

    def _read_serial(self, ctx: Any, name: str) -> str | None:
        hr, handle, protocol = scard.SCardConnect(
            ctx,
            name,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        self._check(hr, "connect")
        try:
            for apdu in (APDU_SERIAL, APDU_UID):
                hr, response = scard.SCardTransmit(handle, protocol, apdu)
                self._check(hr, "transmit")
                data, sw = bytes(response[:-2]), bytes(response[-2:])
                if sw == b"\x90\x00" and len(data) == SERIAL_BYTES:
                    return data.hex().upper()
            log.warning("PC/SC %s: card gave no 8-byte serial or UID", name)
            return None
        finally:
            scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)

    @staticmethod
    def _check(hr: int, what: str) -> None:
        if hr == scard.SCARD_S_SUCCESS:
            return
        if _u32(hr) in _GONE:
            raise _ServiceGone(f"{what}: {_describe(hr)}")
        raise _Transient(f"{what}: {_describe(hr)}", _u32(hr))

    # -- state changes ---------------------------------------------------------------------

    def _forget(self, name: str) -> None:
        slot = self._slots.pop(name)
        if slot.reported:
            self._emit(CardRemoved(source=f"pcsc:{name}"))

    def _lost(self, detail: str) -> None:
        for name in list(self._slots):
            self._forget(name)
        self._release()
        self._set_status(Health.LOST, detail)

    def _release(self) -> None:
        if self._ctx is not None:
            scard.SCardReleaseContext(self._ctx)  # fails harmlessly on a dead context
            self._ctx = None

    def _set_status(self, health: Health, detail: str) -> None:
        if self._status != (health, detail):
            self._status = (health, detail)
            self._emit(ReaderStatus(health=health, detail=detail, source="pcsc"))

    def _emit(self, event: CardPresented | CardRemoved | ReaderStatus) -> None:
        try:
            self._sink(event)
        except Exception:  # a broken sink must not kill the watcher
            log.exception("PC/SC watcher: event sink failed")
