"""``passkiosk verify --data`` on an index that rotted after the sync checked it: the command
says so and exits 2 (spec §7: an unreadable file); it does not call a good code malformed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.cli import main
from sync import KioskLists, open_index_file
from tests.codes import helpers as h
from tests.sync.datafolder import make_data_folder


def _rot_the_tokens_bucket_of(data: Path, key: bytes) -> None:
    """Damage the token directory entry that ends ``key``'s bucket, in place, keeping the
    file's identity (inode, size, mtime), so the kiosk still takes the file as checked."""
    path = KioskLists(data).revocations.path
    st = os.stat(path)
    with open_index_file(path) as index:
        lay = index.layouts[0]  # sections in the order token, subject, card
    at = lay.dir_off + (((key[0] << 8) | key[1]) + 1) * 4
    with open(path, "r+b") as f:
        f.seek(at)
        f.write((lay.count + 1).to_bytes(4, "little"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_verify_data_on_a_rotted_index_exits_2_and_names_the_damage(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "k"
    token = make_data_folder(data)
    assert main(["verify", "--data", str(data), token]) == 0
    assert '"outcome": "pass"' in capsys.readouterr().out
    _rot_the_tokens_bucket_of(data, h.CTI)
    assert main(["verify", "--data", str(data), token]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "bucket 0x0001 of the token directory" in err
