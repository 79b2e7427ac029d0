"""SerialScanner on a pseudo-terminal: line framing, size cap, bad bytes, port lost and back."""

from __future__ import annotations

import contextlib
import logging
import os
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from readers import CodeScanned, Health, ReaderError, ReaderEvent, ReaderStatus
from readers._serial_scanner import SerialScanner
from tests.readers.vcard.fixtures import EventLog


class PtyGun:
    """The scanner gun's end of a pty, behind a stable symlink (so it can vanish and return)."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = self.slave = -1

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tmp = self.link.with_suffix(".new")
        tmp.symlink_to(os.ttyname(self.slave))
        tmp.replace(self.link)

    def unplug(self) -> None:
        self.link.unlink(missing_ok=True)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.master = self.slave = -1

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.master, view) :]


def scanned(e: ReaderEvent) -> bool:
    return isinstance(e, CodeScanned)


def status(health: Health) -> Callable[[ReaderEvent], bool]:
    return lambda e: isinstance(e, ReaderStatus) and e.health is health


@pytest.fixture()
def gun(tmp_path: Path) -> Iterator[PtyGun]:
    g = PtyGun(tmp_path / "ttyGUN")
    g.plug()
    try:
        yield g
    finally:
        g.unplug()


@pytest.fixture()
def events(gun: PtyGun) -> Iterator[EventLog]:
    log = EventLog()
    scanner = SerialScanner(log, str(gun.link), max_line=64, line_timeout=0.2, reopen=0.1)
    scanner.start()
    try:
        log.wait(status(Health.OK))
        yield log
    finally:
        scanner.stop()


def texts(log: EventLog, n: int) -> list[str]:
    out = []
    for _ in range(n):
        event = log.wait(scanned)
        assert isinstance(event, CodeScanned)
        assert event.source == "serial-scanner"
        out.append(event.text)
    return out


def test_cr_lf_and_crlf_end_a_scan_and_text_is_kept_exactly(gun: PtyGun, events: EventLog) -> None:
    gun.send(b"PK1:ABC\rPK1:D E \nHC1:XYZ\r\n\r\nPK1:LAST\n")
    assert texts(events, 4) == ["PK1:ABC", "PK1:D E ", "HC1:XYZ", "PK1:LAST"]
    ats = [e.at for e in events.seen if isinstance(e, CodeScanned)]
    assert ats == sorted(ats)


def test_a_scan_split_across_writes_is_one_code(gun: PtyGun, events: EventLog) -> None:
    gun.send(b"PK1:NCF")
    gun.send(b"OXQ")
    gun.send(b"\r\n")
    assert texts(events, 1) == ["PK1:NCFOXQ"]


def test_an_over_long_line_is_dropped_and_the_next_scan_passes(
    gun: PtyGun, events: EventLog
) -> None:
    gun.send(b"X" * 200 + b"\r\nPK1:OK\r\n")
    degraded = events.wait(status(Health.DEGRADED))
    assert isinstance(degraded, ReaderStatus) and "longer than 64 bytes" in degraded.detail
    events.wait(status(Health.OK))  # the good scan restores OK, then is delivered
    assert texts(events, 1) == ["PK1:OK"]


def test_a_line_of_exactly_the_cap_passes(gun: PtyGun, events: EventLog) -> None:
    gun.send(b"A" * 64 + b"\n")
    assert texts(events, 1) == ["A" * 64]


def test_bytes_that_are_not_utf8_are_dropped(gun: PtyGun, events: EventLog) -> None:
    gun.send(b"PK1:\xff\xfe\r\nPK1:GOOD\r\n")
    degraded = events.wait(status(Health.DEGRADED))
    assert isinstance(degraded, ReaderStatus) and "not UTF-8" in degraded.detail
    assert texts(events, 1) == ["PK1:GOOD"]


def test_a_cut_off_scan_does_not_glue_to_the_next(
    gun: PtyGun, events: EventLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="readers._serial_scanner")
    gun.send(b"PK1:HALF")
    deadline = time.monotonic() + 10
    while "dropped an unfinished scan" not in caplog.text:  # awaited, bounded
        assert time.monotonic() < deadline, "the unfinished scan was never dropped"
        time.sleep(0.02)
    gun.send(b"PK1:WHOLE\r\n")
    assert texts(events, 1) == ["PK1:WHOLE"]


def test_port_lost_then_back(gun: PtyGun, events: EventLog) -> None:
    gun.unplug()
    lost = events.wait(status(Health.LOST))
    assert isinstance(lost, ReaderStatus) and "ttyGUN" in lost.detail
    gun.plug()
    events.wait(status(Health.OK))
    gun.send(b"PK1:BACK\r\n")
    assert texts(events, 1) == ["PK1:BACK"]


@pytest.mark.parametrize(
    "kwargs", [{"max_line": 8}, {"max_line": 1 << 21}, {"line_timeout": 0}, {"reopen": 0}]
)
def test_settings_are_bounded(kwargs: dict[str, float]) -> None:
    with pytest.raises(ReaderError, match="expected"):
        SerialScanner(lambda e: None, "/dev/null", **kwargs)  # type: ignore[arg-type]
