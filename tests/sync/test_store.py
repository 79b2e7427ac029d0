"""The kiosk's SQLite store: records, queue, retention, config, PIN, audit chain, threads."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from codes.wire import EntryRecord, RecordError, new_record_id
from sync._store import (
    DB_FILE,
    DEFAULT_RETENTION_S,
    SiteConfig,
    Store,
    StoreError,
    resolve_data_dir,
)

DAY = 86400
T0 = 1_790_000_000


def mk(at: int = T0, **kw: str | None) -> EntryRecord:
    fields: dict[str, str | None] = {"site": "S1", "gate": "G1", "subject_hash": "ab" * 16,
                                     "token_id": None}
    fields.update(kw)
    return EntryRecord(new_record_id(), at, fields["site"] or "", fields["gate"] or "", "pass",
                       "ok", "PK1", fields["subject_hash"], fields["token_id"])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "kiosk")
    yield s  # type: ignore[misc]
    s.close()


def test_resolve_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_data_dir(str(tmp_path / "x")) == (tmp_path / "x").resolve()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_data_dir(None) == tmp_path / "xdg" / "passkiosk"


def test_durability_settings_and_permissions(store: Store) -> None:
    c = store.connection()
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.add_record(mk())
    files = [p for p in store.data_dir.iterdir() if p.name.startswith(DB_FILE)]
    assert {p.name for p in files} >= {DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm"}
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}
    assert store.integrity_ok()


def test_records_queue_and_reopen(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        recs = [mk(T0 + i) for i in range(5)]
        for r in recs:
            s.add_record(r)
        assert s.get_record(recs[2].record_id) == recs[2]
        assert s.pending_records(3) == recs[:3]  # oldest first
        assert s.mark_uploaded([recs[0].record_id, recs[1].record_id], T0 + 10) == 2
        assert s.mark_uploaded([recs[0].record_id], T0 + 11) == 0  # already marked
    with Store(tmp_path) as s:
        assert s.record_counts().total == 5
        assert s.record_counts().pending == 3
        assert s.pending_records(10) == recs[2:]
        assert s.all_record_ids() == {r.record_id for r in recs}


def test_duplicate_and_forbidden_records_write_nothing(store: Store) -> None:
    r = mk()
    store.add_record(r)
    with pytest.raises(RecordError, match="duplicate"):
        store.add_record(r)
    with pytest.raises(RecordError, match="no ID number"):
        store.add_record(mk(gate="1101051949123100"))
    assert store.record_counts().total == 1


def test_no_raw_id_reaches_the_database_file(store: Store) -> None:
    with pytest.raises(RecordError):
        store.add_record(mk(site="id 44010619900101123X"))
    with pytest.raises(RecordError):
        store.append_audit(T0, "staff", "lookup", "typed 44010619900101123X")
    store.close()
    blob = b"".join(p.read_bytes() for p in store.data_dir.iterdir() if p.is_file())
    assert b"44010619900101123X" not in blob


def test_purge_keeps_pending_and_recent(store: Store) -> None:
    old_up, old_pending, new_up = mk(T0), mk(T0), mk(T0 + 13 * DAY)
    for r in (old_up, old_pending, new_up):
        store.add_record(r)
    store.mark_uploaded([old_up.record_id, new_up.record_id], T0 + 13 * DAY)
    now = T0 + DEFAULT_RETENTION_S + 1
    assert store.purge_uploaded(now) == 1  # default 14 days: only the old uploaded one
    assert store.all_record_ids() == {old_pending.record_id, new_up.record_id}
    assert store.purge_uploaded(now + 365 * DAY) == 1
    assert store.all_record_ids() == {old_pending.record_id}  # never purge un-uploaded


def test_purge_uses_configured_retention(store: Store) -> None:
    store.save_site_config(SiteConfig("S1", "G1", retention_s=2 * DAY))
    r = mk(T0)
    store.add_record(r)
    store.mark_uploaded([r.record_id], T0)
    assert store.purge_uploaded(T0 + 2 * DAY - 1) == 0
    assert store.purge_uploaded(T0 + 2 * DAY + 1) == 1


def test_site_config_and_pin(store: Store) -> None:
    assert store.site_config() is None
    with pytest.raises(StoreError, match="site configuration first"):
        store.set_staff_pin("123456")
    cfg = SiteConfig("Hospital 3", "North", "http://127.0.0.1:8080", 3600, 7 * DAY)
    store.save_site_config(cfg)
    assert store.site_config() == cfg
    store.set_staff_pin("482913")
    assert store.check_staff_pin("482913")
    assert not store.check_staff_pin("482914")
    raw = store.connection().execute("SELECT staff_pin_hash FROM site_config").fetchone()[0]
    assert raw.startswith("scrypt$") and "482913" not in raw
    with pytest.raises(StoreError, match="positive"):
        store.save_site_config(SiteConfig("S", "G", retention_s=0))
    with pytest.raises(RecordError, match="no ID number"):
        store.save_site_config(SiteConfig("11010519491231002X", "G"))


def test_kv_and_transaction_rollback(store: Store) -> None:
    store.kv_set("pull.version", "7")
    assert store.kv_get("pull.version") == "7"
    with pytest.raises(KeyError), store.transaction() as tx:
        tx.execute("INSERT INTO kv VALUES ('pull.other', 'x')")
        raise KeyError("boom")
    assert store.kv_get("pull.other") is None
    with store.transaction() as tx:  # other parts may add their own tables
        tx.execute("CREATE TABLE IF NOT EXISTS pull_demo (v INTEGER)")
    with pytest.raises(StoreError, match="write failed"), store.transaction() as tx:
        tx.execute("INSERT INTO no_such_table VALUES (1)")


def test_audit_chain_ok_and_tamper_detected(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        assert s.verify_audit_chain().ok
        for i in range(5):
            s.append_audit(T0 + i, "staff-1", "sync_now" if i % 2 else "pin_ok", f"n={i}")
        rep = s.verify_audit_chain()
        assert rep.ok and rep.rows == 5
        assert s.audit_entries()[1].prev_hash == s.audit_entries()[0].row_hash

    def tampered(sql: str) -> int | None:
        # Each tamper case on a fresh copy of the same database file.
        d = tmp_path / f"copy{abs(hash(sql))}"
        d.mkdir()
        with Store(tmp_path) as s:
            s.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (d / DB_FILE).write_bytes((tmp_path / DB_FILE).read_bytes())
        c = sqlite3.connect(d / DB_FILE)
        c.execute(sql)
        c.commit()
        c.close()
        with Store(d) as s:
            rep = s.verify_audit_chain()
            assert not rep.ok
            return rep.first_bad_seq

    assert tampered("UPDATE audit_log SET detail = 'n=9' WHERE seq = 3") == 3
    assert tampered("UPDATE audit_log SET at = at + 1 WHERE seq = 2") == 2
    assert tampered("DELETE FROM audit_log WHERE seq = 2") == 3
    assert tampered("DELETE FROM audit_log WHERE seq = 5") == 5  # tail removal: head in kv
    # Rewriting a row *and* its hash still breaks the next row's link.
    assert tampered("UPDATE audit_log SET row_hash = '" + "1" * 64 + "' WHERE seq = 4") == 4


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / DB_FILE).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a database"):
        Store(tmp_path)


def test_a_current_store_opens_without_writing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store(tmp_path).close()
    # Another connection (the kiosk writing a record) holds the write lock: a store whose schema
    # is current opens and reads anyway, where a write would wait for the lock and then fail.
    monkeypatch.setattr("sync._store._BUSY_TIMEOUT_MS", 50)
    writer = sqlite3.connect(tmp_path / DB_FILE, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        with Store(tmp_path) as s:
            assert s.site_config() is None
            with pytest.raises(StoreError, match="expected to start a write"):
                s.kv_set("k", "v")
        writer.execute("COMMIT")
        # One of its tables missing: the open creates it again, so it must write.
        writer.execute("DROP TABLE audit_log")
        writer.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="expected to start a write"):
            Store(tmp_path)
        writer.execute("COMMIT")
    finally:
        writer.close()
    with Store(tmp_path) as s:
        assert s.verify_audit_chain().ok and s.audit_entries() == []


def test_closed_store_refuses(tmp_path: Path) -> None:
    s = Store(tmp_path)
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.record_counts()


def test_gui_and_sync_threads_write_concurrently(store: Store) -> None:
    """One thread writes records (the GUI), another marks them uploaded (sync)."""
    n = 300
    written: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def gui() -> None:
        try:
            for i in range(n):
                r = mk(T0 + i)
                store.add_record(r)
                written.append(r.record_id)
        except BaseException as e:  # reported to the main thread
            errors.append(e)
        finally:
            done.set()

    def sync() -> None:
        try:
            for _ in range(10_000):  # bounded
                batch = store.pending_records(25)
                store.mark_uploaded([r.record_id for r in batch], T0 + n)
                if done.is_set() and not store.pending_records(1):
                    return
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=gui), threading.Thread(target=sync)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert store.record_counts().total == n
    assert store.record_counts().pending == 0
    assert store.all_record_ids() == set(written)


def test_a_version_1_store_keeps_its_records_as_blobs(tmp_path: Path) -> None:
    import sqlite3

    rid = new_record_id()
    conn = sqlite3.connect(tmp_path / DB_FILE)
    conn.executescript(
        "CREATE TABLE entry_records (record_id TEXT PRIMARY KEY, at INTEGER NOT NULL, "
        "site TEXT NOT NULL, gate TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, "
        "format TEXT NOT NULL, subject_hash TEXT, token_id TEXT, uploaded_at INTEGER);"
        "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO entry_records VALUES (?,?,?,?,?,?,?,?,?,NULL)",
                 (rid, T0, "S1", "G1", "pass", "ok", "PK1", "ab" * 16, None))
    conn.commit()
    conn.close()
    with Store(tmp_path) as s:
        (got,) = s.pending_records(10)
        assert (got.record_id, got.subject_hash, got.token_id) == (rid, "ab" * 16, None)
        kind = s.connection().execute("SELECT typeof(record_id), typeof(subject_hash) "
                                      "FROM entry_records").fetchone()
        assert kind == ("blob", "blob")
        assert s.connection().execute("PRAGMA user_version").fetchone()[0] == 2
