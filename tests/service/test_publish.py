"""Publishing: one publisher at a time (file lock, PostgreSQL advisory lock), and the TUF
repository served as plain static files by nginx with no service process behind it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codes import EntryKind, Kind, Outcome, Severity
from service import ServiceState
from service import main as service_main
from service._publish_lock import ADVISORY_KEY, file_publish_lock, pg_publish_lock
from sync import SyncedVerifier
from tests.sync.servicekit import make_id18, new_service, now, sync_kiosk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceState]:
    st = new_service(tmp_path / "svc")
    yield st
    st.close()


def test_a_second_publisher_skips_while_the_first_holds_the_lock(
        service: ServiceState, capsys: pytest.CaptureFixture[str]) -> None:
    data = service.data_dir
    before = service.list_version()
    with file_publish_lock(data) as mine:
        assert mine
        assert service_main(["publish", "--data", str(data)]) == 0
        assert "skipped" in json.loads(capsys.readouterr().out)
        assert service.list_version() == before
    assert service_main(["publish", "--data", str(data)]) == 0
    assert json.loads(capsys.readouterr().out)["list_version"] == before + 1


def test_the_lock_is_held_by_another_process_not_just_another_handle(tmp_path: Path) -> None:
    code = ("import sys, pathlib; from service._publish_lock import file_publish_lock\n"
            "with file_publish_lock(pathlib.Path(sys.argv[1])) as mine:\n"
            "    print(mine, flush=True); sys.stdin.readline()\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "True"
        with file_publish_lock(tmp_path) as mine:
            assert not mine
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    with file_publish_lock(tmp_path) as mine:  # released when its holder ended
        assert mine


@pytest.mark.postgres
def test_the_advisory_lock_admits_one_session_at_a_time(pg_url: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_url, autocommit=True) as a, \
            psycopg.connect(pg_url, autocommit=True) as b:
        with pg_publish_lock(a) as first:
            assert first
            with pg_publish_lock(b) as second:
                assert not second
        with pg_publish_lock(b) as again:
            assert again
    # A publisher that dies holding the lock leaves none behind: its session ends with it.
    dying = psycopg.connect(pg_url, autocommit=True)
    assert dying.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()[0]
    dying_pid = dying.info.backend_pid
    with psycopg.connect(pg_url, autocommit=True) as c:
        with pg_publish_lock(c) as mine:
            assert not mine
        dying.close()
        # The server ends the closed session's backend a moment later (bounded wait).
        deadline = time.monotonic() + 10
        while c.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                        (dying_pid,)).fetchone()[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        with pg_publish_lock(c) as mine:
            assert mine


@pytest.mark.postgres
def test_kiosks_sync_from_the_static_tree_served_by_nginx(service: ServiceState,
                                                          tmp_path: Path) -> None:
    from tests.service.nginxfixture import Nginx

    repo = service.data_dir / "repo"
    token = service.issue(id18=make_id18(1), name="张三明", status=0, kind=Kind.PHONE,
                          proxy=False, now=now())
    # No service process at all: the upstream is a closed port, the metadata and targets are
    # nginx's own static files.
    with Nginx(["127.0.0.1:9"], static={"/metadata/": repo / "metadata",
                                        "/targets/": repo / "targets"}) as lb:
        first = sync_kiosk(tmp_path / "kiosk", lb.url, service)
        service.revoke(EntryKind.TOKEN, bytes.fromhex(token.cti), Severity.REVOKED, now=now())
        assert service_main(["publish", "--data", str(service.data_dir)]) == 0
        service.repo.rotate_key("timestamp", now=datetime.now(UTC))
        second = sync_kiosk(tmp_path / "kiosk", lb.url, service)
    assert second.state.revocation_version == first.state.revocation_version + 1
    verifier = SyncedVerifier(tmp_path / "kiosk", clock=now)
    try:
        v = verifier.check_code(token.text)
    finally:
        verifier.close()
    assert (v.outcome, v.reason) == (Outcome.DENY, "revoked_token")



def test_only_expiring_resigns_what_is_due_and_cuts_no_list(
        service: ServiceState, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(service.data_dir)
    before = (service.list_version(), service.repo.versions())
    assert service_main(["publish", "--data", data, "--only-expiring"]) == 0
    assert json.loads(capsys.readouterr().out)["resigned"] == []
    assert (service.list_version(), service.repo.versions()) == before
    # Twenty hours on, the one-day timestamp is past half its life: only it is re-signed.
    later = str(now() + 20 * 3600)
    assert service_main(["publish", "--data", data, "--only-expiring", "--now", later]) == 0
    assert json.loads(capsys.readouterr().out)["resigned"] == ["timestamp"]
    assert service.list_version() == before[0]
    assert service.repo.versions()["timestamp"] == before[1]["timestamp"] + 1


@pytest.mark.postgres
def test_a_publisher_on_another_host_skips_while_the_advisory_lock_is_held(
        pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    psycopg = pytest.importorskip("psycopg")
    data = str(tmp_path / "svc")
    assert service_main(["migrate", "--data", data, "--db", pg_url]) == 0
    state = ServiceState.init(Path(data), iss="CN-44", now=now(), db=pg_url)
    try:
        before = state.list_version()
        capsys.readouterr()
        with psycopg.connect(pg_url, autocommit=True) as other_host, \
                pg_publish_lock(other_host) as mine:
            assert mine
            assert service_main(["publish", "--data", data, "--db", pg_url]) == 0
            assert "skipped" in json.loads(capsys.readouterr().out)
            assert state.list_version() == before
        assert service_main(["publish", "--data", data, "--db", pg_url]) == 0
        assert json.loads(capsys.readouterr().out)["list_version"] == before + 1
    finally:
        state.close()
