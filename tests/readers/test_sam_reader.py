"""GA/T 467 frames, the text block, and SamCardReader against our simulator on a pty."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from readers import (
    CardPresented,
    CardRemoved,
    FrameError,
    Health,
    ReaderError,
    ReaderEvent,
    ReaderStatus,
)
from readers._gat467 import decode_response_body, encode_command, parse_read_base
from readers._sam import SamCardReader
from tests.readers.vcard._samsim import PHOTO, SamSimulator, build_text, encode_response
from tests.readers.vcard.fixtures import EventLog

ID18 = "11010519491231002X"  # the standard's example number (valid MOD 11-2 check)
NAME = "张三丰"


# -- frames -----------------------------------------------------------------------------------


def test_command_frames_match_the_published_bytes() -> None:
    assert encode_command(0x20, 0x01).hex() == "aaaaaa96690003200122"
    assert encode_command(0x20, 0x02).hex() == "aaaaaa96690003200221"
    assert encode_command(0x30, 0x01).hex() == "aaaaaa96690003300132"


def test_response_round_trip_and_checksum() -> None:
    frame = encode_response(0, 0, 0x9F, bytes(4))
    assert frame.hex() == "aaaaaa96690008" + "00009f" + "00000000" + "97"
    r = decode_response_body(frame[5:7], frame[7:])
    assert (r.sw1, r.sw2, r.sw3, r.data) == (0, 0, 0x9F, bytes(4))
    bad = frame[:-1] + b"\x00"
    with pytest.raises(FrameError, match="checksum: expected 0x97, got 0x00"):
        decode_response_body(bad[5:7], bad[7:])


@pytest.mark.parametrize("length", [0, 3, 5000])
def test_response_length_is_capped(length: int) -> None:
    with pytest.raises(FrameError, match="length"):
        decode_response_body(length.to_bytes(2, "big"), b"")


def test_text_block_parses_name_id_and_validity() -> None:
    data = b"\x01\x00\x04\x00" + build_text(name=NAME, id18=ID18) + PHOTO
    text = parse_read_base(data)
    assert (text.name, text.id18, text.valid_from, text.valid_to) == (
        NAME,
        ID18,
        "20150101",
        "长期",
    )
    assert ID18 not in repr(text) and NAME not in repr(text)
    dated = parse_read_base(
        b"\x01\x00\x04\x00" + build_text(name=NAME, id18=ID18, valid_to="20350101") + PHOTO
    )
    assert dated.valid_to == "20350101"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01", "at least 4"),
        (b"\x00\x80\x04\x00" + bytes(2000), "text length 256"),
        (b"\x01\x00\x08\x00" + bytes(2000), "photo <= 1024"),
        (b"\x01\x00\x04\x00" + bytes(100), "expected 1284 data bytes"),
        (b"\x01\x00\x04\x00" + build_text(name="", id18=ID18) + PHOTO, "name"),
        (b"\x01\x00\x04\x00" + build_text(name=NAME, id18="1101051949") + PHOTO, "number"),
        (
            b"\x01\x00\x04\x00" + build_text(name=NAME, id18=ID18, valid_to="later") + PHOTO,
            "valid-to",
        ),
        (b"\x01\x00\x04\x00" + b"\x00\xd8" * 128 + PHOTO, "UCS-2"),
    ],
)
def test_bad_text_blocks_are_refused_without_leaking(data: bytes, message: str) -> None:
    with pytest.raises(FrameError, match=message) as info:
        parse_read_base(data)
    assert "1101051949" not in str(info.value)


# -- the reader on a pty ----------------------------------------------------------------------


@pytest.fixture()
def sim(tmp_path: Path) -> Iterator[SamSimulator]:
    simulator = SamSimulator(tmp_path / "ttySAM")
    simulator.appear()
    try:
        yield simulator
    finally:
        simulator.disappear()


@pytest.fixture()
def events(sim: SamSimulator) -> Iterator[EventLog]:
    log = EventLog()
    reader = SamCardReader(log, str(sim.link), answer_timeout=0.3, reopen=0.1)
    reader.start()
    try:
        log.wait(is_status(Health.OK))
        yield log
    finally:
        reader.stop()


def is_status(health: Health) -> Callable[[ReaderEvent], bool]:
    def match(e: ReaderEvent) -> bool:
        return isinstance(e, ReaderStatus) and e.health is health

    return match


def presented(e: ReaderEvent) -> bool:
    return isinstance(e, CardPresented)


def removed(e: ReaderEvent) -> bool:
    return isinstance(e, CardRemoved)


def test_reads_a_card_and_reports_removal(sim: SamSimulator, events: EventLog) -> None:
    sim.present(name=NAME, id18=ID18)
    card = events.wait(presented)
    assert card == CardPresented(serial=None, id18=ID18, name=NAME, source=f"sam:{sim.link}")
    assert ID18 not in repr(card)
    sim.take_away()
    assert events.wait(removed) == CardRemoved(source=f"sam:{sim.link}")


def test_a_card_lying_there_is_reported_once(sim: SamSimulator, events: EventLog) -> None:
    sim.present(name=NAME, id18=ID18)
    events.wait(presented)
    seen = len(sim.commands)
    sim.wait_commands(seen + 3)  # three more polls
    assert [c[:2] for c in sim.commands[seen:]] == [(0x20, 0x01)] * (len(sim.commands) - seen)
    assert not any(presented(e) for e in events.drain())


def test_polls_no_faster_than_every_300_ms(sim: SamSimulator, events: EventLog) -> None:
    start = len(sim.commands)
    sim.wait_commands(start + 4)
    finds = [t for cmd, para, t in sim.commands[start:] if (cmd, para) == (0x20, 0x01)]
    gaps = [b - a for a, b in itertools.pairwise(finds)]
    assert gaps and min(gaps) >= 0.3


@pytest.mark.parametrize("fault", ["checksum", "partial", "silent", "noise"])
def test_one_bad_answer_is_survived(sim: SamSimulator, events: EventLog, fault: str) -> None:
    sim.faults.append(fault)
    sim.present(name=NAME, id18=ID18)
    card = events.wait(presented)
    assert isinstance(card, CardPresented) and card.id18 == ID18
    assert not any(isinstance(e, ReaderStatus) and e.health is not Health.OK for e in events.seen)


@pytest.mark.parametrize("fault", ["checksum", "partial", "silent"])
def test_repeated_bad_answers_degrade_then_recover(
    sim: SamSimulator, events: EventLog, fault: str
) -> None:
    sim.faults.extend([fault] * 3)
    degraded = events.wait(is_status(Health.DEGRADED))
    assert isinstance(degraded, ReaderStatus)
    assert {"checksum": "checksum", "partial": "expected", "silent": "within"}[fault] in (
        degraded.detail
    )
    events.wait(is_status(Health.OK))
    sim.present(name=NAME, id18=ID18)
    events.wait(presented)


def test_card_taken_away_between_find_and_read(sim: SamSimulator, events: EventLog) -> None:
    sim.leave_before_read = True
    sim.present(name=NAME, id18=ID18)
    reads_before = sum(1 for c in sim.commands if c[:2] == (0x30, 0x01))
    sim.wait_commands(len(sim.commands) + 5)
    assert sum(1 for c in sim.commands if c[:2] == (0x30, 0x01)) == reads_before + 1
    assert not any(presented(e) or removed(e) for e in events.drain())
    sim.present(name="李四", id18="110105194912310029")
    card = events.wait(presented)
    assert isinstance(card, CardPresented) and card.name == "李四"


def test_reader_disappears_then_returns(sim: SamSimulator, events: EventLog) -> None:
    sim.present(name=NAME, id18=ID18)
    events.wait(presented)
    sim.disappear()
    assert events.wait(removed)
    lost = events.wait(is_status(Health.LOST))
    assert isinstance(lost, ReaderStatus) and str(sim.link) in lost.detail
    sim.appear()  # a new pty behind the same name
    events.wait(is_status(Health.OK))
    card = events.wait(presented)  # the card still lies on it
    assert isinstance(card, CardPresented) and card.id18 == ID18


def test_a_missing_port_is_lost_until_it_appears(tmp_path: Path) -> None:
    sim = SamSimulator(tmp_path / "ttyLATE")
    log = EventLog()
    reader = SamCardReader(log, str(sim.link), answer_timeout=0.3, reopen=0.1)
    reader.start()
    try:
        lost = log.wait(is_status(Health.LOST))
        assert isinstance(lost, ReaderStatus) and "cannot open" in lost.detail
        sim.appear()
        log.wait(is_status(Health.OK))
    finally:
        reader.stop()
        sim.disappear()


@pytest.mark.parametrize("poll", [0.1, 0.29])
def test_refuses_a_poll_faster_than_300_ms(poll: float) -> None:
    with pytest.raises(ReaderError, match=r"0\.3\.\.10"):
        SamCardReader(lambda e: None, "/dev/null", poll=poll)
