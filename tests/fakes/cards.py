"""FakeCardReader: a CardReader the tests drive by hand, for the kiosk layer above the devices.

It satisfies readers.CardReader and emits the same events as PcscCardReader / SamCardReader,
synchronously on the calling thread (the kiosk must cope with events from any thread anyway).
"""

from __future__ import annotations

from readers import CardPresented, CardRemoved, EventSink, Health, ReaderError, ReaderStatus


class FakeCardReader:
    def __init__(self, sink: EventSink, source: str = "pcsc:Fake Reader 00 00") -> None:
        self._sink = sink
        self._source = source
        self.running = False
        self.starts = 0

    @property
    def source(self) -> str:
        return self._source

    def start(self) -> None:
        if self.running:
            raise ReaderError("fake reader: expected a stopped reader, it is already running")
        self.running = True
        self.starts += 1
        self.status(Health.OK, "fake reader ready")

    def stop(self, timeout: float = 5.0) -> None:
        del timeout
        self.running = False

    def present(
        self, serial: str | None = None, *, id18: str | None = None, name: str | None = None
    ) -> None:
        """A card is put on the reader: a PC/SC card has a serial, a SAM card id18 and name."""
        self._require_running()
        self._sink(CardPresented(serial=serial, id18=id18, name=name, source=self._source))

    def remove(self) -> None:
        self._require_running()
        self._sink(CardRemoved(source=self._source))

    def status(self, health: Health, detail: str) -> None:
        self._sink(ReaderStatus(health=health, detail=detail, source=self._source))

    def _require_running(self) -> None:
        if not self.running:
            raise ReaderError("fake reader: expected a started reader, it is stopped")
