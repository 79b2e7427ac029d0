"""A GA/T 467 SAM module simulator on a pseudo-terminal, with injectable faults.

The reader opens ``link`` (a symlink to the pty's slave), so the simulator can vanish (pty
closed: the reader's port breaks) and come back on a new pty behind the same name, like a
USB-serial adapter unplugged and plugged again.
"""

from __future__ import annotations

import collections
import contextlib
import os
import select
import threading
import tty
from pathlib import Path

from readers._gat467 import PREAMBLE, xor

PHOTO = bytes(range(256)) * 4  # stands in for the 1024-byte WLT photo


def encode_response(sw1: int, sw2: int, sw3: int, data: bytes = b"") -> bytes:
    length = 3 + len(data) + 1
    body = length.to_bytes(2, "big") + bytes([sw1, sw2, sw3]) + data
    return PREAMBLE + body + bytes([xor(body)])


def build_text(
    *,
    name: str,
    id18: str,
    valid_from: str = "20150101",
    valid_to: str = "长期",
) -> bytes:
    """A 256-byte GA/T 467 text block, UCS-2 LE, space padded."""
    fields = [
        (name, 30),
        ("1", 2),
        ("01", 4),
        ("19491231", 16),
        ("北京市东城区景山前街4号", 70),
        (id18, 36),
        ("北京市公安局东城分局", 30),
        (valid_from, 16),
        (valid_to, 16),
        ("", 36),
    ]
    out = b""
    for value, size in fields:
        raw = value.encode("utf-16-le")
        assert len(raw) <= size, (value, size)
        out += raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)
    assert len(out) == 256
    return out


class SamSimulator:
    """Answers find / select / read basic info like a SAM module with one card slot.

    ``faults`` is consumed one per answer: ``"checksum"`` (last byte flipped), ``"silent"`` (no
    answer), ``"partial"`` (the first half only), ``"noise"`` (junk before the preamble).
    ``leave_before_read``: the card goes away just before the next read is answered.
    """

    def __init__(self, link: Path) -> None:
        self.link = link
        self.text: bytes | None = None
        self.faults: collections.deque[str] = collections.deque()
        self.leave_before_read = False
        self.commands: list[tuple[int, int, float]] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master = -1
        self._slave = -1

    # -- lifetime -------------------------------------------------------------------------

    def appear(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR/LF translation: bytes pass as they are
        tmp = self.link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(self._slave))
        tmp.replace(self.link)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="sam-sim", daemon=True)
        self._thread.start()

    def disappear(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            assert not self._thread.is_alive()
            self._thread = None
        self.link.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1

    # -- test helpers -----------------------------------------------------------------------

    def present(self, *, name: str, id18: str, valid_to: str = "长期") -> None:
        self.text = build_text(name=name, id18=id18, valid_to=valid_to)

    def take_away(self) -> None:
        self.text = None

    def wait_commands(self, count: int, timeout: float = 10.0) -> None:
        """Wait (bounded) until at least ``count`` commands arrived in total."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.commands) >= count, timeout)
        assert ok, f"expected {count} commands within {timeout} s, got {len(self.commands)}"

    # -- the module ---------------------------------------------------------------------------

    def _serve(self) -> None:
        import time

        buf = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                buf += os.read(self._master, 4096)
            except OSError:
                continue  # no slave open right now
            while True:
                start = buf.find(PREAMBLE)
                if start < 0 or len(buf) < start + 7:
                    break
                length = int.from_bytes(buf[start + 5 : start + 7], "big")
                end = start + 7 + length
                if len(buf) < end:
                    break
                frame, buf = buf[start:end], buf[end:]
                body = frame[5:]
                if xor(body[:-1]) != body[-1]:
                    self._send(encode_response(0, 0, 0x10))
                    continue
                with self._cond:
                    self.commands.append((body[2], body[3], time.monotonic()))
                    self._cond.notify_all()
                self._answer(body[2], body[3])

    def _answer(self, cmd: int, para: int) -> None:
        fault = self.faults.popleft() if self.faults else None
        if self.leave_before_read and (cmd, para) == (0x30, 0x01):
            self.leave_before_read = False
            self.text = None
        text = self.text
        if (cmd, para) == (0x20, 0x01):
            frame = encode_response(0, 0, 0x9F, bytes(4)) if text else encode_response(0, 0, 0x80)
        elif (cmd, para) == (0x20, 0x02):
            frame = encode_response(0, 0, 0x90, bytes(8)) if text else encode_response(0, 0, 0x81)
        elif (cmd, para) == (0x30, 0x01):
            if text:
                data = (256).to_bytes(2, "big") + (1024).to_bytes(2, "big") + text + PHOTO
                frame = encode_response(0, 0, 0x90, data)
            else:
                frame = encode_response(0, 0, 0x41)
        else:
            frame = encode_response(0, 0, 0x21)
        if fault == "silent":
            return
        if fault == "checksum":
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        elif fault == "partial":
            frame = frame[: len(frame) // 2]
        elif fault == "noise":
            frame = b"\x00\x13\xaa\x96" + frame
        self._send(frame)

    def _send(self, frame: bytes) -> None:
        view = memoryview(frame)
        while view:
            n = os.write(self._master, view)
            view = view[n:]
