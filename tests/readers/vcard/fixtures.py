"""pytest fixtures for the real PC/SC stack (import them into a test module to use them)."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from readers import ReaderEvent
from tests.readers.vcard._pcscd import PCSCD, Pcscd, PcscdBusy


class EventLog:
    """A thread-safe sink that keeps every event and waits (bounded) for the next match."""

    def __init__(self) -> None:
        self.queue: queue.Queue[ReaderEvent] = queue.Queue()
        self.seen: list[ReaderEvent] = []

    def __call__(self, event: ReaderEvent) -> None:
        self.queue.put(event)

    def wait(self, match: Callable[[ReaderEvent], bool], timeout: float = 10.0) -> ReaderEvent:
        """The next event (after those already consumed) that matches, or AssertionError."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching event within {timeout} s; saw {self.seen}")
            try:
                event = self.queue.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(event)
            if match(event):
                return event

    def drain(self) -> list[ReaderEvent]:
        """Events that arrived and were not consumed yet (non-blocking)."""
        out: list[ReaderEvent] = []
        while True:
            try:
                event = self.queue.get_nowait()
            except queue.Empty:
                return out
            self.seen.append(event)
            out.append(event)


@pytest.fixture(scope="module")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    """Our own pcscd with the vpcd reader, for one test module (serialised machine-wide)."""
    if not Path(PCSCD).exists():
        pytest.skip("pcscd is not installed (apt: pcscd vsmartcard-vpcd)")
    if not Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so").exists():
        pytest.skip("vsmartcard-vpcd is not installed")
    daemon = Pcscd(tmp_path_factory.mktemp("pcscd"))
    try:
        daemon.acquire()
    except PcscdBusy as exc:
        pytest.skip(f"cannot run the PC/SC tests next to it: {exc}")
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.stop()
        daemon.release()


@pytest.fixture()
def running_pcscd(pcscd: Pcscd) -> Pcscd:
    """pcscd up with its reader, whatever an earlier test left behind."""
    if pcscd.proc is None or pcscd.proc.poll() is not None:
        pcscd.stop()
        pcscd.start()
    from tests.readers.vcard._pcscd import list_readers

    if not list_readers():
        pcscd.plug()
    return pcscd
