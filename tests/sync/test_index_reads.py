"""The kiosk reads its revocation index with pread: lookups map nothing of the file into the
process (its pages stay in the kernel's page cache, out of the resident set), a file cut short
under an open index is an error rather than a SIGBUS, and the verifier holds exactly the file it
uses. Read from the kernel's own accounting (/proc/self/smaps, /proc/self/fd), not inferred."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from codes import EntryKind, RevocationEntry
from readers import CardPresented
from sync._revfile import RevocationFileError, build_index_file, open_index_file
from sync._verifier import SyncedVerifier
from tests.sync.datafolder import make_data_folder

pytestmark = pytest.mark.skipif(not Path("/proc/self/smaps").exists(),
                                reason="needs Linux /proc/self/smaps")


def mapped_kib(path: Path) -> int | None:
    """Resident KiB of every mapping of ``path`` in this process; None if it is not mapped."""
    total, inside, seen = 0, False, False
    target = str(path.resolve())
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5:
                inside = line.rstrip("\n").endswith(target)
                seen = seen or inside
            elif inside and head[:1] == ["Rss:"]:
                total += int(head[1])
    return total if seen else None


def open_fds(folder: Path, *, deleted: bool) -> int:
    """Open index files of this process under ``folder`` (unlinked ones or live ones); other
    tests' indexes, open until they are collected, are not counted."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed since the listing
            continue
        if (link.startswith(str(folder.resolve())) and "revocations.pkridx" in link
                and link.endswith("(deleted)") == deleted):
            count += 1
    return count


def token_index(path: Path) -> list[bytes]:
    keys = [i.to_bytes(16, "big") for i in range(0, 600_000, 3)]
    build_index_file(path, (RevocationEntry(EntryKind.TOKEN, k) for k in keys), version=1)
    return keys


def test_lookups_map_nothing_of_the_index_file(tmp_path: Path) -> None:
    path = tmp_path / "rev.idx"
    keys = token_index(path)
    with open_index_file(path) as index:
        index.check_body()  # reads every byte of the ~2.8 MB file
        hits = sum(index.token_revoked(k) for k in keys[::50])
        assert hits == len(keys[::50]) and not index.token_revoked(b"\xff" * 16)
        assert mapped_kib(path) is None
    # The same reads through a map leave the file's pages in the resident set: what the
    # check above would see if lookups mapped the file.
    with open_index_file(path, mapped=True) as index:
        index.check_body()
        assert (mapped_kib(path) or 0) > 2000
        assert index.token_revoked(keys[1234])


def test_a_file_cut_short_under_an_open_index_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "rev.idx"
    keys = token_index(path)
    with open_index_file(path) as index:
        assert index.token_revoked(keys[-1])
        os.truncate(path, path.stat().st_size // 2)  # the last keys are gone
        with pytest.raises(RevocationFileError, match="changed while open: expected"):
            index.token_revoked(keys[-1])
        assert index.token_revoked(keys[0])  # the part still there answers


def test_verifier_reads_the_index_without_mapping_it(tmp_path: Path) -> None:
    make_data_folder(tmp_path / "k", entries=1000)
    index_path = tmp_path / "k" / "lists" / "revocation" / "revocations.pkridx"
    assert open_fds(tmp_path, deleted=False) == 0
    v = SyncedVerifier(tmp_path / "k", clock=lambda: int(time.time()))
    try:
        # Opened (directories read) when the verifier is made, before any check.
        assert open_fds(tmp_path, deleted=False) == 1
        for serial in range(40):
            v.check_card(CardPresented(serial=f"{serial:016X}"))
        assert mapped_kib(index_path) is None
    finally:
        v.close()
    assert open_fds(tmp_path, deleted=False) == 0
    broken = SyncedVerifier(tmp_path / "absent", clock=lambda: int(time.time()))
    broken.close()  # nothing to open: made all the same, the checks report it


def test_replaced_index_is_closed_after_the_check_that_saw_the_swap(tmp_path: Path) -> None:
    from codes.wire import encode_header, encode_records
    from sync._kiosklists import KioskLists

    make_data_folder(tmp_path / "k", entries=1000)
    card = CardPresented(serial="0123456789ABCDEF")
    v = SyncedVerifier(tmp_path / "k", clock=lambda: int(time.time()))
    try:
        v.check_card(card)
        assert open_fds(tmp_path, deleted=True) == 0
        wire = tmp_path / "full.pkrl"
        rows = [(0, 3, i.to_bytes(16, "big"), 0) for i in range(1, 50)]
        wire.write_bytes(encode_header("full", 0, 6, len(rows)) + encode_records(rows))
        KioskLists(tmp_path / "k").revocations.install_full(wire, expect_version=6)
        assert open_fds(tmp_path, deleted=True) == 1  # still open in the verifier
        v.check_card(card)  # sees the swap, opens the new file, closes the old one aside
        deadline = time.monotonic() + 10
        while open_fds(tmp_path, deleted=True) and time.monotonic() < deadline:
            time.sleep(0.01)  # the close runs on its own thread; bounded wait for it
        assert open_fds(tmp_path, deleted=True) == 0
        assert open_fds(tmp_path, deleted=False) == 1
    finally:
        v.close()
