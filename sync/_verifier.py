"""The kiosk's verifier over its synced lists (the gate's ``Verifier``: check_code, check_card,
check_id), following the lists as background syncs replace them.

Each check looks at the list files' identity (inode and mtime) first; after a sync swapped them
in (atomic renames, new inodes) the next check reopens them, so a running kiosk uses a new list
version without a restart. Lookups go through the stale-data policy (``sync._lists``); token
checks do not (a token carries its own signed status and expiry), and the caller shows the age
from :meth:`SyncedVerifier.state`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

# The kiosk reads HC1 codes too: their reader (X.509, cbor2) loads with the verifier, not when
# the first HC1 code is shown (``codes.verify`` imports it on first use).
import codes._hc1  # noqa: F401
from codes import (
    DeviceError,
    RevocationIndex,
    TokenError,
    TrustStore,
    Verdict,
    lookup_card,
    lookup_id,
    verify,
)
from sync._kiosklists import KioskLists
from sync._lists import DEFAULT_MAX_AGE, ListState, apply_stale_policy


class PresentedCard(Protocol):
    """What a card reader reports (``readers.CardPresented`` has these fields)."""

    @property
    def serial(self) -> str | None: ...

    @property
    def id18(self) -> str | None: ...


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def _close_aside(index: RevocationIndex) -> None:
    """Close a replaced index on a short-lived thread, off the check that noticed the swap.

    After a sync swapped the file, this index holds the last open file of the old, unlinked one,
    so closing it frees that file's page cache: ~45 ms for a 10 M-entry index, which would
    otherwise be paid by the first card check after every list update.
    """
    threading.Thread(target=index.close, name="revocation-index-close", daemon=True).start()


class SyncedVerifier:
    """Verdicts from a kiosk data folder's synced trust and revocation lists.

    ``clock`` gives the time to judge at (the kiosk's trusted clock, epoch seconds);
    ``max_age`` is the site's stale limit (``SiteConfig.stale_after_s``). The index is read with
    ``pread`` (``sync.open_index_file``), so its pages stay in the page cache, out of the
    kiosk's resident memory, however many checks it answers.
    """

    def __init__(self, data_dir: Path, *, clock: Callable[[], int],
                 max_age: int = DEFAULT_MAX_AGE) -> None:
        self._lists = KioskLists(data_dir)
        self._trust_path = self._lists.lists_dir / "trust-list.json"
        self._clock = clock
        self._max_age = max_age
        self._lock = threading.Lock()
        self._seen: tuple[object, object] | None = None
        self._trust = TrustStore()
        self._index: RevocationIndex | None = None
        # Open the lists now (a few ms), so the first card check after a start costs what any
        # other does; if they cannot be read, the first check raises as it would have.
        with contextlib.suppress(DeviceError, TokenError), self._lock:
            self._current()

    def _current(self) -> tuple[TrustStore, RevocationIndex, ListState]:
        """The lists, reopened if a sync replaced them since the last check (lock held)."""
        seen = (_identity(self._trust_path), _identity(self._lists.revocations.path))
        if seen != self._seen or self._index is None:
            # A kiosk that never synced has no trust list: every code is then unknown_key and
            # every lookup stale_data, which is the truth.
            trust = self._lists.trust_store() if seen[0] is not None else TrustStore()
            index = self._lists.revocations.open()
            old, self._index = self._index, index
            self._trust, self._seen = trust, seen
            if old is not None:
                _close_aside(old)
        return self._trust, self._index, self._lists.state()

    def state(self) -> ListState:
        """The list state now (versions, verification time, last error), for the age shown."""
        with self._lock:
            return self._lists.state()

    def check_code(self, text: str) -> Verdict:
        with self._lock:
            trust, index, _ = self._current()
            return verify(text, trust, index, self._clock())

    def check_card(self, card: PresentedCard) -> Verdict:
        with self._lock:
            _, index, state = self._current()
            now = self._clock()
            if card.id18 is not None:  # a GA/T 467 SAM reader gave the ID number itself
                v = lookup_id(card.id18, index, now)
            else:
                v = lookup_card(card.serial or "", index, now)
            return apply_stale_policy(v, state, now, self._max_age)

    def check_id(self, id18: str) -> Verdict:
        with self._lock:
            _, index, state = self._current()
            now = self._clock()
            return apply_stale_policy(lookup_id(id18, index, now), state, now, self._max_age)

    def close(self) -> None:
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None


__all__ = ["PresentedCard", "SyncedVerifier"]
