"""The upload storage on both engines (``service.Storage``): SQLite in a folder and a real
PostgreSQL database. Same behaviour through one interface; PostgreSQL's own parts (day
partitions, migrations run by ``passkiosk service migrate``, riding out a restart) tested too.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from codes.wire import EntryRecord, HealthError, KioskHealth, new_record_id
from service import RateLimit, ServiceState, Storage, StorageError, open_storage
from service import main as service_main
from service._state import DB_FILE
from service._store import HEALTH_HISTORY
from service._store_pg import PostgresStorage
from tests.service.pgfixture import PostgresCluster

T0 = int(datetime(2026, 11, 1, 12, tzinfo=UTC).timestamp())
DAY = 86400
HEALTH = KioskHealth("0.1.0", 7, 60, "ok", "none", (), 3, None)


def pubkey() -> str:
    import base64

    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def mk(at: int) -> EntryRecord:
    return EntryRecord(new_record_id(), at, "Station 1", "East", "pass", "ok", "PK1")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    url = None if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with open_storage(url, tmp_path, migrate=True) as s:
        yield s


def test_kiosks_enrol_once_and_relabel(storage: Storage) -> None:
    key = pubkey()
    kid = storage.enroll(key, "gate 1", now=T0)
    assert storage.enroll(key, "gate 2", now=T0 + 1) == kid
    assert storage.enrolled_key_ids() == [kid]
    assert storage.public_key(kid) is not None and storage.public_key("00" * 8) is None
    assert [a for _, a, _ in storage.audit_log()] == ["enroll-kiosk", "enroll-kiosk"]


def test_batches_are_idempotent_by_record_id(storage: Storage) -> None:
    recs = [mk(T0 - i * 3600) for i in range(48)]  # two days and more
    first = storage.store_batch("k1", recs[:30], T0)
    again = storage.store_batch("k1", recs, T0 + 5)
    assert (first.new, again.new, again.duplicates) == (30, 18, 30)
    assert storage.received_count() == 48
    assert storage.received_ids() == {r.record_id for r in recs}
    page = storage.received_records(10)
    assert [r.record_id for r in page] == sorted(r.record_id for r in recs)[:10]
    assert storage.received_records(10, page[-1].record_id)[0].record_id > page[-1].record_id


def test_two_writers_sending_the_same_batch_store_it_once(storage: Storage,
                                                          tmp_path: Path) -> None:
    recs = [mk(T0 - i) for i in range(200)]
    news: list[int] = []

    def send() -> None:
        news.append(storage.store_batch("k1", recs, T0).new)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(news) == [0, 0, 0, 200] and storage.received_count() == 200


def test_retention_drops_whole_days(storage: Storage) -> None:
    old = [mk(T0 - 3 * DAY) for _ in range(5)]
    new = [mk(T0) for _ in range(7)]
    storage.store_batch("k1", old + new, T0)
    assert storage.drop_records_before(datetime.fromtimestamp(T0 - DAY, UTC).date()) == 5
    assert storage.received_ids() == {r.record_id for r in new}
    if isinstance(storage, PostgresStorage):
        assert storage.partitions() == [datetime.fromtimestamp(T0, UTC).date()]
    # A record of a dropped day sent again later lands again (retention is not a tombstone).
    assert storage.store_batch("k1", old[:1], T0).new == 1


def test_admission_spends_nonces_and_rate(storage: Storage) -> None:
    limit = RateLimit(per_minute=60, burst=3)
    assert storage.admit("k1", "n1", T0, limit) is None
    for _ in range(5):  # replays are refused without spending the kiosk's rate
        assert storage.admit("k1", "n1", T0, limit) == "replay"
    assert storage.admit("k1", "n2", T0, limit) is None
    assert storage.admit("k1", "n2b", T0, limit) is None
    assert storage.admit("k1", "n3", T0, limit) == "rate"
    assert storage.admit("k2", "n4", T0, limit) is None  # each kiosk has its own bucket
    assert storage.admit("k1", "n5", T0 + 1, limit) is None  # one a second comes back
    assert storage.admit("k1", "n6", T0 + 1, limit) == "rate"
    # A nonce seen long ago is forgotten (its request would be stale anyway).
    assert storage.admit("k1", "n1", T0 + 3600, limit) is None


def test_health_latest_and_history(storage: Storage) -> None:
    storage.record_health("k1", HEALTH, T0)
    later = KioskHealth("0.1.1", 8, None, "error", "ok", ("skewed",), 0, "reader unplugged")
    storage.record_health("k1", later, T0 + 60)
    storage.record_health("k2", HEALTH, T0 + 1)
    latest = {r.key_id: r for r in storage.latest_health()}
    assert latest["k1"].health == later and latest["k1"].reported_at == T0 + 60
    assert latest["k2"].health == HEALTH
    assert [r.health for r in storage.health_history("k1")] == [later, HEALTH]


def test_health_history_is_bounded(storage: Storage) -> None:
    for i in range(HEALTH_HISTORY + 5):
        storage.record_health("k1", HEALTH, T0 + i)
    history = storage.health_history("k1", limit=10_000)
    assert len(history) == HEALTH_HISTORY and history[-1].reported_at == T0 + 5


@pytest.mark.parametrize("bad", [
    KioskHealth("0.1.0", 1, 1, "melted", "ok"),
    KioskHealth("0.1.0", -1, 1, "ok", "ok"),
    KioskHealth("0.1.0", 1, 1, "ok", "ok", ("late",)),
    KioskHealth("0.1.0", 1, 1, "ok", "ok", (), 0, "ID 110105198001010013 refused"),
    KioskHealth("x" * 40, 1, 1, "ok", "ok"),
])
def test_bad_health_is_refused_before_it_is_stored(storage: Storage, bad: KioskHealth) -> None:
    with pytest.raises(HealthError):
        storage.record_health("k1", bad, T0)
    assert storage.latest_health() == []


# -- PostgreSQL only ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_an_unmigrated_database_is_refused_with_what_to_do(pg_url: str,
                                                           tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="passkiosk service migrate"):
        open_storage(pg_url, tmp_path)
    with pytest.raises(StorageError, match="passkiosk service migrate"):
        ServiceState(tmp_path, db=pg_url)


@pytest.mark.postgres
def test_migrate_is_versioned_and_idempotent(pg_url: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert service_main(["migrate", "--data", str(tmp_path), "--db", pg_url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == out[1] and '"db": "postgresql"' in out[0]
    with psycopg.connect(pg_url) as c:
        rows = c.execute("SELECT component, version FROM schema_migrations ORDER BY 1").fetchall()
        kinds = c.execute("SELECT relkind FROM pg_class WHERE relname = 'entry_records'"
                          ).fetchall()
    versions = dict(rows)  # other components (the web console's) may have their own
    assert (versions["state"], versions["uploads"]) == (1, 2)
    assert kinds == [("p",)]  # declaratively partitioned


@pytest.mark.postgres
def test_every_command_takes_db(pg_url: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "svc")
    db = ["--data", data, "--db", pg_url]
    assert service_main(["migrate", *db]) == 0
    assert service_main(["init", *db]) == 0
    assert not (tmp_path / "svc" / DB_FILE).exists()  # the state is in PostgreSQL
    assert service_main(["init", *db]) == 2
    assert "expected an empty" in capsys.readouterr().err
    assert service_main(["revoke", *db, "--token", "ab" * 16, "--status", "revoked"]) == 0
    assert service_main(["publish", *db]) == 0
    assert service_main(["enroll-kiosk", *db, pubkey()]) == 0
    with ServiceState(tmp_path / "svc", db=pg_url) as st:
        assert st.counts()["token"] == 1 and st.list_version() == 2
    with open_storage(pg_url, data) as s:
        assert len(s.enrolled_key_ids()) == 1


@pytest.mark.postgres
def test_far_away_days_get_no_partition_and_are_kept(pg_url: str, tmp_path: Path) -> None:
    with open_storage(pg_url, tmp_path, migrate=True) as s:
        assert isinstance(s, PostgresStorage)
        years_ago = int(datetime(2021, 3, 1, tzinfo=UTC).timestamp())
        ahead = int(datetime(2099, 1, 1, tzinfo=UTC).timestamp())
        recs = [mk(years_ago + i * DAY) for i in range(50)] + [mk(ahead), mk(T0)]
        assert s.store_batch("k1", recs, T0).new == 52
        assert s.store_batch("k1", recs, T0).new == 0  # idempotent there too
        assert s.partitions() == [datetime.fromtimestamp(T0, UTC).date()]
        assert s.received_ids() == {r.record_id for r in recs}
        assert s.drop_records_before(datetime(2022, 1, 1, tzinfo=UTC).date()) == 50
        assert s.received_count() == 2


@pytest.mark.postgres
def test_storage_rides_out_a_database_restart(pg_cluster: PostgresCluster, pg_url: str,
                                              tmp_path: Path) -> None:
    with open_storage(pg_url, tmp_path, migrate=True) as s:
        assert s.store_batch("k1", [mk(T0)], T0).new == 1  # pooled connection now open
        pg_cluster.restart()
        # The pooled connection died with the server: one clean StorageError at most, then
        # a fresh connection.
        deadline = time.monotonic() + 30
        while True:
            try:
                assert s.store_batch("k1", [mk(T0)], T0).new == 1
                break
            except StorageError:
                assert time.monotonic() < deadline
        assert s.received_count() == 2


@pytest.mark.postgres
def test_an_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    from tests.service.pgfixture import free_port

    url = f"postgresql://pktest@127.0.0.1:{free_port()}/none"
    with pytest.raises(StorageError, match="expected the database to answer"):
        open_storage(url, tmp_path)
    with pytest.raises(StorageError, match="expected sqlite:///FOLDER or postgresql"):
        open_storage("mysql://x", tmp_path)


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres",
                                                           marks=pytest.mark.postgres)])
def test_retention_and_health_from_the_command_line(engine: str, tmp_path: Path,
                                                    request: pytest.FixtureRequest,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "svc"
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'db'}"  # the SQLite files outside the data folder
    else:
        url = request.getfixturevalue("pg_url")
        assert service_main(["migrate", "--data", str(data), "--db", url]) == 0
    db = ["--data", str(data), "--db", url]
    assert service_main(["init", *db, "--now", str(T0)]) == 0
    with open_storage(url, data) as s:
        s.store_batch("k1", [mk(T0 - 10 * DAY), mk(T0 - 10 * DAY), mk(T0)], T0)
        s.record_health("k1", HEALTH, T0)
    capsys.readouterr()
    assert service_main(["prune-records", *db, "--keep-days", "7", "--now", str(T0)]) == 0
    assert '"records": 2' in capsys.readouterr().out
    assert service_main(["kiosk-health", *db]) == 0
    line = json.loads(capsys.readouterr().out)
    assert (line["key_id"], line["queue_depth"], line["reported_at"]) == ("k1", 3, T0)
    with open_storage(url, data) as s:
        assert s.received_count() == 1
    if engine == "sqlite":
        assert (tmp_path / "db" / DB_FILE).is_file() and not (data / DB_FILE).exists()
    assert service_main(["prune-records", *db, "--keep-days", "0"]) == 2


def test_the_kiosk_rate_must_be_sane(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for bad in (["--kiosk-rate", "0"], ["--kiosk-burst", "0"]):
        assert service_main(["--data", str(tmp_path), *bad]) == 2
        assert "--kiosk-rate/--kiosk-burst: expected" in capsys.readouterr().err


def test_sqlite_files_of_the_previous_release_are_brought_up_to_date(tmp_path: Path) -> None:
    import sqlite3

    from service._ledger import LEDGER_FILE
    from service._ledger import MIGRATIONS as LEDGER_STEPS
    from service._state import SQLITE_MIGRATIONS

    data = tmp_path / "svc"
    ServiceState.init(data, iss="CN-44", now=int(time.time())).close()
    open_storage(None, data).close()
    # Roll both files back to what the previous release wrote: no audit, no health, no rate
    # table, the ledger at version 1 and the state file without a version.
    for name, drop, version in ((DB_FILE, ["audit"], 0), (LEDGER_FILE, [
            "audit", "kiosk_health", "kiosk_health_history", "upload_rate"], 1)):
        conn = sqlite3.connect(data / name)
        for table in drop:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DROP INDEX IF EXISTS received_at_day")
        conn.execute(f"PRAGMA user_version = {version}")
        conn.commit()
        conn.close()
    with ServiceState(data) as st:
        st.audit("check", "after the upgrade", T0)
        assert st.list_version() == 1
    with open_storage(None, data) as s:
        s.record_health("k1", HEALTH, T0)
        assert s.admit("k1", "n", T0, RateLimit()) is None
    for name, steps in ((DB_FILE, SQLITE_MIGRATIONS), (LEDGER_FILE, LEDGER_STEPS)):
        conn = sqlite3.connect(data / name)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(steps)
        conn.close()
