"""The upload storage on SQLite: ``uploads.sqlite3`` in the service data folder (the
one-machine default; ``service._store`` has the interface and the shared SQL).

- ``kiosks``: enrolled kiosks' Ed25519 public keys, by key id.
- ``received``: every record ever received, keyed by ``record_id``. Uploads are at-least-once
  (a kiosk re-sends a batch whose answer it never saw); the primary key makes the second copy
  a no-op, so nothing is doubled.
- ``nonces``: request nonces seen within the timestamp window, so a captured request cannot
  be replayed; ``upload_rate``: each kiosk's rate bucket.
- ``kiosk_health`` (latest report per kiosk), ``kiosk_health_history``, ``audit``.

This module has no web framework in it (``_upload_api`` adds the HTTP route), so admin commands
such as ``enroll-kiosk`` stay light.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from codes.wire import RecordError, row_from_text_row
from service._files import private_folder
from service._sql import SqliteDb, StorageError, Tx
from service._store import COLS, SqlStorage

LEDGER_FILE = "uploads.sqlite3"

_RECEIVED = """CREATE TABLE IF NOT EXISTS received (
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
    )"""

# Schema steps, applied in order once each (PRAGMA user_version counts them). Step 1 is the
# first ledger's schema, written so that it also passes over a ledger made before versions.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS kiosks (
            key_id      TEXT PRIMARY KEY,
            public_key  BLOB NOT NULL,
            label       TEXT NOT NULL,
            enrolled_at INTEGER NOT NULL
        )""",
        _RECEIVED,
        "CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, seen_at INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS nonces_age ON nonces (seen_at)",
    ),
    (
        "CREATE TABLE upload_rate (key_id TEXT PRIMARY KEY, tokens REAL NOT NULL, "
        "at REAL NOT NULL)",
        "CREATE TABLE kiosk_health (key_id TEXT PRIMARY KEY, reported_at INTEGER NOT NULL, "
        "health TEXT NOT NULL)",
        "CREATE TABLE kiosk_health_history (key_id TEXT NOT NULL, reported_at INTEGER NOT NULL,"
        " health TEXT NOT NULL, PRIMARY KEY (key_id, reported_at))",
        "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, "
        "action TEXT NOT NULL, detail TEXT NOT NULL)",
        "CREATE INDEX received_at_day ON received (at)",
    ),
)


def _migrate_text_ids(c: Tx) -> None:
    """The first ledgers kept record ids and hashes as text; rewrite them as blobs."""
    c.execute("ALTER TABLE received RENAME TO received_text")
    c.execute(_RECEIVED)
    cur = c.execute(f"SELECT {COLS}, key_id, received_at FROM received_text")
    while rows := cur.fetchmany(1000):
        c.executemany(
            f"INSERT INTO received ({COLS}, key_id, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [row_from_text_row(tuple(r)) for r in rows])
    c.execute("DROP TABLE received_text")


class UploadLedger(SqlStorage):
    """The upload storage in ``uploads.sqlite3``; migrates itself when opened."""

    def __init__(self, service_data_dir: Path | str) -> None:
        folder = Path(service_data_dir)
        try:
            private_folder(folder)
        except OSError as e:
            raise StorageError(f"upload ledger in {folder}: expected a usable folder, got {e}") \
                from e
        self.path = folder / LEDGER_FILE
        db = SqliteDb(self.path)
        super().__init__(db)
        try:
            with db.tx() as c:
                version = int(c.execute("PRAGMA user_version").fetchone()[0])
                if version == 0 and c.execute(
                        "SELECT 1 FROM sqlite_master WHERE name = 'received'").fetchone():
                    _migrate_text_ids(c)
            db.migrate("uploads", MIGRATIONS)
        except (sqlite3.Error, RecordError) as e:
            db.close()
            raise StorageError(f"upload ledger in {folder}: expected a usable database, "
                               f"got {e}") from e
        except StorageError:
            db.close()
            raise


def enroll_kiosk(service_data_dir: Path | str, pubkey: str, label: str = "kiosk",
                 db_url: str | None = None) -> str:
    """Enroll a kiosk's public key (base64 text) with the service; returns its key id."""
    from service._store import open_storage

    with open_storage(db_url, service_data_dir) as storage:
        return storage.enroll(pubkey, label)
