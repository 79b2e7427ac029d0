"""Reader events (plain objects from reader threads) → Qt signals on the GUI thread.

readers/ has no Qt: each reader calls a thread-safe sink from its own thread. The bridge's sink
emits a signal; the bridge lives on the GUI thread, so Qt queues the emission across threads and
every slot runs on the GUI thread, in the order the reader produced the events.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from readers import CardPresented, CardRemoved, CodeScanned, ReaderEvent, ReaderStatus


class ReaderBridge(QObject):
    cardPresented = Signal(CardPresented)
    cardRemoved = Signal(CardRemoved)
    codeScanned = Signal(str)  # the scanned text
    statusChanged = Signal(ReaderStatus)

    def sink(self, event: ReaderEvent) -> None:
        """The EventSink handed to readers: safe to call from any thread."""
        if isinstance(event, CardPresented):
            self.cardPresented.emit(event)
        elif isinstance(event, CardRemoved):
            self.cardRemoved.emit(event)
        elif isinstance(event, CodeScanned):
            self.codeScanned.emit(event.text)
        elif isinstance(event, ReaderStatus):
            self.statusChanged.emit(event)
