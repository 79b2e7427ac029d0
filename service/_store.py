"""The service's upload-side storage: one interface (``Storage``), two engines.

What it holds: enrolled kiosks and their Ed25519 keys, request nonces (replay protection),
per-kiosk upload rate buckets, every entry record received (idempotent by record id) and each
kiosk's health (the latest report, plus a history). Admin actions go to an audit log.

- ``UploadLedger`` (``service._ledger``): SQLite, ``uploads.sqlite3`` in the data folder, the
  one-machine default.
- ``PostgresStorage`` (``service._store_pg``): PostgreSQL for N stateless replicas; entry records
  partitioned by day, retention drops whole partitions.

Both run the shared SQL of ``SqlStorage`` below over a ``service._sql.SqlDb`` and override only
where the engines differ. HTTP handlers keep nothing in memory that another replica would need:
nonces and rate buckets live in the database, so any replica can take any request.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from codes.wire import (
    MAX_SKEW_S,
    ROW_COLUMNS,
    EntryRecord,
    KioskHealth,
    check_free_text,
    health_from_dict,
    key_id_of,
    parse_public_key,
    record_from_row,
    record_id_blob,
    record_to_row,
    validate_health,
)
from service._sql import SqlDb, StorageError, Tx, is_postgres_url, sqlite_folder

COLS = ", ".join(ROW_COLUMNS)
HEALTH_HISTORY = 1000  # reports kept per kiosk; older ones are dropped as new ones arrive


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    received: int
    new: int

    @property
    def duplicates(self) -> int:
        return self.received - self.new


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Per-kiosk token bucket for signed requests: ``burst`` at once, refilled at ``per_minute``.

    A kiosk uploads a batch a minute and a health report with it; one back from a week offline
    sends its backlog in successive batches, which the burst absorbs.
    """

    per_minute: float = 120.0
    burst: int = 200


@dataclass(frozen=True, slots=True)
class HealthRow:
    key_id: str
    reported_at: int
    health: KioskHealth


class Storage(Protocol):
    """What the service's handlers and admin commands need from the database."""

    where: str

    def enroll(self, public_key_text: str, label: str = "kiosk", now: int | None = None) -> str:
        """Allow a kiosk key's uploads; returns its key id (enrolling again relabels)."""
        ...

    def public_key(self, key_id: str) -> bytes | None: ...

    def enrolled_key_ids(self) -> list[str]: ...

    def admit(self, key_id: str, nonce: str, now: float, limit: RateLimit) -> str | None:
        """Spend the nonce and one rate token; None when admitted, else why not
        (``"replay"``: nonce already used, ``"rate"``: over the kiosk's rate)."""
        ...

    def store_batch(self, key_id: str, records: Sequence[EntryRecord],
                    now: int) -> BatchOutcome:
        """Insert a whole batch atomically; records already received are ignored."""
        ...

    def record_health(self, key_id: str, health: KioskHealth, now: int) -> None: ...

    def latest_health(self) -> list[HealthRow]:
        """Each kiosk's latest report (the operations view), by key id."""
        ...

    def health_history(self, key_id: str, limit: int = 100) -> list[HealthRow]: ...

    def received_count(self) -> int: ...

    def received_ids(self) -> set[str]: ...

    def received_records(self, limit: int = 1000, after_id: str = "") -> list[EntryRecord]: ...

    def drop_records_before(self, day: date) -> int:
        """Retention: delete records from before ``day`` (UTC); returns how many went."""
        ...

    def audit(self, action: str, detail: str, now: int | None = None) -> None: ...

    def audit_log(self, limit: int = 100) -> list[tuple[int, str, str]]: ...

    def ping(self) -> None:
        """Raise StorageError unless the database answers now (the replica's /healthz)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Storage: ...

    def __exit__(self, *exc: object) -> None: ...


def take_nonce(c: Tx, nonce: str, now: int) -> bool:
    """Record a nonce; False when it was seen inside the window (a replay). One seen longer ago
    than twice the timestamp skew counts as new: any request that carried it is stale anyway,
    so the table may be swept lazily."""
    return c.execute(
        "INSERT INTO nonces (nonce, seen_at) VALUES (?, ?) ON CONFLICT (nonce) DO UPDATE SET "
        "seen_at = excluded.seen_at WHERE nonces.seen_at < ?",
        (nonce, now, now - 2 * MAX_SKEW_S)).rowcount == 1


def utc_day(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, UTC).date()


def _health_json(h: KioskHealth) -> str:
    obj = asdict(h)
    obj["clock_warnings"] = list(h.clock_warnings)
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def _health_of(text: object) -> KioskHealth:
    if not isinstance(text, str):
        raise StorageError(f"expected a stored health report, got {type(text).__name__}")
    try:
        return health_from_dict(json.loads(text))
    except ValueError as e:
        raise StorageError(f"expected a stored health report, got unreadable JSON ({e})") \
            from None


class SqlStorage:
    """``Storage`` in the SQL both engines understand; subclasses supply the database."""

    records_table = "received"

    def __init__(self, db: SqlDb) -> None:
        self.db = db
        self.where = db.where

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SqlStorage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ping(self) -> None:
        self.db.query("SELECT 1")

    # -- kiosks -----------------------------------------------------------------------------

    def enroll(self, public_key_text: str, label: str = "kiosk", now: int | None = None) -> str:
        raw = parse_public_key(public_key_text)
        check_free_text("kiosk label", label)
        kid = key_id_of(raw)
        at = int(time.time()) if now is None else now
        with self.db.tx() as c:
            c.execute("INSERT INTO kiosks (key_id, public_key, label, enrolled_at) "
                      "VALUES (?,?,?,?) ON CONFLICT (key_id) DO UPDATE SET label = excluded.label",
                      (kid, raw, label, at))
            self._audit(c, "enroll-kiosk", f"{kid} {label}", at)
        return kid

    def public_key(self, key_id: str) -> bytes | None:
        rows = self.db.query("SELECT public_key FROM kiosks WHERE key_id = ?", (key_id,))
        if not rows:
            return None
        value = rows[0][0]
        if not isinstance(value, bytes):
            raise StorageError(f"{self.where}: expected a key blob, got {type(value).__name__}")
        return value

    def enrolled_key_ids(self) -> list[str]:
        return [str(r[0]) for r in self.db.query("SELECT key_id FROM kiosks ORDER BY key_id")]

    # -- admission: rate and replay -------------------------------------------------------

    _for_update = ""

    def admit(self, key_id: str, nonce: str, now: float, limit: RateLimit) -> str | None:
        with self.db.tx() as c:
            # The nonce first: a captured request replayed by someone else must not spend the
            # kiosk's own rate.
            if not self._take_nonce(c, nonce, int(now)):
                return "replay"
            row = c.execute(f"SELECT tokens, at FROM upload_rate WHERE key_id = ?"
                            f"{self._for_update}", (key_id,)).fetchone()
            tokens = float(limit.burst) if row is None else min(
                float(limit.burst),
                float(row[0]) + max(0.0, now - float(row[1])) * limit.per_minute / 60)
            if tokens < 1:
                return "rate"
            c.execute("INSERT INTO upload_rate (key_id, tokens, at) VALUES (?,?,?) ON CONFLICT "
                      "(key_id) DO UPDATE SET tokens = excluded.tokens, at = excluded.at",
                      (key_id, tokens - 1, now))
        return None

    def _take_nonce(self, c: Tx, nonce: str, now: int) -> bool:
        # Older than twice the skew window: any request carrying it is already stale.
        c.execute("DELETE FROM nonces WHERE seen_at < ?", (now - 2 * MAX_SKEW_S,))
        return take_nonce(c, nonce, now)

    # -- records ----------------------------------------------------------------------------

    def store_batch(self, key_id: str, records: Sequence[EntryRecord],
                    now: int) -> BatchOutcome:
        rows = [(*record_to_row(r), key_id, now) for r in records]
        with self.db.tx() as c:
            # One statement for the batch; rowcount sums the rows it really inserted.
            new = c.executemany(
                f"INSERT INTO received ({COLS}, key_id, received_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (record_id) DO NOTHING", rows,
            ).rowcount
        return BatchOutcome(received=len(records), new=max(0, new))

    def received_count(self) -> int:
        return int(self.db.query(f"SELECT count(*) FROM {self.records_table}")[0][0])

    def received_ids(self) -> set[str]:
        rows = self.db.query(f"SELECT record_id FROM {self.records_table}")
        return {str(uuid.UUID(bytes=bytes(r[0]))) for r in rows}

    def received_records(self, limit: int = 1000, after_id: str = "") -> list[EntryRecord]:
        """Received records in record-id order, a page at a time."""
        after = record_id_blob(after_id) if after_id else b""
        rows = self.db.query(
            f"SELECT {COLS} FROM {self.records_table} WHERE record_id > ? "
            "ORDER BY record_id LIMIT ?", (after, limit))
        return [record_from_row(_plain(r)) for r in rows]

    def drop_records_before(self, day: date) -> int:
        cutoff = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        with self.db.tx() as c:
            return int(c.execute("DELETE FROM received WHERE at < ?", (cutoff,)).rowcount)

    # -- health -----------------------------------------------------------------------------

    def record_health(self, key_id: str, health: KioskHealth, now: int) -> None:
        text = _health_json(validate_health(health))
        with self.db.tx() as c:
            c.execute("INSERT INTO kiosk_health (key_id, reported_at, health) VALUES (?,?,?) "
                      "ON CONFLICT (key_id) DO UPDATE SET reported_at = excluded.reported_at, "
                      "health = excluded.health", (key_id, now, text))
            c.execute("INSERT INTO kiosk_health_history (key_id, reported_at, health) "
                      "VALUES (?,?,?) ON CONFLICT (key_id, reported_at) DO UPDATE SET "
                      "health = excluded.health", (key_id, now, text))
            c.execute("DELETE FROM kiosk_health_history WHERE key_id = ? AND reported_at < ("
                      "SELECT min(reported_at) FROM (SELECT reported_at FROM "
                      "kiosk_health_history WHERE key_id = ? ORDER BY reported_at DESC "
                      "LIMIT ?) AS kept)", (key_id, key_id, HEALTH_HISTORY))

    def latest_health(self) -> list[HealthRow]:
        rows = self.db.query("SELECT key_id, reported_at, health FROM kiosk_health "
                             "ORDER BY key_id")
        return [HealthRow(str(r[0]), int(r[1]), _health_of(r[2])) for r in rows]

    def health_history(self, key_id: str, limit: int = 100) -> list[HealthRow]:
        rows = self.db.query("SELECT key_id, reported_at, health FROM kiosk_health_history "
                             "WHERE key_id = ? ORDER BY reported_at DESC LIMIT ?",
                             (key_id, limit))
        return [HealthRow(str(r[0]), int(r[1]), _health_of(r[2])) for r in rows]

    # -- audit ------------------------------------------------------------------------------

    @staticmethod
    def _audit(c: Tx, action: str, detail: str, now: int) -> None:
        c.execute("INSERT INTO audit (at, action, detail) VALUES (?,?,?)", (now, action, detail))

    def audit(self, action: str, detail: str, now: int | None = None) -> None:
        with self.db.tx() as c:
            self._audit(c, action, detail, int(time.time()) if now is None else now)

    def audit_log(self, limit: int = 100) -> list[tuple[int, str, str]]:
        rows = self.db.query("SELECT at, action, detail FROM audit ORDER BY id DESC LIMIT ?",
                             (limit,))
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # PostgreSQL hands bytea back as bytes already; memoryview (some drivers) becomes bytes too.
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)


def open_storage(db_url: str | None, data_dir: Path | str, *,
                 migrate: bool = False) -> Storage:
    """The storage a ``--db`` URL names: SQLite in the data folder (None or ``sqlite:///``) or
    PostgreSQL (``postgresql://``). SQLite migrates itself on open; PostgreSQL only when
    ``migrate`` is true (``passkiosk service migrate``), else it must be current already."""
    if is_postgres_url(db_url):
        assert db_url is not None
        from service._store_pg import PostgresStorage

        return PostgresStorage(db_url, migrate=migrate)
    from service._ledger import UploadLedger

    return UploadLedger(sqlite_folder(db_url, Path(data_dir)))
