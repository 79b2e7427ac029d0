"""``passkiosk card`` end to end: a real pcscd, the virtual card, the command in a subprocess."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from tests.readers.vcard import IdCardOS, Pcscd, VirtualCard
from tests.readers.vcard.fixtures import pcscd, running_pcscd

pytestmark = pytest.mark.pcsc
__all__ = ["pcscd", "running_pcscd"]  # fixtures used by name

CMD = [sys.executable, "-m", "kiosk.cli", "card"]


def test_card_once_prints_serial_and_card_hash(running_pcscd: Pcscd) -> None:
    card = VirtualCard(IdCardOS(serial=bytes.fromhex("0a1b2c3d4e5f6071")))
    card.insert()
    try:
        done = subprocess.run(
            [*CMD, "--once", "--timeout", "20"], capture_output=True, text=True, timeout=60
        )
    finally:
        card.remove()
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    # PK1 spec §5, computed here independently of codes/.
    ch = hashlib.scrypt(b"0A1B2C3D4E5F6071", salt=b"PK1/card/v1", n=2**14, r=8, p=1, dklen=16)
    assert out == {"serial": "0A1B2C3D4E5F6071", "ch": ch.hex(), "reader": "Virtual PCD 00 00"}


def test_card_once_exits_1_on_timeout(running_pcscd: Pcscd) -> None:
    done = subprocess.run(
        [*CMD, "--once", "--timeout", "1"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no card within 1 s" in done.stderr


@pytest.mark.parametrize("bad", ["0", "-3", "abc", "1e9"])
def test_card_rejects_a_bad_timeout(bad: str) -> None:
    done = subprocess.run([*CMD, "--timeout", bad], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--timeout" in done.stderr


def test_card_without_once_prints_each_card_until_the_timeout(running_pcscd: Pcscd) -> None:
    card = VirtualCard(IdCardOS(serial=bytes.fromhex("1122334455667788")))
    card.insert()
    try:
        done = subprocess.run([*CMD, "--timeout", "3"], capture_output=True, text=True, timeout=60)
    finally:
        card.remove()
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["serial"] for line in lines] == ["1122334455667788"]  # reported once
    assert "readers ok" in done.stderr
