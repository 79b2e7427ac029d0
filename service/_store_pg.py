"""The upload storage on PostgreSQL, for N stateless replicas over one database.

Entry records go to ``entry_records``, range-partitioned by the UTC day of the record's time
(``day``): one table per day, ``entry_records_YYYYMMDD``, created when the first record of that
day arrives (under an advisory lock, so two replicas never race on it). Retention drops whole
day partitions, which costs nothing like a bulk ``DELETE`` and leaves no bloat. The primary key
is ``(day, record_id)``: PostgreSQL needs the partition key in it, and a record's day never
changes (it is the day of its own ``at``), so a resent record meets its first copy in the same
partition and ``ON CONFLICT DO NOTHING`` keeps uploads idempotent by record id. A batch goes in
as one ``INSERT ... SELECT FROM unnest(...)`` statement.

Only days near today get a partition (``PARTITION_WINDOW``: a year back, a day ahead): a record
from further away (a kiosk's clock years off, or a kiosk making up dates) goes to the plain
table ``entry_records_outliers`` instead, so no kiosk can make the service create thousands of
tables, and nothing is refused or lost. ``entry_records_all`` is the view over both.

Everything else is the shared SQL of ``service._store.SqlStorage``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import date, timedelta

from codes.wire import MAX_SKEW_S, EntryRecord, record_to_row
from service._sql import PostgresDb, StorageError, Tx
from service._store import COLS, BatchOutcome, SqlStorage, take_nonce, utc_day

COMPONENT = "uploads"
_NONCE_SWEEP_S = 60.0  # old nonces are swept at most this often per replica
PARTITION_WINDOW = (timedelta(days=400), timedelta(days=1))  # back, ahead of today (UTC)
_INSERT = ("INSERT INTO {table} (day, " + COLS + ", key_id, received_at) "
           "SELECT d, r, a, s, g, o, re, f, sh, t, ?, ? FROM unnest("
           "?::date[], ?::bytea[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], "
           "?::text[], ?::bytea[], ?::bytea[]) AS u(d, r, a, s, g, o, re, f, sh, t) "
           "ON CONFLICT DO NOTHING")

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE kiosks (
            key_id      TEXT PRIMARY KEY,
            public_key  BYTEA NOT NULL,
            label       TEXT NOT NULL,
            enrolled_at BIGINT NOT NULL)""",
        "CREATE TABLE nonces (nonce TEXT PRIMARY KEY, seen_at BIGINT NOT NULL)",
        "CREATE INDEX nonces_age ON nonces (seen_at)",
        "CREATE TABLE upload_rate (key_id TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, "
        "at DOUBLE PRECISION NOT NULL)",
        """CREATE TABLE entry_records (
            day          DATE NOT NULL,
            record_id    BYTEA NOT NULL,
            key_id       TEXT NOT NULL,
            received_at  BIGINT NOT NULL,
            at           BIGINT NOT NULL,
            site         TEXT NOT NULL,
            gate         TEXT NOT NULL,
            outcome      TEXT NOT NULL,
            reason       TEXT NOT NULL,
            format       TEXT NOT NULL,
            subject_hash BYTEA,
            token_id     BYTEA,
            PRIMARY KEY (day, record_id)) PARTITION BY RANGE (day)""",
        "CREATE INDEX entry_records_kiosk ON entry_records (key_id, at)",
        "CREATE TABLE kiosk_health (key_id TEXT PRIMARY KEY, reported_at BIGINT NOT NULL, "
        "health TEXT NOT NULL)",
        "CREATE TABLE kiosk_health_history (key_id TEXT NOT NULL, reported_at BIGINT NOT NULL, "
        "health TEXT NOT NULL, PRIMARY KEY (key_id, reported_at))",
        "CREATE TABLE IF NOT EXISTS audit (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, "
        "action TEXT NOT NULL, detail TEXT NOT NULL)",
    ),
    (
        "CREATE TABLE entry_records_outliers (LIKE entry_records INCLUDING DEFAULTS, "
        "PRIMARY KEY (record_id))",
        "CREATE INDEX entry_records_outliers_at ON entry_records_outliers (at)",
        "CREATE VIEW entry_records_all AS SELECT * FROM entry_records UNION ALL "
        "SELECT * FROM entry_records_outliers",
    ),
)


def partition_name(day: date) -> str:
    return f"entry_records_{day:%Y%m%d}"


class PostgresStorage(SqlStorage):
    """``Storage`` over a PostgreSQL database (``postgresql://`` URL)."""

    records_table = "entry_records_all"
    _for_update = " FOR UPDATE"

    def __init__(self, url: str, *, migrate: bool = False, pool_size: int = 8) -> None:
        db = PostgresDb(url, pool_size=pool_size)
        super().__init__(db)
        self.pg = db
        self._days: set[date] = set()
        self._days_lock = threading.Lock()
        self._last_sweep = 0.0
        try:
            if migrate:
                db.migrate(COMPONENT, MIGRATIONS)
            else:
                have = db.schema_version(COMPONENT)
                if have != len(MIGRATIONS):
                    raise StorageError(
                        f"{db.where}: expected the upload schema at version {len(MIGRATIONS)}, "
                        f"found {have}: run `passkiosk service migrate --db URL` first")
        except StorageError:
            db.close()
            raise

    def _take_nonce(self, c: Tx, nonce: str, now: int) -> bool:
        # One sweep a minute per replica instead of one per request: a stale nonce is refused
        # by the timestamp check anyway, the sweep only bounds the table.
        mono = time.monotonic()
        if mono - self._last_sweep >= _NONCE_SWEEP_S:
            self._last_sweep = mono
            c.execute("DELETE FROM nonces WHERE seen_at < ?", (now - 2 * MAX_SKEW_S,))
        return take_nonce(c, nonce, now)

    # -- partitions -------------------------------------------------------------------------

    def ensure_partitions(self, days: Sequence[date]) -> None:
        """Create the day partitions that do not exist yet (idempotent, race-free)."""
        with self._days_lock:
            missing = sorted(set(days) - self._days)
        if not missing:
            return
        with self.db.tx(serialize="passkiosk-partitions") as c:
            for day in missing:
                c.execute(f"CREATE TABLE IF NOT EXISTS {partition_name(day)} PARTITION OF "
                          f"entry_records FOR VALUES FROM ('{day.isoformat()}') "
                          f"TO ('{(day + timedelta(days=1)).isoformat()}')")
        with self._days_lock:
            self._days.update(missing)

    def partitions(self) -> list[date]:
        """The days that have a partition, oldest first."""
        rows = self.db.query(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'entry_records'")
        out = []
        for (name,) in rows:
            digits = str(name).rsplit("_", 1)[-1]
            out.append(date(int(digits[:4]), int(digits[4:6]), int(digits[6:])))
        return sorted(out)

    def store_batch(self, key_id: str, records: Sequence[EntryRecord],
                    now: int) -> BatchOutcome:
        rows = [record_to_row(r) for r in records]
        if not rows:
            return BatchOutcome(received=0, new=0)
        days = [utc_day(r.at) for r in records]
        try:
            return self._insert(key_id, rows, days, now)
        except StorageError:
            # Another replica may have dropped a day this one still believed present.
            with self._days_lock:
                self._days.clear()
            return self._insert(key_id, rows, days, now)

    def _insert(self, key_id: str, rows: Sequence[tuple[object, ...]], days: list[date],
                now: int) -> BatchOutcome:
        today = utc_day(now)
        lo, hi = today - PARTITION_WINDOW[0], today + PARTITION_WINDOW[1]
        near = [(d, r) for d, r in zip(days, rows, strict=True) if lo <= d <= hi]
        far = [(d, r) for d, r in zip(days, rows, strict=True) if not lo <= d <= hi]
        self.ensure_partitions([d for d, _ in near])
        new = 0
        with self.db.tx() as c:
            for table, part in (("entry_records", near), ("entry_records_outliers", far)):
                if part:
                    columns = list(zip(*[r for _, r in part], strict=True))
                    new += c.execute(_INSERT.format(table=table), (
                        key_id, now, [d for d, _ in part], *[list(col) for col in columns],
                    )).rowcount
        return BatchOutcome(received=len(rows), new=new)

    def drop_records_before(self, day: date) -> int:
        """Drop every day partition older than ``day`` (and delete outliers from before it);
        returns the records that went."""
        with self.db.tx() as c:
            gone = int(c.execute("DELETE FROM entry_records_outliers WHERE day < ?",
                                 (day,)).rowcount)
        for old in self.partitions():
            if old >= day:
                break
            with self.db.tx(serialize="passkiosk-partitions") as c:
                name = partition_name(old)
                (n,) = c.execute(f"SELECT count(*) FROM {name}").fetchone()
                c.execute(f"DROP TABLE {name}")
                gone += int(n)
            with self._days_lock:
                self._days.discard(old)
        return gone
