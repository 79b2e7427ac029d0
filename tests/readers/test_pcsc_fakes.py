"""The fakes in tests/fakes/ behave like the real readers they stand in for."""

from __future__ import annotations

import pytest

from readers import (
    CardPresented,
    CardReader,
    CardRemoved,
    CodeScanned,
    Health,
    ReaderError,
    ReaderEvent,
    ReaderStatus,
)
from tests.fakes.cards import FakeCardReader
from tests.fakes.serial_scanner import FakeSerialScanner


def test_fake_card_reader_emits_what_the_real_ones_emit() -> None:
    seen: list[ReaderEvent] = []
    reader: CardReader = FakeCardReader(seen.append)
    reader.start()
    assert isinstance(reader, FakeCardReader)
    reader.present("0123456789ABCDEF")
    reader.present(id18="11010519491231002X", name="张三")
    reader.remove()
    reader.status(Health.LOST, "unplugged")
    src = "pcsc:Fake Reader 00 00"
    assert seen == [
        ReaderStatus(Health.OK, "fake reader ready", src),
        CardPresented(serial="0123456789ABCDEF", source=src),
        CardPresented(serial=None, id18="11010519491231002X", name="张三", source=src),
        CardRemoved(source=src),
        ReaderStatus(Health.LOST, "unplugged", src),
    ]
    reader.stop()
    with pytest.raises(ReaderError, match="stopped"):
        reader.present("0123456789ABCDEF")


def test_fake_scanner_emits_code_scanned() -> None:
    seen: list[ReaderEvent] = []
    scanner = FakeSerialScanner(seen.append)
    scanner.start()
    scanner.scan("PK1:ABC")
    scanned = seen[-1]
    assert isinstance(scanned, CodeScanned)
    assert (scanned.text, scanned.source) == ("PK1:ABC", "serial-scanner")
    with pytest.raises(ReaderError, match="already running"):
        scanner.start()
