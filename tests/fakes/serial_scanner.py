"""FakeSerialScanner: a scanner gun the tests drive by hand (for the kiosk layer)."""

from __future__ import annotations

import time

from readers import CodeScanned, EventSink, Health, ReaderError, ReaderStatus


class FakeSerialScanner:
    def __init__(self, sink: EventSink) -> None:
        self._sink = sink
        self.running = False

    @property
    def source(self) -> str:
        return "serial-scanner"

    def start(self) -> None:
        if self.running:
            raise ReaderError("fake scanner: expected a stopped scanner, it is already running")
        self.running = True
        self.status(Health.OK, "fake scanner ready")

    def stop(self, timeout: float = 5.0) -> None:
        del timeout
        self.running = False

    def scan(self, text: str) -> None:
        if not self.running:
            raise ReaderError("fake scanner: expected a started scanner, it is stopped")
        self._sink(CodeScanned(text=text, source=self.source, at=time.monotonic()))

    def status(self, health: Health, detail: str) -> None:
        self._sink(ReaderStatus(health=health, detail=detail, source=self.source))
