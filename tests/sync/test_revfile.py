"""Revocation index files on a real filesystem: atomic write, mmap open, delta by swap, crashes."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codes import (
    DeviceError,
    EntryKind,
    RevocationEntry,
    RevocationIndexError,
    Severity,
    StatusEntry,
    TokenError,
)
from codes.indexing import Put, Remove, RemoveKey, encode_entries
from sync._revfile import (
    RevocationFileError,
    apply_delta_file,
    build_index_file,
    open_index_file,
    write_index_file,
)

ROOT = Path(__file__).resolve().parents[2]
T, S, C = EntryKind.TOKEN, EntryKind.SUBJECT, EntryKind.CARD


def key(i: int) -> bytes:
    return i.to_bytes(4, "big") * 4


ENTRIES = [RevocationEntry(T, key(i)) for i in range(0, 300, 3)] + [
    RevocationEntry(S, key(i), Severity.RED if i % 2 else Severity.YELLOW, 1000 + i)
    for i in range(0, 300, 2)
] + [RevocationEntry(C, key(i), Severity.RED, 7) for i in range(100, 200)]


def temps(directory: Path) -> list[str]:
    return [n for n in os.listdir(directory) if ".tmp-" in n]


def test_write_open_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "revocation.idx"
    build_index_file(path, ENTRIES, version=41)
    assert temps(tmp_path) == []
    with open_index_file(path) as index:
        assert index.version == 41
        assert len(index) == len(ENTRIES)
        assert index.token_revoked(key(3)) and not index.token_revoked(key(4))
        assert index.subject_entries(key(4)) == (StatusEntry(Severity.YELLOW, 1004),)
        assert index.card_entries(key(150)) == (StatusEntry(Severity.RED, 7),)
        assert index.card_entries(key(99)) == ()
    with pytest.raises(DeviceError, match="after close"):
        index.token_revoked(key(3))


def test_missing_file_and_unwritable_place_are_device_errors(tmp_path: Path) -> None:
    with pytest.raises(RevocationFileError, match="opening"):
        open_index_file(tmp_path / "absent.idx")
    with pytest.raises(RevocationFileError, match="writing"):
        write_index_file(tmp_path / "no" / "such" / "dir.idx", encode_entries([]))


@pytest.mark.parametrize(("damage", "message"), [
    (lambda b: b"", "truncated"),
    (lambda b: b[:40], "truncated"),
    (lambda b: b[:-8], "truncated or padded"),
    (lambda b: b + b"\0" * 8, "truncated or padded"),
    (lambda b: b"GARBAGE!" + b[8:], "magic"),
])
def test_damaged_file_is_a_token_error_with_a_clear_message(
        tmp_path: Path, damage: object, message: str) -> None:
    path = tmp_path / "revocation.idx"
    build_index_file(path, ENTRIES)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with pytest.raises(RevocationIndexError, match=message) as info:
        open_index_file(path)
    assert isinstance(info.value, TokenError)


def test_flipped_bit_is_caught_by_the_crc_on_open_and_before_a_delta(tmp_path: Path) -> None:
    path = tmp_path / "revocation.idx"
    build_index_file(path, ENTRIES)
    with open_index_file(path) as index:
        aim = index.layouts[0].keys_off + 5  # a token key byte: structure stays valid
    data = bytearray(path.read_bytes())
    data[aim] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(RevocationIndexError, match="CRC-32"):
        open_index_file(path)
    open_index_file(path, verify=False).close()  # structure alone is still fine
    with pytest.raises(RevocationIndexError, match="CRC-32"):
        apply_delta_file(path, [Put(RevocationEntry(T, key(1)))])
    assert path.read_bytes() == bytes(data)  # a damaged index is not carried forward
    assert temps(tmp_path) == []


def test_damaged_bucket_found_at_lookup_when_the_crc_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "revocation.idx"
    build_index_file(path, ENTRIES)
    with open_index_file(path) as index:
        lay = index.layouts[2]
    b = (key(150)[0] << 8) | key(150)[1]
    data = bytearray(path.read_bytes())
    at = lay.dir_off + (b + 1) * 4  # the end of the card bucket key(150) is in
    data[at:at + 4] = (lay.count + 1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(RevocationIndexError, match="CRC-32"):
        open_index_file(path)
    with open_index_file(path, verify=False) as index:  # e.g. a file checked before it rotted
        assert index.token_revoked(key(3))
        with pytest.raises(RevocationIndexError, match=f"bucket {b:#06x} of the card directory"
                           ) as info:
            index.card_entries(key(150))
        assert isinstance(info.value, TokenError)


def test_apply_delta_swaps_atomically_and_old_readers_keep_the_old_version(
        tmp_path: Path) -> None:
    path = tmp_path / "revocation.idx"
    build_index_file(path, ENTRIES, version=1)
    old = open_index_file(path)
    ops = [Put(RevocationEntry(T, key(1))), RemoveKey(T, key(3)),
           Put(RevocationEntry(S, key(4), Severity.RED, 2000)), Remove(S, key(6), 1006),
           RemoveKey(C, key(150))]
    new = apply_delta_file(path, ops, version=2)
    try:
        assert (new.version, old.version) == (2, 1)
        assert new.token_revoked(key(1)) and not new.token_revoked(key(3))
        assert new.subject_entries(key(4)) == (StatusEntry(Severity.YELLOW, 1004),
                                               StatusEntry(Severity.RED, 2000))
        assert new.subject_entries(key(6)) == ()
        assert new.card_entries(key(150)) == ()
        # The reader opened before the swap still sees the previous version, whole.
        assert old.token_revoked(key(3)) and not old.token_revoked(key(1))
        assert old.card_entries(key(150)) == (StatusEntry(Severity.RED, 7),)
    finally:
        new.close()
        old.close()
    with open_index_file(path) as reopened:
        assert reopened.version == 2
    assert temps(tmp_path) == []


def test_stale_temp_of_a_dead_writer_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "revocation.idx"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          check=True, capture_output=True, text=True)
    stale = tmp_path / f".revocation.idx.tmp-{int(dead.stdout)}-deadbeef"
    stale.write_bytes(b"half a file")
    other = tmp_path / ".other.idx.tmp-1-00000000"
    other.write_bytes(b"not ours")
    build_index_file(path, ENTRIES)
    assert not stale.exists()
    assert other.exists()


# -- crash safety: a real process killed (SIGKILL) in the middle of apply_delta_file ---------

CHILD = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, sys.argv[4])
    from tests.codes.revdelta import parse_delta
    from sync import _revfile

    path, stage, delta = sys.argv[1], sys.argv[2], sys.argv[3]

    def stop_here():
        sys.stdout.write("ready\\n")
        sys.stdout.flush()
        sys.stdin.read()  # wait for SIGKILL (the parent never writes)

    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        # The temporary file holds the new bytes but is neither durable nor renamed yet.
        if stage == "mid-write":
            stop_here()
        real_fsync(fd)

    def replace(src, dst):
        if stage == "before-rename":
            stop_here()
        real_replace(src, dst)
        if stage == "after-rename":
            stop_here()

    os.fsync, os.replace = fsync, replace
    with open(delta, "rb") as f:
        _revfile.apply_delta_file(path, parse_delta(f.read()), version=2).close()
    sys.stdout.write("finished\\n")
""")


@pytest.mark.parametrize("stage", ["mid-write", "before-rename", "after-rename"])
def test_kill_during_apply_leaves_old_or_new_version_whole(tmp_path: Path, stage: str) -> None:
    path = tmp_path / "revocation.idx"
    build_index_file(path, ENTRIES, version=1)
    before = path.read_bytes()
    delta = tmp_path / "delta.jsonl"
    delta.write_text(f'{{"type": "token", "id": "{key(1).hex()}"}}\n'
                     f'{{"op": "remove_key", "type": "subject", "sh": "{key(4).hex()}"}}\n')
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), stage, str(delta),
                             str(ROOT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready, "child did not reach the crash point"
        assert proc.stdout.readline() == b"ready\n"
        proc.kill()
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -9
    if stage == "after-rename":
        with open_index_file(path) as index:  # the new version, whole
            assert index.version == 2
            assert index.token_revoked(key(1)) and index.subject_entries(key(4)) == ()
    else:
        assert path.read_bytes() == before  # the old version, byte for byte
        with open_index_file(path) as index:
            assert index.version == 1
        if stage == "mid-write":
            assert len(temps(tmp_path)) == 1  # the dead writer's half-written temp
    # The next writer carries on and sweeps the dead one's temp away.
    apply_delta_file(path, [Put(RevocationEntry(T, key(2)))], version=3).close()
    assert temps(tmp_path) == []
    with open_index_file(path) as index:
        assert index.version == 3 and index.token_revoked(key(2))
