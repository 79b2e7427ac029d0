"""The console's storage: users, sessions, consents, alerts, sites, its audit log.

Its tables are one more schema component, ``console`` (``service._sql``: numbered steps, run
once each under the migration lock): ``console.sqlite3`` in the data folder by default, or the
same PostgreSQL database as the rest of the service (``--db postgresql://``), where the steps
run when the console first opens (``PostgresDb.migrate`` holds an advisory lock, so replicas
starting together apply them once).

Read-only views of the other components: the upload storage (kiosk labels, today's records by
site and hour) and the state database (issued tokens, status entries, unpublished changes).
Writes to them go through their own owners (``Storage``, ``ServiceState``); the one exception
is ``disable_kiosk``, which removes the kiosk's key from the upload storage's ``kiosks`` table
because ``Storage`` has no call for it.

Nothing here holds a full ID number: residents are keyed by subject hash (PK1 spec §5) with
the masked name and number beside it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codes import EntryKind, Severity
from service._console._auth import AccountError
from service._sql import (
    PostgresDb,
    SqlDb,
    SqliteDb,
    StorageError,
    is_postgres_url,
    sqlite_folder,
)
from service._store import SqlStorage, Storage

DB_FILE = "console.sqlite3"
COMPONENT = "console"


def _schema(dialect: str) -> tuple[tuple[str, ...], ...]:
    pg = dialect == "postgres"
    big = "BIGINT" if pg else "INTEGER"
    blob = "BYTEA" if pg else "BLOB"
    serial = "BIGSERIAL PRIMARY KEY" if pg else "INTEGER PRIMARY KEY"
    real = "DOUBLE PRECISION" if pg else "REAL"
    return (
        (
            f"""CREATE TABLE console_users (
                name TEXT PRIMARY KEY, role TEXT NOT NULL, pw_hash TEXT NOT NULL,
                created_at {big} NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
                failed INTEGER NOT NULL DEFAULT 0, locked_until {big} NOT NULL DEFAULT 0)""",
            f"""CREATE TABLE console_sessions (
                token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL,
                created_at {big} NOT NULL, seen_at {big} NOT NULL)""",
            f"CREATE TABLE console_rate (bucket TEXT PRIMARY KEY, tokens {real} NOT NULL, "
            f"at {real} NOT NULL)",
            f"""CREATE TABLE console_residents (
                sh {blob} PRIMARY KEY, name_masked TEXT NOT NULL, id_masked TEXT NOT NULL,
                updated_at {big} NOT NULL)""",
            f"""CREATE TABLE console_consents (
                id {serial}, sh {blob} NOT NULL, proxy_name TEXT NOT NULL,
                relation TEXT NOT NULL, recorded_by TEXT NOT NULL, at {big} NOT NULL,
                withdrawn_at {big})""",
            "CREATE INDEX console_consents_sh ON console_consents (sh)",
            f"""CREATE TABLE console_notes (
                id {serial}, type INTEGER NOT NULL, key {blob} NOT NULL,
                status INTEGER NOT NULL, reason TEXT NOT NULL, by_user TEXT NOT NULL,
                at {big} NOT NULL)""",
            f"""CREATE TABLE console_print_jobs (
                id TEXT PRIMARY KEY, owner TEXT NOT NULL, pdf {blob} NOT NULL,
                cards INTEGER NOT NULL, created_at {big} NOT NULL)""",
            f"""CREATE TABLE console_alerts (
                id {serial}, key_id TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL,
                raised_at {big} NOT NULL, acked_at {big}, acked_by TEXT, cleared_at {big})""",
            "CREATE INDEX console_alerts_open ON console_alerts (key_id, kind, acked_at)",
            f"""CREATE TABLE console_kiosks (
                key_id TEXT PRIMARY KEY, site TEXT NOT NULL, gate TEXT NOT NULL,
                public_key TEXT NOT NULL, disabled_at {big})""",
            "CREATE TABLE console_sites (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "city TEXT NOT NULL)",
            f"""CREATE TABLE console_audit (
                id {serial}, at {big} NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
                detail TEXT NOT NULL)""",
        ),
    )


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    pw_hash: str
    disabled: bool
    failed: int
    locked_until: int


@dataclass(frozen=True, slots=True)
class Session:
    name: str
    role: str
    csrf: str
    seen_at: int


@dataclass(frozen=True, slots=True)
class Resident:
    sh: bytes
    name_masked: str
    id_masked: str


@dataclass(frozen=True, slots=True)
class Consent:
    id: int
    proxy_name: str
    relation: str
    recorded_by: str
    at: int


@dataclass(frozen=True, slots=True)
class IssuedCode:
    cti: bytes
    sh: bytes
    printed: bool
    status: int
    iat: int
    exp: int
    revoked: bool


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    key_id: str
    kind: str
    detail: str
    raised_at: int
    acked_at: int | None
    acked_by: str | None


@dataclass(frozen=True, slots=True)
class KioskInfo:
    key_id: str
    label: str
    site: str
    gate: str
    disabled: bool


@dataclass(frozen=True, slots=True)
class Site:
    code: str
    name: str
    city: str


@dataclass(frozen=True, slots=True)
class PendingChange:
    seq: int
    type: EntryKind
    key: bytes
    status: Severity
    since: int


def _b(value: object) -> bytes:
    return bytes(value) if isinstance(value, bytes | memoryview | bytearray) else b""


class ConsoleStore:
    """The console's tables plus read-only views of the upload and state databases."""

    def __init__(self, db: SqlDb, uploads: Storage, state: Callable[[], SqlDb]) -> None:
        if not isinstance(uploads, SqlStorage):
            raise StorageError(f"expected an SQL upload storage, got {type(uploads).__name__}")
        self.db = db
        self.uploads = uploads
        self._open_state = state
        self._state: SqlDb | None = None
        self._lock = threading.Lock()
        self.where = db.where

    @property
    def state(self) -> SqlDb:
        """The state database, opened on first use (the service may be initialised later)."""
        with self._lock:
            if self._state is None:
                self._state = self._open_state()
            return self._state

    def close(self) -> None:
        self.db.close()
        with self._lock:
            if self._state is not None:
                self._state.close()

    # -- users ------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, pw_hash: str, now: int, by: str) -> None:
        create_user(self.db, name, role, pw_hash, now, by)

    def user(self, name: str) -> User | None:
        rows = self.db.query("SELECT name, role, pw_hash, disabled, failed, locked_until "
                             "FROM console_users WHERE name = ?", (name,))
        if not rows:
            return None
        r = rows[0]
        return User(str(r[0]), str(r[1]), str(r[2]), bool(r[3]), int(r[4]), int(r[5]))

    def users(self) -> list[User]:
        rows = self.db.query("SELECT name, role, pw_hash, disabled, failed, locked_until "
                             "FROM console_users ORDER BY name")
        return [User(str(r[0]), str(r[1]), str(r[2]), bool(r[3]), int(r[4]), int(r[5]))
                for r in rows]

    def user_count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM console_users")[0][0])

    def login_failed(self, name: str, now: int, max_failures: int, lock_s: int) -> bool:
        """Count a failed login; True when the account is now locked."""
        with self.db.tx() as c:
            row = c.execute("SELECT failed FROM console_users WHERE name = ?",
                            (name,)).fetchone()
            if row is None:
                return False
            failed = int(row[0]) + 1
            locked = failed >= max_failures
            c.execute("UPDATE console_users SET failed = ?, locked_until = ? WHERE name = ?",
                      (0 if locked else failed, now + lock_s if locked else 0, name))
            return locked

    def login_ok(self, name: str) -> None:
        with self.db.tx() as c:
            c.execute("UPDATE console_users SET failed = 0, locked_until = 0 WHERE name = ?",
                      (name,))

    def set_user(self, name: str, *, disabled: bool | None = None, unlock: bool = False,
                 pw_hash: str | None = None, role: str | None = None) -> bool:
        with self.db.tx() as c:
            if disabled is not None:
                c.execute("UPDATE console_users SET disabled = ? WHERE name = ?",
                          (int(disabled), name))
                if disabled:
                    c.execute("DELETE FROM console_sessions WHERE name = ?", (name,))
            if unlock:
                c.execute("UPDATE console_users SET failed = 0, locked_until = 0 "
                          "WHERE name = ?", (name,))
            if pw_hash is not None:
                c.execute("UPDATE console_users SET pw_hash = ? WHERE name = ?", (pw_hash, name))
            if role is not None:
                c.execute("UPDATE console_users SET role = ? WHERE name = ?", (role, name))
            return bool(c.execute("SELECT 1 FROM console_users WHERE name = ?",
                                  (name,)).fetchone())

    # -- sessions ---------------------------------------------------------------------------

    def new_session(self, token_hash: str, name: str, now: int) -> str:
        csrf = secrets.token_urlsafe(32)
        with self.db.tx() as c:
            c.execute("INSERT INTO console_sessions VALUES (?,?,?,?,?)",
                      (token_hash, name, csrf, now, now))
        return csrf

    def session(self, token_hash: str, now: int, idle_s: int, max_age_s: int) -> Session | None:
        """The live session (its idle clock restarted), or None: unknown, idle or too old."""
        with self.db.tx() as c:
            row = c.execute(
                "SELECT s.name, u.role, s.csrf, s.seen_at, s.created_at, u.disabled FROM "
                "console_sessions s JOIN console_users u ON u.name = s.name "
                "WHERE s.token_hash = ?", (token_hash,)).fetchone()
            if row is None:
                return None
            if now - int(row[3]) > idle_s or now - int(row[4]) > max_age_s or row[5]:
                c.execute("DELETE FROM console_sessions WHERE token_hash = ?", (token_hash,))
                return None
            c.execute("UPDATE console_sessions SET seen_at = ? WHERE token_hash = ?",
                      (now, token_hash))
            c.execute("DELETE FROM console_sessions WHERE seen_at < ?", (now - idle_s,))
        return Session(str(row[0]), str(row[1]), str(row[2]), now)

    def end_sessions(self, name: str) -> None:
        with self.db.tx() as c:
            c.execute("DELETE FROM console_sessions WHERE name = ?", (name,))

    def end_session(self, token_hash: str) -> None:
        with self.db.tx() as c:
            c.execute("DELETE FROM console_sessions WHERE token_hash = ?", (token_hash,))

    # -- rate limits ------------------------------------------------------------------------

    def take_token(self, bucket: str, now: float, per_hour: float, burst: int) -> bool:
        """Spend one token of ``bucket`` (refilled at ``per_hour``, at most ``burst``)."""
        with self.db.tx(serialize=f"console-rate-{bucket}") as c:
            row = c.execute("SELECT tokens, at FROM console_rate WHERE bucket = ?",
                            (bucket,)).fetchone()
            tokens = float(burst) if row is None else min(
                float(burst), float(row[0]) + max(0.0, now - float(row[1])) * per_hour / 3600)
            if tokens < 1:
                return False
            c.execute("INSERT INTO console_rate (bucket, tokens, at) VALUES (?,?,?) ON CONFLICT "
                      "(bucket) DO UPDATE SET tokens = excluded.tokens, at = excluded.at",
                      (bucket, tokens - 1, now))
        return True

    # -- residents and consent --------------------------------------------------------------

    def remember_resident(self, sh: bytes, name_masked: str, id_masked: str, now: int) -> None:
        with self.db.tx() as c:
            c.execute("INSERT INTO console_residents VALUES (?,?,?,?) ON CONFLICT (sh) DO UPDATE "
                      "SET name_masked = excluded.name_masked, id_masked = excluded.id_masked, "
                      "updated_at = excluded.updated_at", (sh, name_masked, id_masked, now))

    def resident(self, sh: bytes) -> Resident | None:
        rows = self.db.query("SELECT sh, name_masked, id_masked FROM console_residents "
                             "WHERE sh = ?", (sh,))
        return Resident(_b(rows[0][0]), str(rows[0][1]), str(rows[0][2])) if rows else None

    def residents(self, shs: Sequence[bytes]) -> dict[bytes, Resident]:
        out: dict[bytes, Resident] = {}
        for sh in set(shs):
            r = self.resident(sh)
            if r is not None:
                out[sh] = r
        return out

    def add_consent(self, sh: bytes, proxy_name: str, relation: str, by: str, now: int) -> None:
        with self.db.tx() as c:
            c.execute("INSERT INTO console_consents (sh, proxy_name, relation, recorded_by, at) "
                      "VALUES (?,?,?,?,?)", (sh, proxy_name, relation, by, now))

    def consents(self, sh: bytes) -> list[Consent]:
        rows = self.db.query("SELECT id, proxy_name, relation, recorded_by, at FROM "
                             "console_consents WHERE sh = ? AND withdrawn_at IS NULL "
                             "ORDER BY id", (sh,))
        return [Consent(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4])) for r in rows]

    def add_note(self, etype: EntryKind, key: bytes, status: Severity, reason: str, by: str,
                 now: int) -> None:
        with self.db.tx() as c:
            c.execute("INSERT INTO console_notes (type, key, status, reason, by_user, at) "
                      "VALUES (?,?,?,?,?,?)", (int(etype), key, int(status), reason, by, now))

    def notes(self, keys: Sequence[bytes]) -> dict[bytes, str]:
        """The latest reason given for each key (status changes and revocations)."""
        out: dict[bytes, str] = {}
        for key in set(keys):
            rows = self.db.query("SELECT reason FROM console_notes WHERE key = ? "
                                 "ORDER BY id DESC LIMIT 1", (key,))
            if rows:
                out[key] = str(rows[0][0])
        return out

    # -- print jobs -------------------------------------------------------------------------

    def add_print_job(self, owner: str, pdf: bytes, cards: int, now: int, keep_s: int) -> str:
        job = secrets.token_urlsafe(18)
        with self.db.tx() as c:
            c.execute("DELETE FROM console_print_jobs WHERE created_at < ?", (now - keep_s,))
            c.execute("INSERT INTO console_print_jobs VALUES (?,?,?,?,?)",
                      (job, owner, pdf, cards, now))
        return job

    def print_job(self, job: str, owner: str, now: int, keep_s: int) -> bytes | None:
        rows = self.db.query("SELECT pdf FROM console_print_jobs WHERE id = ? AND owner = ? "
                             "AND created_at >= ?", (job, owner, now - keep_s))
        return _b(rows[0][0]) if rows else None

    # -- state (read-only) ------------------------------------------------------------------

    def subject_status(self, sh: bytes) -> Severity:
        rows = self.state.query("SELECT status FROM entries WHERE type = ? AND key = ?",
                                (int(EntryKind.SUBJECT), sh))
        return Severity(int(rows[0][0])) if rows else Severity.GREEN

    def _revoked(self, ctis: Sequence[bytes]) -> set[bytes]:
        out: set[bytes] = set()
        for cti in ctis:
            if self.state.query("SELECT 1 FROM entries WHERE type = ? AND key = ?",
                                (int(EntryKind.TOKEN), cti)):
                out.add(cti)
        return out

    def _codes(self, where: str, params: Sequence[Any]) -> list[IssuedCode]:
        rows = self.state.query("SELECT cti, sh, kind, status, iat, exp FROM issued WHERE "
                                f"{where} ORDER BY exp", params)
        revoked = self._revoked([_b(r[0]) for r in rows])
        return [IssuedCode(_b(r[0]), _b(r[1]), int(r[2]) == 1, int(r[3]), int(r[4]), int(r[5]),
                           _b(r[0]) in revoked) for r in rows]

    def current_codes(self, sh: bytes, now: int) -> list[IssuedCode]:
        return self._codes("sh = ? AND exp > ?", (sh, now))

    def code(self, cti: bytes) -> IssuedCode | None:
        found = self._codes("cti = ?", (cti,))
        return found[0] if found else None

    def expiring_printed(self, now: int, within_s: int) -> list[IssuedCode]:
        """Printed codes running out within ``within_s`` whose holder has no later printed
        code already (renewed ones drop off the list), revoked ones left out."""
        soon = [c for c in self._codes("kind = 1 AND exp > ? AND exp <= ?",
                                       (now, now + within_s)) if not c.revoked]
        out: list[IssuedCode] = []
        for code in soon:
            later = self.state.query("SELECT count(*) FROM issued WHERE sh = ? AND kind = 1 "
                                     "AND exp > ?", (code.sh, now + within_s))
            if int(later[0][0]) == 0 and all(o.sh != code.sh for o in out):
                out.append(code)
        return out

    def pending_changes(self, limit: int = 500) -> list[PendingChange]:
        (last,) = self.state.query("SELECT coalesce(max(last_seq), 0) FROM published")[0]
        rows = self.state.query("SELECT seq, type, key, status, since FROM changes "
                                "WHERE seq > ? ORDER BY seq LIMIT ?", (int(last), limit))
        return [PendingChange(int(r[0]), EntryKind(int(r[1])), _b(r[2]), Severity(int(r[3])),
                              int(r[4])) for r in rows]

    def list_version(self) -> int:
        return int(self.state.query("SELECT coalesce(max(version), 0) FROM published "
                                    "WHERE done = 1")[0][0])

    # -- kiosks and sites -------------------------------------------------------------------

    def kiosks(self) -> list[KioskInfo]:
        """Enrolled kiosks and disabled ones, with the site and gate an admin gave them."""
        labels = {str(r[0]): str(r[1]) for r in self.uploads.db.query(
            "SELECT key_id, label FROM kiosks")}
        meta = {str(r[0]): (str(r[1]), str(r[2]), r[3] is not None) for r in self.db.query(
            "SELECT key_id, site, gate, disabled_at FROM console_kiosks")}
        out = []
        for kid in sorted(set(labels) | set(meta)):
            site, gate, disabled = meta.get(kid, ("", "", False))
            out.append(KioskInfo(kid, labels.get(kid, ""), site, gate,
                                 disabled and kid not in labels))
        return out

    def place_kiosk(self, key_id: str, site: str, gate: str, public_key: str) -> None:
        with self.db.tx() as c:
            c.execute("INSERT INTO console_kiosks (key_id, site, gate, public_key) "
                      "VALUES (?,?,?,?) ON CONFLICT (key_id) DO UPDATE SET site = excluded.site, "
                      "gate = excluded.gate, public_key = excluded.public_key, "
                      "disabled_at = NULL", (key_id, site, gate, public_key))

    def disable_kiosk(self, key_id: str, now: int) -> bool:
        """Stop a lost kiosk's uploads: its key leaves the upload storage's kiosks."""
        with self.uploads.db.tx() as c:
            gone = c.execute("DELETE FROM kiosks WHERE key_id = ?", (key_id,)).rowcount
        with self.db.tx() as c:
            c.execute("INSERT INTO console_kiosks (key_id, site, gate, public_key, disabled_at) "
                      "VALUES (?,'','','',?) ON CONFLICT (key_id) DO UPDATE SET "
                      "disabled_at = excluded.disabled_at", (key_id, now))
        return gone > 0

    def sites(self) -> list[Site]:
        return [Site(str(r[0]), str(r[1]), str(r[2])) for r in self.db.query(
            "SELECT code, name, city FROM console_sites ORDER BY city, code")]

    def put_site(self, code: str, name: str, city: str) -> None:
        with self.db.tx() as c:
            c.execute("INSERT INTO console_sites VALUES (?,?,?) ON CONFLICT (code) DO UPDATE "
                      "SET name = excluded.name, city = excluded.city", (code, name, city))

    def today_counts(self, start: int, end: int) -> list[tuple[str, str, str, str, int, int, int]]:
        """(key_id, site, gate, outcome, hour, count, latest at) for records in [start, end)."""
        table = self.uploads.records_table
        rows = self.uploads.db.query(
            f"SELECT key_id, site, gate, outcome, (at - ?) / 3600, count(*), max(at) "
            f"FROM {table} WHERE at >= ? AND at < ? GROUP BY 1, 2, 3, 4, 5",
            (start, start, end))
        return [(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), int(r[5]), int(r[6]))
                for r in rows]

    # -- alerts -----------------------------------------------------------------------------

    def raise_alerts(self, found: Sequence[tuple[str, str, str]], checked: Sequence[str],
                     kinds: Sequence[str], now: int) -> None:
        """Open an alert for each (key_id, kind, detail) whose condition is new; a condition
        of a ``checked`` kiosk that is gone clears (a later return raises a new alert). An
        acknowledged alert whose condition persists is not raised again."""
        active = {(k, kind) for k, kind, _ in found}
        with self.db.tx(serialize="console-alerts") as c:
            for key_id, kind, detail in found:
                if c.execute("SELECT 1 FROM console_alerts WHERE key_id = ? AND kind = ? AND "
                             "cleared_at IS NULL", (key_id, kind)).fetchone() is None:
                    c.execute("INSERT INTO console_alerts (key_id, kind, detail, raised_at) "
                              "VALUES (?,?,?,?)", (key_id, kind, detail, now))
            for key_id in checked:
                for kind in kinds:
                    if (key_id, kind) not in active:
                        c.execute("UPDATE console_alerts SET cleared_at = ? WHERE key_id = ? "
                                  "AND kind = ? AND cleared_at IS NULL", (now, key_id, kind))

    def alerts(self, limit: int = 200) -> list[Alert]:
        """The alerts nobody has acknowledged yet, newest first."""
        rows = self.db.query("SELECT id, key_id, kind, detail, raised_at, acked_at, acked_by "
                             "FROM console_alerts WHERE acked_at IS NULL ORDER BY id DESC "
                             "LIMIT ?", (limit,))
        return [Alert(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]),
                      None if r[5] is None else int(r[5]), None if r[6] is None else str(r[6]))
                for r in rows]

    def ack_alert(self, alert_id: int, by: str, now: int) -> bool:
        with self.db.tx() as c:
            return c.execute("UPDATE console_alerts SET acked_at = ?, acked_by = ? WHERE id = ? "
                             "AND acked_at IS NULL", (now, by, alert_id)).rowcount == 1

    # -- audit ------------------------------------------------------------------------------

    def audit(self, who: str, action: str, detail: str, now: int) -> None:
        with self.db.tx() as c:
            c.execute("INSERT INTO console_audit (at, who, action, detail) VALUES (?,?,?,?)",
                      (now, who, action, detail))

    def audit_log(self, limit: int = 200) -> list[tuple[int, str, str, str]]:
        rows = self.db.query("SELECT at, who, action, detail FROM console_audit "
                             "ORDER BY id DESC LIMIT ?", (limit,))
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def create_user(db: SqlDb, name: str, role: str, pw_hash: str, now: int, by: str) -> None:
    """Add a user (AccountError when the name is taken), audited in the same transaction."""
    with db.tx() as c:
        if c.execute("SELECT 1 FROM console_users WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"user name: expected a new one, {name!r} exists already")
        c.execute("INSERT INTO console_users (name, role, pw_hash, created_at) "
                  "VALUES (?,?,?,?)", (name, role, pw_hash, now))
        c.execute("INSERT INTO console_audit (at, who, action, detail) VALUES (?,?,?,?)",
                  (now, by, "add-user", f"{name} role {role}"))


def open_console_db(data_dir: Path, db_url: str | None) -> SqlDb:
    """The console's database, its schema brought up to date."""
    if is_postgres_url(db_url):
        assert db_url is not None
        pg = PostgresDb(db_url)
        try:
            pg.migrate(COMPONENT, _schema("postgres"))
        except StorageError:
            pg.close()
            raise
        return pg
    lite = SqliteDb(sqlite_folder(db_url, data_dir) / DB_FILE)
    try:
        lite.migrate(COMPONENT, _schema("sqlite"))
    except StorageError:
        lite.close()
        raise
    return lite
