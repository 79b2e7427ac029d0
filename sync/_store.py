"""The kiosk's local store: one SQLite database in the kiosk's data folder.

Durability. WAL journal, ``synchronous=FULL`` and one transaction per entry record, so a record
reported as written survives kill -9 and power loss (``tests/sync/test_killnine.py``).

Threads. Each thread gets its own connection (``threading.local``): the GUI thread writes entry
records while the sync thread reads the upload queue and marks records uploaded. Writers take
``BEGIN IMMEDIATE`` and wait up to ``busy_timeout`` for each other, so they serialise without a
Python lock.

Tables (schema version in ``PRAGMA user_version``):

- ``kv(key, value)``: small settings and state for any part of sync/. Key names are
  dotted by owner, e.g. ``clock.trusted_floor`` (this module's clock), ``pull.trust_version``
  (the pull side). Use :meth:`Store.kv_get` / :meth:`Store.kv_set`, or, inside a transaction,
  :func:`kv_get_in` / :func:`kv_set_in`.
- ``site_config``: one row, :class:`SiteConfig`. The staff PIN is kept only as a scrypt hash.
- ``entry_records``: :class:`codes.wire.EntryRecord` rows plus ``uploaded_at`` (NULL = still
  in the upload queue).
- ``audit_log``: staff actions, each row carrying the SHA-256 of the previous row.

Other parts of sync/ (the pull side) may create tables of their own: call
:meth:`Store.transaction` and run ``CREATE TABLE IF NOT EXISTS`` in it, with the table name
prefixed by the owner (``pull_...``). A transaction groups writes atomically: a crash leaves the
previous state whole.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codes import DeviceError, Outcome

# The entry-record format (codes.wire) is loaded by the methods that write or read records and
# texts, not by a store opened only for its settings and clock (``passkiosk verify --data``).
if TYPE_CHECKING:
    from codes.wire import EntryRecord
    from sync._reports import AuditChainReport, AuditEntry, RecordCounts


class StoreError(DeviceError):
    """The kiosk's local store cannot do what was asked."""


DB_FILE = "passkiosk.sqlite3"
SCHEMA_VERSION = 2  # 2: record ids and hashes stored as blobs
DEFAULT_RETENTION_S = 14 * 24 * 3600
DEFAULT_STALE_AFTER_S = 24 * 3600
_BUSY_TIMEOUT_MS = 15_000
_GENESIS = "0" * 64
# scrypt for the staff PIN: a 6-digit PIN has little entropy, so the hash must be slow to
# brute-force (16 MiB, ~50 ms per guess).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MAX_AUDIT_DETAIL = 512
_MAX_COUNT_SLOTS = 24 * 366  # a year of hours

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS site_config (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    site_id        TEXT NOT NULL,
    gate_id        TEXT NOT NULL,
    service_url    TEXT,
    stale_after_s  INTEGER NOT NULL,
    retention_s    INTEGER NOT NULL,
    staff_pin_hash TEXT
);
CREATE TABLE IF NOT EXISTS entry_records (
    record_id    BLOB PRIMARY KEY,
    at           INTEGER NOT NULL,
    site         TEXT NOT NULL,
    gate         TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    format       TEXT NOT NULL,
    subject_hash BLOB,
    token_id     BLOB,
    uploaded_at  INTEGER
);
CREATE INDEX IF NOT EXISTS entry_records_queue ON entry_records (uploaded_at, at);
CREATE TABLE IF NOT EXISTS audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash  TEXT NOT NULL
);
"""
# The tables and indexes it makes (a store that has them all is opened without writing).
_SCHEMA_NAMES = frozenset(re.findall(r"IF NOT EXISTS (\w+)", _SCHEMA))


def resolve_data_dir(override: str | None) -> Path:
    """The kiosk data folder: ``override`` (``--data DIR``) or the platform's user data dir."""
    if override:
        return Path(override).expanduser().resolve()
    import platformdirs  # only needed without --data

    return Path(platformdirs.user_data_dir("passkiosk", appauthor=False))


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Where this kiosk stands and how it treats old data."""

    site_id: str
    gate_id: str
    service_url: str | None = None
    stale_after_s: int = DEFAULT_STALE_AFTER_S
    retention_s: int = DEFAULT_RETENTION_S


def _audit_hash(prev_hash: str, seq: int, at: int, actor: str, action: str, detail: str) -> str:
    # hashlib and hmac load OpenSSL's digests (~2 ms), which a store only read skips.
    import hashlib

    body = json.dumps([seq, at, actor, action, detail], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(bytes.fromhex(prev_hash) + body.encode()).hexdigest()


def _hash_pin(pin: str, salt: bytes) -> bytes:
    import hashlib

    return hashlib.scrypt(
        pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32, maxmem=64 << 20
    )


def kv_get_in(conn: sqlite3.Connection, key: str) -> str | None:
    """Read a kv value with a connection you already hold (e.g. inside a transaction)."""
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def kv_set_in(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Write a kv value with a connection you already hold (e.g. inside a transaction)."""
    conn.execute(
        "INSERT INTO kv (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise StoreError(f"database: expected an integer column, got {type(value).__name__}")
    return value


def _record_cols() -> str:
    from codes.wire import ROW_COLUMNS

    return ", ".join(ROW_COLUMNS)


def _has_schema(conn: sqlite3.Connection) -> bool:
    """Every table and index of ``_SCHEMA`` is there: creating them would change nothing, so a
    store opened to be read (``passkiosk verify --data``) writes nothing (no WAL commit, no
    fsync)."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    return _SCHEMA_NAMES.issubset(str(r[0]) for r in rows.fetchall())


def _migrate_1_to_2(tx: sqlite3.Connection) -> None:
    """Version 1 kept record ids and hashes as text; rewrite them as blobs."""
    from codes.wire import row_from_text_row

    cols = _record_cols()
    tx.execute("ALTER TABLE entry_records RENAME TO entry_records_v1")
    tx.execute("DROP INDEX IF EXISTS entry_records_queue")
    for stmt in _SCHEMA.split(";"):
        if "entry_records" in stmt and stmt.strip():
            tx.execute(stmt)
    cur = tx.execute(f"SELECT {cols}, uploaded_at FROM entry_records_v1")
    while rows := cur.fetchmany(1000):
        tx.executemany(
            f"INSERT INTO entry_records ({cols}, uploaded_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            [row_from_text_row(tuple(r)) for r in rows])
    tx.execute("DROP TABLE entry_records_v1")


class Store:
    """The kiosk's SQLite store. Safe to share between threads; close() when done."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as e:
            raise StoreError(f"data folder {self.data_dir}: expected writable, got {e}") from e
        self.path = self.data_dir / DB_FILE
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._closed = False
        conn = self.connection()
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: expected schema version <= {SCHEMA_VERSION}, got {version} "
                    "(written by a newer passkiosk)"
                )
            if version < SCHEMA_VERSION or not _has_schema(conn):
                with self.transaction() as tx:
                    if version == 1:
                        _migrate_1_to_2(tx)
                    for stmt in _SCHEMA.split(";"):
                        if stmt.strip():
                            tx.execute(stmt)
                    tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except StoreError:
            self.close()
            raise
        except sqlite3.Error as e:
            self.close()
            raise StoreError(f"{self.path}: expected a passkiosk database, got {e}") from e

    # -- connections ------------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode: use :meth:`transaction` to write)."""
        if self._closed:
            raise StoreError(f"{self.path}: expected an open store, got a closed one")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self._create_private_file()
            try:
                conn = sqlite3.connect(
                    self.path,
                    isolation_level=None,
                    timeout=_BUSY_TIMEOUT_MS / 1000,
                    check_same_thread=False,  # only close() crosses threads
                )
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: expected a usable SQLite file, got {e}") from e
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            except sqlite3.Error as e:
                conn.close()
                raise StoreError(f"{self.path}: expected a usable SQLite file, got {e}") from e
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def _create_private_file(self) -> None:
        """Create the database file 0600 before SQLite opens it: SQLite gives its -wal and -shm
        files the database file's mode, and those hold entry records too."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_mode & 0o077:
                    os.fchmod(fd, 0o600)
            finally:
                os.close(fd)
        except OSError as e:
            raise StoreError(f"{self.path}: expected a writable database file, got {e}") from e

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on this thread's connection; rollback on error.

        SQLite errors come out as StoreError. Not re-entrant.
        """
        conn = self.connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: expected to start a write, got {e}") from e
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise StoreError(f"{self.path}: write failed: {e}") from e
            raise

    def close(self) -> None:
        """Close every thread's connection. Call after the other threads have stopped."""
        self._closed = True
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for c in conns:
            c.close()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return list(self.connection().execute(sql, tuple(params)).fetchall())
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: read failed: {e}") from e

    def integrity_ok(self) -> bool:
        """SQLite's own ``PRAGMA integrity_check`` says ``ok``."""
        rows = self._read("PRAGMA integrity_check")
        return [str(r[0]) for r in rows] == ["ok"]

    # -- kv ---------------------------------------------------------------------------------

    def kv_get(self, key: str) -> str | None:
        return kv_get_in(self.connection(), key)

    def kv_set(self, key: str, value: str) -> None:
        with self.transaction() as tx:
            kv_set_in(tx, key, value)

    # -- site configuration ----------------------------------------------------------------

    def site_config(self) -> SiteConfig | None:
        rows = self._read(
            "SELECT site_id, gate_id, service_url, stale_after_s, retention_s "
            "FROM site_config WHERE id = 1"
        )
        if not rows:
            return None
        r = rows[0]
        return SiteConfig(
            site_id=str(r[0]),
            gate_id=str(r[1]),
            service_url=None if r[2] is None else str(r[2]),
            stale_after_s=_int(r[3]),
            retention_s=_int(r[4]),
        )

    def save_site_config(self, cfg: SiteConfig) -> None:
        from codes.wire import (
            MAX_GATE,
            MAX_SITE,
            check_free_text,
            check_place_code,
            check_place_pair,
        )

        # The site alphabet: what a record's site and gate may hold (no room for an ID number).
        check_place_code("site_id", cfg.site_id, MAX_SITE)
        check_place_code("gate_id", cfg.gate_id, MAX_GATE)
        check_place_pair(cfg.site_id, cfg.gate_id)
        if cfg.service_url is not None:
            check_free_text("service_url", cfg.service_url, max_len=512)
        if cfg.stale_after_s <= 0 or cfg.retention_s <= 0:
            raise StoreError(
                f"site config: expected positive durations, got stale_after_s="
                f"{cfg.stale_after_s}, retention_s={cfg.retention_s}"
            )
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO site_config (id, site_id, gate_id, service_url, stale_after_s, "
                "retention_s) VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "site_id = excluded.site_id, gate_id = excluded.gate_id, "
                "service_url = excluded.service_url, stale_after_s = excluded.stale_after_s, "
                "retention_s = excluded.retention_s",
                (cfg.site_id, cfg.gate_id, cfg.service_url, cfg.stale_after_s, cfg.retention_s),
            )

    def set_staff_pin(self, pin: str) -> None:
        """Store a scrypt hash of the staff PIN (needs a saved site config)."""
        if not isinstance(pin, str) or not 4 <= len(pin) <= 64 or not pin.isprintable():
            raise StoreError("staff PIN: expected 4..64 printable characters")
        import secrets  # only setting a PIN needs it; a read-only command should not load it

        salt = secrets.token_bytes(16)
        encoded = (
            f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${_hash_pin(pin, salt).hex()}"
        )
        with self.transaction() as tx:
            n = tx.execute(
                "UPDATE site_config SET staff_pin_hash = ? WHERE id = 1", (encoded,)
            ).rowcount
            if n != 1:
                raise StoreError("staff PIN: expected a site configuration first, got none")

    def check_staff_pin(self, pin: str) -> bool:
        """True when pin matches the stored hash; False when wrong or no PIN is set."""
        rows = self._read("SELECT staff_pin_hash FROM site_config WHERE id = 1")
        if not rows or rows[0][0] is None:
            return False
        parts = str(rows[0][0]).split("$")
        if len(parts) != 6 or parts[0] != "scrypt":
            raise StoreError(f"staff PIN hash: expected scrypt$..., got {parts[0]!r:.20}")
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, want = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
        import hashlib
        import hmac

        got = hashlib.scrypt(
            pin.encode(), salt=salt, n=n, r=r, p=p, dklen=len(want), maxmem=64 << 20
        )
        return hmac.compare_digest(got, want)

    # -- entry records ---------------------------------------------------------------------

    def add_record(self, rec: EntryRecord) -> None:
        """Validate and durably write one record (its own transaction: when this returns, the
        record survives kill -9 and power loss). A record id already present is an error."""
        from codes.wire import RecordError, record_to_row

        row = record_to_row(rec)
        try:
            with self.transaction() as tx:
                tx.execute(
                    f"INSERT INTO entry_records ({_record_cols()}) VALUES (?,?,?,?,?,?,?,?,?)", row
                )
        except StoreError as e:
            if isinstance(e.__cause__, sqlite3.IntegrityError):
                raise RecordError(f"record {rec.record_id}: expected a new id, got a duplicate") \
                    from e
            raise

    def get_record(self, record_id: str) -> EntryRecord | None:
        from codes.wire import record_from_row, record_id_blob

        rows = self._read(
            f"SELECT {_record_cols()} FROM entry_records WHERE record_id = ?",
            (record_id_blob(record_id),),
        )
        return record_from_row(rows[0]) if rows else None

    def pending_records(self, limit: int) -> list[EntryRecord]:
        """The oldest ``limit`` records not yet accepted by the service."""
        from codes.wire import record_from_row

        rows = self._read(
            f"SELECT {_record_cols()} FROM entry_records WHERE uploaded_at IS NULL "
            "ORDER BY at, record_id LIMIT ?",
            (max(0, limit),),
        )
        return [record_from_row(r) for r in rows]

    def mark_uploaded(self, record_ids: Sequence[str], at: int) -> int:
        """Mark records as accepted by the service (only after it said so). Returns how many
        changed state."""
        from codes.wire import record_id_blob

        changed = 0
        with self.transaction() as tx:
            for rid in record_ids:
                changed += tx.execute(
                    "UPDATE entry_records SET uploaded_at = ? "
                    "WHERE record_id = ? AND uploaded_at IS NULL",
                    (at, record_id_blob(rid)),
                ).rowcount
        return changed

    def record_counts(self) -> RecordCounts:
        from sync._reports import RecordCounts

        row = self._read(
            "SELECT COUNT(*), COALESCE(SUM(uploaded_at IS NULL), 0) FROM entry_records"
        )[0]
        total, pending = _int(row[0]), _int(row[1])
        return RecordCounts(total=total, pending=pending, uploaded=total - pending)

    def outcome_counts(self, start: int, end: int) -> dict[str, int]:
        """How many entry records of each outcome (every :class:`codes.Outcome` value, zeros
        included) were written at ``start <= at < end`` (epoch seconds)."""
        hours = self.hourly_outcome_counts(start, end, hour_s=max(end - start, 1))
        return hours[0] if hours else {o.value: 0 for o in Outcome}

    def hourly_outcome_counts(
        self, start: int, end: int, hour_s: int = 3600
    ) -> list[dict[str, int]]:
        """Outcome counts per ``hour_s`` slot from ``start`` up to ``end``: slot ``i`` covers
        ``start + i*hour_s <= at < start + (i+1)*hour_s``. Counts only: no subject hashes, token
        ids or record ids leave the store this way (the staff panel's daily export)."""
        if type(start) is not int or type(end) is not int or end < start or hour_s <= 0:
            raise StoreError(
                f"count span: expected whole seconds with start <= end, got {start!r}..{end!r}"
            )
        slots = -(-(end - start) // hour_s)
        if slots > _MAX_COUNT_SLOTS:
            raise StoreError(f"count span: expected at most {_MAX_COUNT_SLOTS} slots, got {slots}")
        out = [{o.value: 0 for o in Outcome} for _ in range(slots)]
        rows = self._read(
            "SELECT (at - ?) / ?, outcome, COUNT(*) FROM entry_records "
            "WHERE at >= ? AND at < ? GROUP BY 1, 2",
            (start, hour_s, start, end),
        )
        for slot, outcome, n in rows:
            if str(outcome) in out[_int(slot)]:
                out[_int(slot)][str(outcome)] = _int(n)
        return out

    def all_record_ids(self) -> set[str]:
        rows = self._read("SELECT record_id FROM entry_records")
        import uuid  # not at the top: it loads `platform`, which a read-only command skips

        return {str(uuid.UUID(bytes=r[0])) for r in rows if isinstance(r[0], bytes)}

    def purge_uploaded(self, now: int, retention_s: int | None = None) -> int:
        """Delete records older than the retention time (site config, default 14 days) that the
        service has accepted. Records still in the upload queue are never deleted."""
        if retention_s is None:
            cfg = self.site_config()
            retention_s = cfg.retention_s if cfg else DEFAULT_RETENTION_S
        with self.transaction() as tx:
            n = tx.execute(
                "DELETE FROM entry_records WHERE uploaded_at IS NOT NULL AND at < ?",
                (now - retention_s,),
            ).rowcount
        return int(n)

    # -- audit log -------------------------------------------------------------------------

    def append_audit(self, at: int, actor: str, action: str, detail: str = "") -> AuditEntry:
        """Append a staff action, chained to the previous row by SHA-256."""
        from codes.wire import check_free_text
        from sync._reports import AuditEntry

        check_free_text("audit actor", actor)
        check_free_text("audit action", action)
        if detail:
            check_free_text("audit detail", detail, max_len=MAX_AUDIT_DETAIL)
        with self.transaction() as tx:
            last = tx.execute(
                "SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev = (1, _GENESIS) if last is None else (int(last[0]) + 1, str(last[1]))
            row_hash = _audit_hash(prev, seq, at, actor, action, detail)
            tx.execute(
                "INSERT INTO audit_log (seq, at, actor, action, detail, prev_hash, row_hash) "
                "VALUES (?,?,?,?,?,?,?)",
                (seq, at, actor, action, detail, prev, row_hash),
            )
            # The head hash is also kept in kv, so removing rows from the end is detected.
            kv_set_in(tx, "audit.head", f"{seq}:{row_hash}")
        return AuditEntry(seq, at, actor, action, detail, prev, row_hash)

    def audit_entries(self) -> list[AuditEntry]:
        from sync._reports import AuditEntry

        rows = self._read(
            "SELECT seq, at, actor, action, detail, prev_hash, row_hash FROM audit_log "
            "ORDER BY seq"
        )
        return [
            AuditEntry(_int(r[0]), _int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                       str(r[6]))
            for r in rows
        ]

    def verify_audit_chain(self) -> AuditChainReport:
        """Recompute every row's hash and link; report the first row that does not fit."""
        from sync._reports import AuditChainReport

        entries = self.audit_entries()
        prev = _GENESIS
        for i, e in enumerate(entries, 1):
            if e.seq != i:
                return AuditChainReport(False, len(entries), e.seq, f"expected seq {i}")
            if e.prev_hash != prev:
                return AuditChainReport(False, len(entries), e.seq, "previous-hash link broken")
            if _audit_hash(prev, e.seq, e.at, e.actor, e.action, e.detail) != e.row_hash:
                return AuditChainReport(False, len(entries), e.seq, "row content altered")
            prev = e.row_hash
        head = self.kv_get("audit.head")
        want = None if not entries else f"{entries[-1].seq}:{entries[-1].row_hash}"
        if head != want:
            bad = (entries[-1].seq + 1) if entries else 1
            return AuditChainReport(False, len(entries), bad, "rows missing at the end")
        return AuditChainReport(True, len(entries))
