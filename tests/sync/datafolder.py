"""A synced kiosk data folder made without a service: trust list, list state and a revocation
index installed the way the sync installs them (``RevocationState.install_full``)."""

from __future__ import annotations

import time
from pathlib import Path

from codes import EntryKind, Severity, subject_hash
from codes.wire import encode_header, encode_records
from sync._kiosklists import KioskLists
from sync._lists import ListState
from sync._store import Store
from tests.codes import helpers as h

LISTED_ID = "110105198001010016"  # a valid GB 11643 number


def make_data_folder(data: Path, *, entries: int = 1000, version: int = 5) -> str:
    """Fill ``data``; return a PK1 token from the trusted key, valid now (kiosk clock)."""
    now = int(time.time())
    lists = KioskLists(data)
    lists.lists_dir.mkdir(parents=True, exist_ok=True)
    key = h.entry(h.ED_KEY, not_before=now - 10**6, not_after=now + 10**7)
    (lists.lists_dir / "trust-list.json").write_bytes(h.trust_json([key]))
    rows = sorted({(int(EntryKind.TOKEN), int(Severity.REVOKED), i.to_bytes(16, "big"), 0)
                   for i in range(1, entries + 1)}
                  | {(int(EntryKind.SUBJECT), int(Severity.RED),
                      subject_hash(LISTED_ID), 1_000_000)},
                  key=lambda r: (r[0], r[2]))
    wire = data / "full.pkrl"
    wire.write_bytes(encode_header("full", 0, version, len(rows)) + encode_records(rows))
    lists.revocations.install_full(wire, expect_version=version)
    wire.unlink()
    lists.save_state(ListState(revocation_version=version, verified_at=now,
                               last_attempt_at=now, token_entries=entries, subject_entries=1))
    with Store(data):
        pass  # the kiosk's store (site config, trusted clock) exists after a first start
    return h.token(iat=now - 60, exp=now + 3600)
