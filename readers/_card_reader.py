"""The small interface every card reader (and scanner) in readers/ offers the kiosk.

Readers run their own thread and hand each event to a sink: a plain callable that must be
thread-safe and quick (``queue.Queue().put`` works; kiosk/ passes a function that emits a Qt
signal, which Qt queues across threads). No Qt here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from readers._errors import ReaderError
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


class ReaderThread:
    """``start()``/``stop()`` for a reader whose work is one loop on its own thread.

    Subclasses implement ``_run()`` (return when ``self._stop`` is set), may override
    ``_wake()`` to interrupt a blocking wait when asked to stop, and call ``super().__init__``
    with a name used for the thread and in error messages.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            raise ReaderError(f"{self._name}: expected a stopped reader, it is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is None:
            return
        self._wake()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise ReaderError(f"{self._name}: expected to stop within {timeout} s, still running")
        self._thread = None

    def _wake(self) -> None:
        """Interrupt a blocking wait in the loop (the stop event already ends ``wait`` calls)."""

    def _run(self) -> None:
        raise NotImplementedError
