"""One publisher at a time, whichever host its timer runs on.

``passkiosk service publish`` may be started by a timer on several hosts at once (so that losing
one host does not stop list publishing). Exactly one of them may cut a list version and sign
metadata; the others find the lock taken and skip this round, since the winner publishes
everything pending anyway.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on the database every
  host shares. It is released when the publisher ends or its connection drops (a killed
  publisher never leaves a stale lock behind).
- SQLite (one machine): an ``fcntl`` lock on ``<data>/publish.lock``, likewise released by the
  kernel when the process ends.

Neither lock replaces ``TufRepository.locked()``, which serialises every writer of the
repository files (publish, rotate-key) on the host that holds them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

LOCK_FILE = "publish.lock"
# A fixed 63-bit key of our own, so the lock cannot collide with another application's.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"passkiosk/publish").digest()[:8], "big") >> 1


class _Cursor(Protocol):
    def fetchone(self) -> Sequence[Any] | None: ...


class PgConnection(Protocol):
    """The part of a psycopg 3 connection the lock uses (autocommit or not: session locks
    outlive transactions)."""

    def execute(self, query: str, params: Sequence[object] = ...) -> _Cursor: ...


@contextlib.contextmanager
def file_publish_lock(data_dir: Path) -> Iterator[bool]:
    """Yield True while holding the publish lock of a data folder, False if another process
    holds it (nothing waits)."""
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def pg_publish_lock(conn: PgConnection, key: int = ADVISORY_KEY) -> Iterator[bool]:
    """Yield True while holding the PostgreSQL advisory publish lock, False if another session
    holds it."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    acquired = bool(row and row[0])
    try:
        yield acquired
    finally:
        if acquired:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


__all__ = ["ADVISORY_KEY", "LOCK_FILE", "PgConnection", "file_publish_lock", "pg_publish_lock"]
