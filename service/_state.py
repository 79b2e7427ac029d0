"""The provincial service's state: its database, issuing, revocations and list publishing.

State lives in ``<data>/service.sqlite3`` (the default) or in a PostgreSQL database (``db``:
a ``postgresql://`` URL, shared with the upload storage; schema by ``migrate_state``). Keys and
the TUF repository stay in the data folder either way. Issued tokens are kept by token id with
the subject hash only (never a raw ID number). Revocations are kept twice: ``entries`` is the
current list, ``changes`` the ordered log from which each publish cuts a numbered delta (a
version is a range of change sequence numbers, so publishing never rewrites the log).

Publishing is crash-safe in two steps: (1) one database transaction assigns the next list version
to the pending changes (by sequence range) and records the publish as not yet materialised;
(2) the delta, the full snapshot and the trust list are written and handed to the TUF
repository, then the publish is marked done. A publish interrupted in step 2 is redone first by
the next ``publish``. A version's delta is therefore fixed once assigned; deltas are idempotent
puts/removes, so a full snapshot that already contains some later changes is harmless.

TUF targets: ``trust/trust-list.json`` (§6 JSON), ``revocation/full.pkrl`` (``custom.version``)
and ``revocation/delta-<version>.pkrl`` (``custom.base``/``custom.version``) for the last
``PublishConfig.keep_deltas`` versions; a kiosk further behind takes the full snapshot.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import codes
from codes import (
    DeviceError,
    EntryKind,
    Kind,
    Severity,
    TokenError,
    atomic_file,
    install_atomic,
    write_atomic,
)
from codes.wire import (
    FULL_TARGET,
    HEADER,
    TRUST_TARGET,
    delta_target,
    encode_header,
    encode_records,
)
from service._files import private_folder
from service._issuer import (
    ISSUER_KEY_FILE,
    TrustEntry,
    create_issuer_key,
    issuer_kid,
    load_issuer_key,
    write_new_issuer_key,
)
from service._repo import Expiry, TufRepository
from service._sql import (
    PostgresDb,
    SqlDb,
    SqliteDb,
    StorageError,
    Tx,
    is_postgres_url,
    sqlite_folder,
)

DB_FILE = "service.sqlite3"
_BATCH = 100_000
_UPSERT_ENTRY = ("INSERT INTO entries VALUES (?,?,?,?) ON CONFLICT (type, key) DO UPDATE SET "
                 "status = excluded.status, since = excluded.since")


@dataclass(frozen=True, slots=True)
class PublishConfig:
    """How the service cuts list versions into TUF targets."""

    # Deltas kept as targets; a kiosk further behind takes the full snapshot.
    keep_deltas: int = 64
    # A version with more changes than this (a bulk import) gets no delta: kiosks behind it
    # take the full snapshot, which is then smaller than the delta chain anyway.
    max_delta_records: int = 1_000_000

# Schema steps per engine, applied once each in order (``service._sql``: SqliteDb.migrate keeps
# the count in PRAGMA user_version, PostgresDb in schema_migrations). SQLite's first step is the
# schema of the first release, so it passes over a database made before versions.
SQLITE_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS issuer_keys (
            kid TEXT PRIMARY KEY, iss TEXT NOT NULL, alg TEXT NOT NULL, spki TEXT NOT NULL,
            not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, revoked INTEGER NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS issued (
            cti BLOB PRIMARY KEY, sh BLOB NOT NULL, kind INTEGER NOT NULL,
            status INTEGER NOT NULL, proxy INTEGER NOT NULL, iat INTEGER NOT NULL,
            exp INTEGER NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS entries (
            type INTEGER NOT NULL, key BLOB NOT NULL, status INTEGER NOT NULL,
            since INTEGER NOT NULL, PRIMARY KEY (type, key)) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS changes (
            seq INTEGER PRIMARY KEY, type INTEGER NOT NULL, key BLOB NOT NULL,
            status INTEGER NOT NULL, since INTEGER NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS published (
            version INTEGER PRIMARY KEY, at INTEGER NOT NULL, done INTEGER NOT NULL,
            first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL)""",
    ),
    (
        "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, "
        "action TEXT NOT NULL, detail TEXT NOT NULL)",
    ),
)
POSTGRES_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE issuer_keys (
            kid TEXT PRIMARY KEY, iss TEXT NOT NULL, alg TEXT NOT NULL, spki TEXT NOT NULL,
            not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, revoked INTEGER NOT NULL)""",
        """CREATE TABLE issued (
            cti BYTEA PRIMARY KEY, sh BYTEA NOT NULL, kind INTEGER NOT NULL,
            status INTEGER NOT NULL, proxy INTEGER NOT NULL, iat BIGINT NOT NULL,
            exp BIGINT NOT NULL)""",
        """CREATE TABLE entries (
            type INTEGER NOT NULL, key BYTEA NOT NULL, status INTEGER NOT NULL,
            since BIGINT NOT NULL, PRIMARY KEY (type, key))""",
        # Writers of changes hold _CHANGES_LOCK, so sequence numbers commit in order and a
        # publish never cuts past one still in flight.
        """CREATE TABLE changes (
            seq BIGSERIAL PRIMARY KEY, type INTEGER NOT NULL, key BYTEA NOT NULL,
            status INTEGER NOT NULL, since BIGINT NOT NULL)""",
        """CREATE TABLE published (
            version BIGINT PRIMARY KEY, at BIGINT NOT NULL, done INTEGER NOT NULL,
            first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL)""",
        "CREATE TABLE IF NOT EXISTS audit (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, "
        "action TEXT NOT NULL, detail TEXT NOT NULL)",
    ),
)
_CHANGES_LOCK = "passkiosk-changes"


def _audit(c: Tx, action: str, detail: str, now: int) -> None:
    c.execute("INSERT INTO audit (at, action, detail) VALUES (?,?,?)", (now, action, detail))


def open_state_db(data_dir: Path, db: str | None) -> SqlDb:
    """The state database a ``--db`` URL names, migrated (SQLite) or checked (PostgreSQL)."""
    if is_postgres_url(db):
        assert db is not None
        pg = PostgresDb(db)
        have = pg.schema_version("state")
        if have != len(POSTGRES_MIGRATIONS):
            pg.close()
            raise StorageError(f"{pg.where}: expected the state schema at version "
                               f"{len(POSTGRES_MIGRATIONS)}, found {have}: run `passkiosk "
                               "service migrate --db URL` first")
        return pg
    lite = SqliteDb(sqlite_folder(db, data_dir) / DB_FILE)
    lite.migrate("state", SQLITE_MIGRATIONS)
    return lite


def migrate_state(db: str) -> int:
    """Bring a PostgreSQL database's state schema up to date; returns its version."""
    pg = PostgresDb(db)
    try:
        return pg.migrate("state", POSTGRES_MIGRATIONS)
    finally:
        pg.close()


@dataclass(frozen=True, slots=True)
class PublishResult:
    version: int
    delta_records: int
    full_records: int
    targets_version: int


@dataclass(frozen=True, slots=True)
class IssuedToken:
    text: str  # "PK1:..."
    cti: str  # hex
    iat: int
    exp: int
    name_masked: str
    id_masked: str


# PK1 spec §4 step 6: 86,400 s for a phone code; 7 days for a printed one (the spec allows one
# hour of slack above that for the verifier, which the issuer does not use).
MAX_LIFETIME = {Kind.PHONE: 86_400, Kind.PRINTED: 7 * 86_400}


def _dt(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class ServiceState:
    """The service's data folder (TUF repository, keys) and its state database."""

    def __init__(self, data_dir: Path, *, config: PublishConfig | None = None,
                 db: str | None = None) -> None:
        self.data_dir = data_dir
        self.config = config or PublishConfig()
        if not is_postgres_url(db) and not (sqlite_folder(db, data_dir) / DB_FILE).is_file():
            raise DeviceError(f"expected a service data folder with {DB_FILE} in {data_dir}, "
                              "found none: run `passkiosk service init --data DIR` first")
        self._db = open_state_db(data_dir, db)
        if not self._db.query("SELECT 1 FROM meta WHERE key = 'iss'"):
            self._db.close()
            raise DeviceError(f"expected an initialised service in {self._db.where}, found an "
                              "empty database: run `passkiosk service init` first")
        self.repo = TufRepository(data_dir)
        if self._pending_issuer_key().exists():  # an issuer rotation was interrupted
            with self.repo.locked():
                self._finish_issuer_rotation()

    @property
    def db(self) -> SqlDb:
        """The state's database (SQLite or PostgreSQL), for read-only views such as a console."""
        return self._db

    @classmethod
    def init(cls, data_dir: Path, *, iss: str, now: int,
             expiry: Expiry | None = None, db: str | None = None) -> ServiceState:
        """Create a data folder: TUF role keys, issuer key, database, first publish.

        With a PostgreSQL ``db`` (migrated) the database must hold no service yet; the data
        folder keeps the keys and the repository.
        """
        private_folder(data_dir)
        lite_db = sqlite_folder(None if is_postgres_url(db) else db, data_dir) / DB_FILE
        if lite_db.exists():
            raise DeviceError(f"expected an empty folder, found a service in {data_dir}")
        if is_postgres_url(db):
            target = open_state_db(data_dir, db)
            if target.query("SELECT 1 FROM meta WHERE key = 'iss'"):
                target.close()
                raise DeviceError(f"expected an empty database, found a service in "
                                  f"{target.where}")
        else:
            private_folder(lite_db.parent)
            tmp = lite_db.with_name(DB_FILE + ".tmp")
            tmp.unlink(missing_ok=True)
            target = SqliteDb(tmp)
            target.migrate("state", SQLITE_MIGRATIONS)
        try:
            TufRepository.create(data_dir, now=_dt(now), expiry=expiry)
            entry = create_issuer_key(data_dir, iss=iss, now=now)
            with target.tx() as c:
                c.execute("INSERT INTO meta VALUES ('iss', ?)", (iss,))
                c.execute("INSERT INTO issuer_keys VALUES (?,?,?,?,?,?,0)",
                          (entry.kid, entry.iss, entry.alg, entry.spki, entry.not_before,
                           entry.not_after))
        finally:
            target.close()
        if not is_postgres_url(db):
            # The database appears under its real name only when complete: all or nothing.
            install_atomic(tmp, lite_db)
            tmp.unlink()
        state = cls(data_dir, db=db)
        state.publish(now=now, expiry=expiry)
        return state

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ServiceState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self, serialize: str | None = None) -> Iterator[Tx]:
        with self._db.tx(serialize) as c:
            yield c

    def audit(self, action: str, detail: str, now: int) -> None:
        """One line in the audit log (what and when; who is the service user)."""
        with self._tx() as c:
            _audit(c, action, detail, now)

    # -- issuing and revoking ---------------------------------------------------------------

    @property
    def iss(self) -> str:
        return str(self._db.query("SELECT value FROM meta WHERE key='iss'")[0][0])

    def trust_entries(self) -> list[TrustEntry]:
        rows = self._db.query(
            "SELECT kid, iss, alg, spki, not_before, not_after, revoked FROM issuer_keys "
            "ORDER BY kid")
        return [TrustEntry(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    def record_issued(self, *, cti: bytes, sh: bytes, kind: int, status: int, proxy: bool,
                      iat: int, exp: int) -> None:
        """Remember an issued token (subject hash only) so it can be revoked by id later."""
        with self._tx() as c:
            c.execute("INSERT INTO issued VALUES (?,?,?,?,?,?,?)",
                      (cti, sh, kind, status, int(proxy), iat, exp))
            _audit(c, "issue", f"token {cti.hex()} kind {kind} status {status}", iat)

    def issue(self, *, id18: str, name: str, status: int, kind: Kind, proxy: bool, now: int,
              lifetime: int | None = None) -> IssuedToken:
        """Issue a PK1 token for a person; only the subject hash is stored (spec §5).

        Lifetime defaults to the spec maximum for the kind (§4 step 6): 24 h for a phone code,
        7 days for a printed one; a longer one is refused.
        """
        limit = MAX_LIFETIME[kind]
        life = limit if lifetime is None else lifetime
        if not 0 < life <= limit:
            raise TokenError("lifetime", f"expected a lifetime of 1..{limit} s for a "
                                         f"{kind.value} token, got {life}")
        if status not in (0, 1, 2):
            raise TokenError("malformed", f"expected status 0, 1 or 2, got {status}")
        if not codes.check_id18(id18, now):
            raise TokenError("bad_id_number", "expected a valid 18-character ID number "
                                              "(GB 11643 check digit, real birth date)")
        sh = codes.subject_hash(id18)
        cti = secrets.token_bytes(16)
        exp = now + life
        text = codes.issue_pk1(
            signing_key=load_issuer_key(self.data_dir), iss=self.iss, iat=now, exp=exp,
            cti=cti, status=status, kind=kind, sh=sh, nm=codes.mask_name(name),
            im=codes.mask_id(id18), px=True if proxy else None)
        self.record_issued(cti=cti, sh=sh, kind=1 if kind is Kind.PRINTED else 0,
                           status=status, proxy=proxy, iat=now, exp=exp)
        return IssuedToken(text=text, cti=cti.hex(), iat=now, exp=exp,
                           name_masked=codes.mask_name(name), id_masked=codes.mask_id(id18))

    def issued_count(self) -> int:
        return int(self._db.query("SELECT count(*) FROM issued")[0][0])

    def revoke(self, entry_type: EntryKind, key: bytes, status: Severity, *, now: int) -> None:
        """Record a status change for a token, subject or card; it ships with the next publish.

        Tokens can only be revoked; subjects and cards take yellow or red, or REMOVED (lifted).
        """
        if len(key) != 16:
            raise TokenError("malformed", f"expected a 16-byte key, got {len(key)} bytes")
        if entry_type is EntryKind.TOKEN and status is not Severity.REVOKED:
            raise TokenError("malformed", f"expected status revoked for a token, got "
                                          f"{status.name.lower()}")
        if entry_type is not EntryKind.TOKEN and status is Severity.REVOKED:
            raise TokenError("malformed", "expected red, yellow or green for a subject or card, "
                                          "got revoked (that is for --token)")
        with self._tx(_CHANGES_LOCK) as c:
            if status is Severity.GREEN:
                c.execute("DELETE FROM entries WHERE type=? AND key=?", (int(entry_type), key))
            else:
                c.execute(_UPSERT_ENTRY, (int(entry_type), key, int(status), now))
            c.execute("INSERT INTO changes (type, key, status, since) VALUES (?,?,?,?)",
                      (int(entry_type), key, int(status), now))
            _audit(c, "revoke", f"{entry_type.name.lower()} {key.hex()} "
                                f"{status.name.lower()}", now)

    def bulk_load(self, rows: Iterator[tuple[int, bytes, int, int]]) -> int:
        """Load many (type, key, status, since) entries at once (benchmarks, migrations).

        They go into the current list and the change log like ``revoke`` would.
        """
        n = 0
        if isinstance(self._db, SqliteDb):
            # A big page cache for the import: the entries B-tree is far larger than the default.
            self._db.connection.execute("PRAGMA cache_size=-262144")
        with self._tx(_CHANGES_LOCK) as c:
            while True:
                batch = [r for _, r in zip(range(_BATCH), rows, strict=False)]
                if not batch:
                    break
                c.executemany(_UPSERT_ENTRY, batch)
                c.executemany("INSERT INTO changes (type, key, status, since) VALUES (?,?,?,?)",
                              batch)
                n += len(batch)
        return n

    def counts(self) -> dict[str, int]:
        out = {"token": 0, "subject": 0, "card": 0}
        for t, n in self._db.query("SELECT type, count(*) FROM entries GROUP BY type"):
            out[EntryKind(t).name.lower()] = int(n)
        return out

    def list_version(self) -> int:
        row = self._db.query("SELECT max(version) FROM published WHERE done=1")[0]
        return int(row[0] or 0)

    # -- publishing -------------------------------------------------------------------------

    def publish(self, *, now: int, expiry: Expiry | None = None) -> PublishResult:
        """Cut a new list version from pending changes and publish it with fresh metadata.

        Holds the repository lock throughout, so two publishes (or a publish and the running
        service's re-signing) never interleave and list versions reach TUF in order.
        """
        with self.repo.locked():
            return self._publish_locked(now=now, expiry=expiry)

    def _publish_locked(self, *, now: int, expiry: Expiry | None) -> PublishResult:
        for (v,) in self._db.query(
                "SELECT version FROM published WHERE done=0 ORDER BY version"):
            self._materialise(int(v), now=now, expiry=expiry)
        with self._tx(_CHANGES_LOCK) as c:
            version, last = c.execute(
                "SELECT coalesce(max(version), 0) + 1, coalesce(max(last_seq), 0) "
                "FROM published").fetchone()
            (top,) = c.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()
            c.execute("INSERT INTO published VALUES (?,?,0,?,?)",
                      (version, now, last + 1, max(top, last)))
            _audit(c, "publish", f"list version {version} changes {last + 1}..{max(top, last)}",
                   now)
        return self._materialise(version, now=now, expiry=expiry)

    # -- issuer key rotation ----------------------------------------------------------------

    def rotate_issuer_key(self, *, now: int, expiry: Expiry | None = None,
                          revoke_old: bool = False) -> TrustEntry:
        """A new PK1 issuer key: added to the trust list, published, and used from now on.

        Crash-safe like the TUF role rotation (``service._repo``): the new key is written to
        ``keys/issuer.next.pem``, its trust entry committed (the point of no return), then the
        key replaces ``issuer.pem`` and a publish ships the trust list. Kiosks accept its tokens
        after their next sync; the old entry stays, so tokens it signed stay valid (§4 step 4).
        With ``revoke_old`` (a compromised key) every older key is marked revoked in the same
        transaction: kiosks refuse its tokens (``key_revoked``) from their next sync on.
        """
        pending = self._pending_issuer_key()
        with self.repo.locked():
            pending.unlink(missing_ok=True)
            entry = write_new_issuer_key(pending, iss=self.iss, now=now)
            with self._tx() as c:
                c.execute("INSERT INTO issuer_keys VALUES (?,?,?,?,?,?,0)",
                          (entry.kid, entry.iss, entry.alg, entry.spki, entry.not_before,
                           entry.not_after))
                _audit(c, "rotate-key", f"issuer: new key {entry.kid}", now)
                if revoke_old:
                    c.execute("UPDATE issuer_keys SET revoked=1 WHERE kid <> ?", (entry.kid,))
                    _audit(c, "revoke-key", f"issuer: every key but {entry.kid}", now)
            self._finish_issuer_rotation()
            self._publish_locked(now=now, expiry=expiry)
        return entry

    def _pending_issuer_key(self) -> Path:
        return self.data_dir / "keys" / (ISSUER_KEY_FILE.removesuffix(".pem") + ".next.pem")

    def _finish_issuer_rotation(self) -> None:
        pending = self._pending_issuer_key()
        if not pending.exists():
            return
        kid = issuer_kid(pending)
        if any(e.kid == kid for e in self.trust_entries()):
            write_atomic(self.data_dir / "keys" / ISSUER_KEY_FILE, pending.read_bytes(),
                         mode=0o600)
        pending.unlink()

    def _materialise(self, version: int, *, now: int, expiry: Expiry | None) -> PublishResult:
        work = self.data_dir / "work"
        work.mkdir(exist_ok=True)
        delta_path = work / f"delta-{version}.pkrl"
        full_path = work / f"full-{version}.pkrl"
        trust_path = work / "trust-list.json"
        n_delta = self._write_delta(delta_path, version)  # -1: too big, no delta this time
        n_full = self._write_full(full_path, version)
        trust = {"keys": [e.to_json() for e in self.trust_entries()]}
        write_atomic(trust_path, json.dumps(trust, sort_keys=True).encode())
        oldest_kept = version - self.config.keep_deltas
        stale = [t for t in self.repo.targets()
                 if t.startswith("revocation/delta-")
                 and int(t[len("revocation/delta-"):-len(".pkrl")]) <= oldest_kept]
        add = {TRUST_TARGET: trust_path, FULL_TARGET: full_path}
        custom: dict[str, dict[str, object]] = {FULL_TARGET: {"version": version,
                                                              "records": n_full}}
        if n_delta >= 0:
            add[delta_target(version)] = delta_path
            custom[delta_target(version)] = {"base": version - 1, "version": version,
                                             "records": n_delta}
        tv = self.repo.publish(add, remove=stale, custom=custom, now=_dt(now), expiry=expiry)
        with self._tx() as c:
            c.execute("UPDATE published SET done=1 WHERE version=?", (version,))
        for p in (delta_path, full_path):
            p.unlink(missing_ok=True)
        self._prune_targets()
        return PublishResult(version, max(n_delta, 0), n_full, tv)

    def _write_delta(self, path: Path, version: int) -> int:
        """Write the delta file; return its record count, or -1 if it would be too big."""
        first, last = self._db.query(
            "SELECT first_seq, last_seq FROM published WHERE version=?", (version,))[0]
        (n_changes,) = self._db.query(
            "SELECT count(*) FROM changes WHERE seq BETWEEN ? AND ?", (first, last))[0]
        if n_changes > self.config.max_delta_records:
            return -1
        # Last change per (type, key) wins.
        rows = self._db.query(
            "SELECT c.type, c.status, c.key, c.since FROM changes c JOIN (SELECT max(seq) AS m "
            "FROM changes WHERE seq BETWEEN ? AND ? GROUP BY type, key) l ON c.seq = l.m "
            "ORDER BY c.type, c.key", (first, last))
        with atomic_file(path) as f:
            f.write(encode_header("delta", version - 1, version, len(rows)))
            f.write(encode_records((r[0], r[1], bytes(r[2]), r[3]) for r in rows))
        return len(rows)

    def _write_full(self, path: Path, version: int) -> int:
        n = 0
        with atomic_file(path) as f:
            f.write(b"\0" * HEADER.size)  # the count is known at the end
            for batch in self._db.stream(
                    "SELECT type, status, key, since FROM entries ORDER BY type, key",
                    size=_BATCH):
                f.write(encode_records(batch))
                n += len(batch)
            f.seek(0)
            f.write(encode_header("full", 0, version, n))
        return n

    def _prune_targets(self) -> None:
        """Delete target files no longer named by the current or the previous targets version.

        The previous version's files stay one more round: a kiosk may be fetching them now.
        """
        keep: set[str] = set()
        versions = self.repo.versions()["targets"]
        for v in (versions, versions - 1):
            meta = self.repo.metadata_dir / f"{v}.targets.json"
            if not meta.exists():
                continue
            for path, info in json.loads(meta.read_bytes())["signed"]["targets"].items():
                d, sep, base = path.rpartition("/")
                keep.add(f"{d}{sep}{info['hashes']['sha256']}.{base}")
        root = self.repo.targets_dir
        for f in root.rglob("*"):
            if f.is_file() and not f.name.startswith(".") and \
                    str(f.relative_to(root)) not in keep:
                f.unlink()
