"""The small interface every card reader (and scanner) in readers/ offers the kiosk.

Readers run their own thread and hand each event to a sink: a plain callable that must be
thread-safe and quick (``queue.Queue().put`` works; kiosk/ passes a function that emits a Qt
signal, which Qt queues across threads). No Qt here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from readers._events import ReaderEvent

EventSink = Callable[[ReaderEvent], None]


class CardReader(Protocol):
    """Something that watches for cards (or codes) and reports them to its sink.

    ``start()`` returns at once; events arrive on the reader's thread. ``stop()`` ends the thread
    within ``timeout`` seconds or raises ``DeviceError``; a stopped reader may be started again.
    """

    @property
    def source(self) -> str: ...

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...
