"""The index CRC is checked once when the sync installs a file, not again when it is opened.

Whether an open read the whole file is observed through damage: a byte of the body is flipped
with the file's size and mtime kept, so only a CRC check can notice it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codes import EntryKind, RevocationIndexError, Severity
from codes.wire import encode_header, encode_records
from sync._revfile import FileIdentity, open_index_file, verify_index_file
from sync._revstate import RevocationState

T, S = EntryKind.TOKEN, EntryKind.SUBJECT


def key(i: int) -> bytes:
    return i.to_bytes(4, "big") * 4


def full_file(path: Path, version: int, n: int) -> Path:
    rows = sorted([(int(T), int(Severity.REVOKED), key(i), 0) for i in range(n)]
                  + [(int(S), int(Severity.RED), key(i), 100 + i) for i in range(n)])
    path.write_bytes(encode_header("full", 0, version, len(rows)) + encode_records(rows))
    return path


def delta_file(path: Path, base: int, version: int, first: int, n: int) -> Path:
    rows = [(int(T), int(Severity.REVOKED), key(i), 0) for i in range(first, first + n)]
    path.write_bytes(encode_header("delta", base, version, len(rows)) + encode_records(rows))
    return path


def damage_keeping_identity(path: Path) -> None:
    """Flip the last body byte; size and mtime stay as they were."""
    st = os.stat(path)
    with open(path, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        b = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([b[0] ^ 0x01]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_installed_file_opens_without_a_second_crc_read(tmp_path: Path) -> None:
    state = RevocationState(tmp_path / "rev")
    state.install_full(full_file(tmp_path / "f.pkrl", 3, 50), expect_version=3)
    assert state.checked_path.exists()
    damage_keeping_identity(state.path)
    # The identity matches what the sync checked: the open trusts that check...
    with state.open() as index:
        assert index.version == 3 and index.token_revoked(key(7))
    # ...while the same damaged file without that record is caught on open.
    state.checked_path.unlink()
    with pytest.raises(RevocationIndexError, match="CRC"):
        state.open()


def test_a_file_not_installed_by_the_sync_is_checked_on_open(tmp_path: Path) -> None:
    state = RevocationState(tmp_path / "rev")
    state.install_full(full_file(tmp_path / "f.pkrl", 3, 50), expect_version=3)
    # A copy put in place by hand is a new inode: the recorded identity does not cover it.
    data = bytearray(state.path.read_bytes())
    data[-1] ^= 0x01
    tmp = state.path.with_name("copy")
    tmp.write_bytes(bytes(data))
    os.replace(tmp, state.path)
    with pytest.raises(RevocationIndexError, match="CRC"):
        state.open()


def test_delta_install_records_the_new_file(tmp_path: Path) -> None:
    state = RevocationState(tmp_path / "rev")
    state.install_full(full_file(tmp_path / "f.pkrl", 3, 20), expect_version=3)
    before = state.checked_path.read_text()
    state.apply_delta(delta_file(tmp_path / "d.pkrl", 3, 4, 1000, 5), expect_version=4)
    after = FileIdentity.from_text(state.checked_path.read_text())
    assert after is not None and state.checked_path.read_text() != before
    assert after == verify_index_file(state.path)
    with state.open() as index:
        assert index.version == 4 and index.token_revoked(key(1002))


@pytest.mark.parametrize("text", ["", "garbage", "1 2 3 4", "1 2 3 4 zz", "x" * 300])
def test_an_unreadable_record_means_check_on_open(tmp_path: Path, text: str) -> None:
    state = RevocationState(tmp_path / "rev")
    state.install_full(full_file(tmp_path / "f.pkrl", 3, 20), expect_version=3)
    damage_keeping_identity(state.path)
    state.checked_path.write_text(text)
    with pytest.raises(RevocationIndexError, match="CRC"):
        state.open()


def test_verify_index_file_refuses_a_damaged_file(tmp_path: Path) -> None:
    state = RevocationState(tmp_path / "rev")
    state.install_full(full_file(tmp_path / "f.pkrl", 3, 20), expect_version=3)
    identity = verify_index_file(state.path)
    damage_keeping_identity(state.path)
    with pytest.raises(RevocationIndexError, match="CRC"):
        verify_index_file(state.path)
    # open_index_file with the identity skips the read; without it, it does not.
    open_index_file(state.path, checked=identity).close()
    with pytest.raises(RevocationIndexError, match="CRC"):
        open_index_file(state.path)
