"""Index pages touched by lookups are released from the process (resident memory), while the
index keeps answering; the verifier does it every ``trim_every`` checks. Read from the kernel's
own accounting (/proc/self/smaps), not inferred."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from codes import EntryKind, RevocationEntry, RevocationIndex
from readers import CardPresented
from sync._revfile import build_index_file, open_index_file, release_pages
from sync._verifier import SyncedVerifier
from tests.sync.datafolder import make_data_folder

pytestmark = pytest.mark.skipif(not Path("/proc/self/smaps").exists(),
                                reason="needs Linux /proc/self/smaps")


def mapped_kib(path: Path) -> int:
    """Resident KiB of every mapping of ``path`` in this process."""
    total, inside = 0, False
    target = str(path.resolve())
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5:
                inside = line.rstrip("\n").endswith(target)
            elif inside and head[:1] == ["Rss:"]:
                total += int(head[1])
    return total


def test_release_pages_drops_touched_pages_and_lookups_still_answer(tmp_path: Path) -> None:
    path = tmp_path / "rev.idx"
    keys = [i.to_bytes(16, "big") for i in range(0, 600_000, 3)]
    build_index_file(path, (RevocationEntry(EntryKind.TOKEN, k) for k in keys), version=1)
    with open_index_file(path, verify=False) as index:
        index.check_body()  # reads every page through the map
        before = mapped_kib(path)
        assert before > 2000  # ~2.8 MB of keys
        release_pages(index)
        assert mapped_kib(path) < before // 10
        assert index.token_revoked(keys[1234]) and not index.token_revoked(b"\xff" * 16)
    release_pages(index)  # closed: nothing to do, no error
    release_pages(RevocationIndex(path.read_bytes()))  # over bytes: nothing to do


@pytest.mark.parametrize("trim_every, released", [(3, True), (1000, False)])
def test_verifier_releases_every_trim_every_checks(tmp_path: Path, trim_every: int,
                                                   released: bool) -> None:
    make_data_folder(tmp_path / "k", entries=1000)
    index_path = tmp_path / "k" / "lists" / "revocation" / "revocations.pkridx"
    card = CardPresented(serial="0123456789ABCDEF")
    v = SyncedVerifier(tmp_path / "k", clock=lambda: int(time.time()), trim_every=trim_every)
    try:
        v.check_card(card)
        # Opening read the three 256 KiB bucket directories through the map.
        opened = mapped_kib(index_path)
        assert opened >= 700
        v.check_card(card)
        v.check_card(card)  # the third check releases first, then looks up (a page or two)
        after = mapped_kib(index_path)
        assert (after < 100) if released else (after >= opened)
    finally:
        v.close()


def deleted_maps(name: str) -> int:
    with open("/proc/self/maps") as f:
        return sum(1 for line in f if name in line and line.rstrip().endswith("(deleted)"))


def test_replaced_index_is_unmapped_after_the_check_that_saw_the_swap(tmp_path: Path) -> None:
    from codes.wire import encode_header, encode_records
    from sync._kiosklists import KioskLists

    make_data_folder(tmp_path / "k", entries=1000)
    card = CardPresented(serial="0123456789ABCDEF")
    v = SyncedVerifier(tmp_path / "k", clock=lambda: int(time.time()))
    try:
        v.check_card(card)
        assert deleted_maps("revocations.pkridx") == 0
        wire = tmp_path / "full.pkrl"
        rows = [(0, 3, i.to_bytes(16, "big"), 0) for i in range(1, 50)]
        wire.write_bytes(encode_header("full", 0, 6, len(rows)) + encode_records(rows))
        KioskLists(tmp_path / "k").revocations.install_full(wire, expect_version=6)
        assert deleted_maps("revocations.pkridx") == 1  # still mapped by the verifier
        v.check_card(card)  # sees the swap, opens the new file, closes the old one aside
        deadline = time.monotonic() + 10
        while deleted_maps("revocations.pkridx") and time.monotonic() < deadline:
            time.sleep(0.01)  # the close runs on its own thread; bounded wait for it
        assert deleted_maps("revocations.pkridx") == 0
    finally:
        v.close()


def test_lists_are_opened_when_the_verifier_is_made(tmp_path: Path) -> None:
    make_data_folder(tmp_path / "k", entries=1000)
    index_path = tmp_path / "k" / "lists" / "revocation" / "revocations.pkridx"
    assert mapped_kib(index_path) == 0
    v = SyncedVerifier(tmp_path / "k", clock=lambda: int(time.time()))
    try:
        assert mapped_kib(index_path) >= 700  # opened (directories read) before any check
    finally:
        v.close()
    broken = SyncedVerifier(tmp_path / "absent", clock=lambda: int(time.time()))
    broken.close()  # nothing to open: made all the same, the checks report it
