"""The service's side of entry-record upload: enrolled kiosk keys and received records.

One SQLite file, ``uploads.sqlite3``, in the service data folder:

- ``kiosks``: enrolled kiosks' Ed25519 public keys, by key id.
- ``received``: every record ever received, keyed by ``record_id``. Uploads are at-least-once
  (a kiosk re-sends a batch whose answer it never saw); the primary key makes the second copy
  a no-op, so nothing is doubled.
- ``nonces``: request nonces seen within the timestamp window, so a captured request cannot
  be replayed.

This module has no web framework in it (``_upload_api`` adds the HTTP route), so admin commands
such as ``enroll-kiosk`` stay light.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from codes import DeviceError
from codes.wire import (
    MAX_SKEW_S,
    ROW_COLUMNS,
    EntryRecord,
    RecordError,
    check_free_text,
    key_id_of,
    parse_public_key,
    record_from_row,
    record_id_blob,
    record_to_row,
    row_from_text_row,
)
from service._files import connect_private, private_folder


class LedgerError(DeviceError):
    """The service's upload ledger cannot do what was asked."""


LEDGER_FILE = "uploads.sqlite3"
_T = TypeVar("_T")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS kiosks (
        key_id      TEXT PRIMARY KEY,
        public_key  BLOB NOT NULL,
        label       TEXT NOT NULL,
        enrolled_at INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS received (
        record_id    BLOB PRIMARY KEY,
        key_id       TEXT NOT NULL,
        received_at  INTEGER NOT NULL,
        at           INTEGER NOT NULL,
        site         TEXT NOT NULL,
        gate         TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        reason       TEXT NOT NULL,
        format       TEXT NOT NULL,
        subject_hash BLOB,
        token_id     BLOB
    )""",
    """CREATE TABLE IF NOT EXISTS nonces (
        nonce   TEXT PRIMARY KEY,
        seen_at INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS nonces_age ON nonces (seen_at)",
)


_SCHEMA_VERSION = 1  # record ids and hashes stored as blobs (before: text)
_COLS = ", ".join(ROW_COLUMNS)


def _migrate_text_ids(c: sqlite3.Connection) -> None:
    """The first ledgers kept record ids and hashes as text; rewrite them as blobs."""
    c.execute("ALTER TABLE received RENAME TO received_text")
    c.execute(_SCHEMA[1])
    cur = c.execute(f"SELECT {_COLS}, key_id, received_at FROM received_text")
    while rows := cur.fetchmany(1000):
        c.executemany(
            f"INSERT INTO received ({_COLS}, key_id, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [row_from_text_row(tuple(r)) for r in rows])
    c.execute("DROP TABLE received_text")


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    received: int
    new: int

    @property
    def duplicates(self) -> int:
        return self.received - self.new


class UploadLedger:
    """The service's upload database. One connection, guarded by a lock (the web handler calls
    it from worker threads)."""

    def __init__(self, service_data_dir: Path | str) -> None:
        folder = Path(service_data_dir)
        try:
            private_folder(folder)
            self.path = folder / LEDGER_FILE
            self._conn = connect_private(self.path, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            with self._conn:
                self._conn.execute("BEGIN IMMEDIATE")
                version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
                if version == 0 and self._conn.execute(
                        "SELECT 1 FROM sqlite_master WHERE name = 'received'").fetchone():
                    _migrate_text_ids(self._conn)
                for stmt in _SCHEMA:
                    self._conn.execute(stmt)
                self._conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        except (OSError, sqlite3.Error, RecordError) as e:
            raise LedgerError(f"upload ledger in {folder}: expected a usable database, got {e}") \
                from e
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> UploadLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    out = fn(self._conn)
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                raise LedgerError(f"{self.path}: write failed: {e}") from e
            return out

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, tuple(params)).fetchall())
            except sqlite3.Error as e:
                raise LedgerError(f"{self.path}: read failed: {e}") from e

    # -- kiosks ---------------------------------------------------------------------------

    def enroll(self, public_key_text: str, label: str = "kiosk", now: int | None = None) -> str:
        raw = parse_public_key(public_key_text)
        check_free_text("kiosk label", label)
        kid = key_id_of(raw)
        at = int(time.time()) if now is None else now

        def tx(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT INTO kiosks (key_id, public_key, label, enrolled_at) VALUES (?,?,?,?) "
                "ON CONFLICT(key_id) DO UPDATE SET label = excluded.label",
                (kid, raw, label, at),
            )

        self._write(tx)
        return kid

    def public_key(self, key_id: str) -> bytes | None:
        rows = self._read("SELECT public_key FROM kiosks WHERE key_id = ?", (key_id,))
        if not rows:
            return None
        value = rows[0][0]
        if not isinstance(value, bytes):
            raise LedgerError(f"{self.path}: expected a key blob, got {type(value).__name__}")
        return value

    def enrolled_key_ids(self) -> list[str]:
        return [str(r[0]) for r in self._read("SELECT key_id FROM kiosks ORDER BY key_id")]

    # -- replay protection ----------------------------------------------------------------

    def use_nonce(self, nonce: str, now: int) -> bool:
        """Record a nonce; False when it was already used inside the window (a replay)."""

        def tx(c: sqlite3.Connection) -> bool:
            # Older than twice the skew window: any request carrying it is already stale.
            c.execute("DELETE FROM nonces WHERE seen_at < ?", (now - 2 * MAX_SKEW_S,))
            try:
                c.execute("INSERT INTO nonces (nonce, seen_at) VALUES (?, ?)", (nonce, now))
            except sqlite3.IntegrityError:
                return False
            return True

        return self._write(tx)

    # -- records --------------------------------------------------------------------------

    def store_batch(self, key_id: str, records: Sequence[EntryRecord], now: int) -> BatchOutcome:
        """Insert a whole batch atomically; records already received are ignored."""

        rows = [record_to_row(r) for r in records]

        def tx(c: sqlite3.Connection) -> int:
            new = 0
            for row in rows:
                new += c.execute(
                    f"INSERT OR IGNORE INTO received ({_COLS}, key_id, received_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)", (*row, key_id, now),
                ).rowcount
            return new

        return BatchOutcome(received=len(records), new=self._write(tx))

    def received_count(self) -> int:
        n = self._read("SELECT COUNT(*) FROM received")[0][0]
        assert isinstance(n, int)  # COUNT(*) is always an integer
        return n

    def received_ids(self) -> set[str]:
        rows = self._read("SELECT record_id FROM received")
        return {str(uuid.UUID(bytes=r[0])) for r in rows if isinstance(r[0], bytes)}

    def received_records(self, limit: int = 1000, after_id: str = "") -> list[EntryRecord]:
        """Received records in record-id order, a page at a time."""
        after = record_id_blob(after_id) if after_id else b""
        rows = self._read(
            f"SELECT {_COLS} FROM received WHERE record_id > ? ORDER BY record_id LIMIT ?",
            (after, limit),
        )
        return [record_from_row(r) for r in rows]


def enroll_kiosk(service_data_dir: Path | str, pubkey: str, label: str = "kiosk") -> str:
    """Enroll a kiosk's public key (base64 text) with the service; returns its key id."""
    with UploadLedger(service_data_dir) as ledger:
        return ledger.enroll(pubkey, label)
