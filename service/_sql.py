"""The two SQL engines behind the service's storage, under one small interface.

SQL is written once, with ``?`` placeholders (the PostgreSQL side rewrites them to ``%s``, so
no statement may hold a literal ``?`` or ``%``), and in the dialect both engines share:
``INSERT ... ON CONFLICT``, ``RETURNING``, standard joins. Schema and the few engine-specific
statements (partitions, locks) come from the callers per ``dialect``.

- ``SqliteDb``: one file in the data folder, one connection guarded by a lock, ``BEGIN
  IMMEDIATE`` transactions (one writer at a time, as SQLite has anyway).
- ``PostgresDb``: a small pool of psycopg 3 connections. A connection that breaks (the server
  restarted, the network dropped) is discarded and the operation fails with ``StorageError``;
  the next operation connects afresh, so a replica rides out a database restart without
  restarting itself.

Schema versions: each component (``state``, ``uploads``) has a numbered list of migration steps;
``migrate`` runs those not yet applied, in one transaction each, under a lock. SQLite keeps the
version in ``PRAGMA user_version`` (one file per component); PostgreSQL in ``schema_migrations``.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from codes import DeviceError
from service._files import connect_private

Params = Sequence[Any]


class StorageError(DeviceError):
    """The service's database cannot do what was asked (unreachable, refused, not migrated)."""


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...


class Tx(Protocol):
    """One open transaction."""

    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Sequence[Params]) -> Cursor: ...


class SqlDb(Protocol):
    """A database the service's stores run their SQL on."""

    dialect: str  # "sqlite" | "postgres"
    where: str  # for messages: a file path or the server's host:port/db (never a password)

    def tx(self, serialize: str | None = None) -> contextlib.AbstractContextManager[Tx]:
        """A transaction; ``serialize`` names a lock held until it ends (writers in order)."""
        ...

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]: ...

    def stream(self, sql: str, params: Params = (), size: int = 10_000
               ) -> Iterator[list[tuple[Any, ...]]]:
        """A large result in pages of ``size`` rows, from one consistent snapshot."""
        ...

    def schema_version(self, component: str) -> int: ...

    def migrate(self, component: str, steps: Sequence[Sequence[str]]) -> int: ...

    def close(self) -> None: ...


# -- SQLite ------------------------------------------------------------------------------------


class SqliteDb:
    """A SQLite file, private to the service user, one connection shared under a lock."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.where = str(path)
        try:
            self._conn = connect_private(path, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
        except (OSError, sqlite3.Error) as e:
            raise StorageError(f"{path}: expected a usable SQLite database, got {e}") from e
        self._lock = threading.RLock()

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    @contextlib.contextmanager
    def tx(self, serialize: str | None = None) -> Iterator[Tx]:
        # BEGIN IMMEDIATE takes SQLite's one write lock: every writer is serialised already.
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise StorageError(f"{self.where}: write failed: {e}") from e
            try:
                yield self._conn
            except sqlite3.Error as e:
                self._conn.execute("ROLLBACK")
                raise StorageError(f"{self.where}: write failed: {e}") from e
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as e:
                raise StorageError(f"{self.where}: commit failed: {e}") from e

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, tuple(params)).fetchall())
            except sqlite3.Error as e:
                raise StorageError(f"{self.where}: read failed: {e}") from e

    def stream(self, sql: str, params: Params = (), size: int = 10_000
               ) -> Iterator[list[tuple[Any, ...]]]:
        with self._lock:
            try:
                cur = self._conn.execute(sql, tuple(params))
                while batch := cur.fetchmany(size):
                    yield batch
            except sqlite3.Error as e:
                raise StorageError(f"{self.where}: read failed: {e}") from e

    def schema_version(self, component: str) -> int:
        return int(self.query("PRAGMA user_version")[0][0])

    def migrate(self, component: str, steps: Sequence[Sequence[str]]) -> int:
        with self.tx() as c:
            version = int(c.execute("PRAGMA user_version").fetchone()[0])
            for n, step in enumerate(steps[version:], version + 1):
                for stmt in step:
                    c.execute(stmt)
                c.execute(f"PRAGMA user_version = {n}")
        return len(steps)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


# -- PostgreSQL --------------------------------------------------------------------------------


def _one_line(e: Exception) -> str:
    # psycopg's messages span lines (server hints); an error here is one line in a log.
    return " ".join(str(e).split())[:300]


def _pg_sql(sql: str) -> str:
    return sql.replace("?", "%s")


class _PgTx:
    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        self._cur.execute(_pg_sql(sql), tuple(params))
        return self._cur  # type: ignore[no-any-return]

    def executemany(self, sql: str, rows: Sequence[Params]) -> Cursor:
        self._cur.executemany(_pg_sql(sql), [tuple(r) for r in rows])
        return self._cur  # type: ignore[no-any-return]


class PostgresDb:
    """A PostgreSQL database through a small pool of psycopg 3 connections."""

    dialect = "postgres"

    def __init__(self, url: str, *, pool_size: int = 8, connect_timeout: int = 5) -> None:
        import psycopg  # only a PostgreSQL deployment needs it

        self._psycopg = psycopg
        self._url = url
        self._timeout = connect_timeout
        try:
            info = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.Error as e:
            raise StorageError(f"--db: expected a postgresql:// URL, got an unusable one "
                               f"({e})") from None
        self.where = f"postgresql://{info.get('host', '')}:{info.get('port', 5432)}/" \
                     f"{info.get('dbname', '')}"
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)

    def _connect(self) -> Any:
        try:
            # No statement may hang a worker thread for ever (a lock held by a stuck session).
            return self._psycopg.connect(self._url, autocommit=True,
                                         connect_timeout=self._timeout,
                                         options="-c statement_timeout=60s")
        except self._psycopg.Error as e:
            raise StorageError(f"{self.where}: expected the database to answer, got "
                               f"{type(e).__name__}: {_one_line(e)}") from None

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        if not self._slots.acquire(timeout=30):
            raise StorageError(f"{self.where}: expected a free connection within 30 s, "
                               "all are busy")
        try:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                conn = self._connect()
            try:
                yield conn
            except BaseException:
                conn.close()  # its state is unknown: never reuse it
                raise
            if conn.closed or conn.info.transaction_status != 0:  # 0: idle
                conn.close()
            else:
                self._pool.put(conn)
        finally:
            self._slots.release()

    @contextlib.contextmanager
    def tx(self, serialize: str | None = None) -> Iterator[Tx]:
        pg = self._psycopg
        with self._connection() as conn:
            try:
                with conn.transaction(), conn.cursor() as cur:
                    if serialize is not None:
                        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (serialize,))
                    yield _PgTx(cur)
            except pg.Error as e:
                raise StorageError(f"{self.where}: expected the write to commit, got "
                                   f"{type(e).__name__}: {_one_line(e)}") from None

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        pg = self._psycopg
        with self._connection() as conn:
            try:
                return list(conn.execute(_pg_sql(sql), tuple(params)).fetchall())
            except pg.Error as e:
                raise StorageError(f"{self.where}: read failed: {type(e).__name__}: "
                                   f"{_one_line(e)}") from None

    def stream(self, sql: str, params: Params = (), size: int = 10_000
               ) -> Iterator[list[tuple[Any, ...]]]:
        pg = self._psycopg
        with self._connection() as conn:
            try:
                # A named (server-side) cursor: the rows come over a page at a time.
                with conn.transaction(), conn.cursor(name="passkiosk_stream") as cur:
                    cur.execute(_pg_sql(sql), tuple(params))
                    while batch := cur.fetchmany(size):
                        yield batch
            except pg.Error as e:
                raise StorageError(f"{self.where}: read failed: {type(e).__name__}: "
                                   f"{_one_line(e)}") from None

    def schema_version(self, component: str) -> int:
        rows = self.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not rows[0][0]:
            return 0
        rows = self.query("SELECT version FROM schema_migrations WHERE component = ?",
                          (component,))
        return int(rows[0][0]) if rows else 0

    def migrate(self, component: str, steps: Sequence[Sequence[str]]) -> int:
        with self.tx(serialize="passkiosk-migrate") as c:
            c.execute("CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT PRIMARY "
                      "KEY, version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
            row = c.execute("SELECT version FROM schema_migrations WHERE component = ?",
                            (component,)).fetchone()
            version = int(row[0]) if row else 0
            for n, step in enumerate(steps[version:], version + 1):
                for stmt in step:
                    c.execute(stmt)
                c.execute("INSERT INTO schema_migrations VALUES (?, ?, now()) ON CONFLICT "
                          "(component) DO UPDATE SET version = excluded.version, "
                          "applied_at = excluded.applied_at", (component, n))
        return len(steps)

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


def is_postgres_url(url: str | None) -> bool:
    return url is not None and url.startswith(("postgresql://", "postgres://"))


def sqlite_folder(url: str | None, default: Path) -> Path:
    """The folder of the SQLite files a ``sqlite:///FOLDER`` URL names; ``default`` (the data
    folder) for None or a bare ``sqlite://``."""
    if url is None or url in ("sqlite://", "sqlite:///"):
        return default
    if not url.startswith("sqlite:///"):
        raise StorageError(f"--db: expected sqlite:///FOLDER or postgresql://..., got "
                           f"{url.split(':', 1)[0][:20]!r}")
    return Path(url[len("sqlite:///"):])
