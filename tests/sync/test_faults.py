"""Faults a kiosk must survive: the sync fails with a clear status, the previous lists stay whole
and in use, and a later good sync recovers.

Network faults (service down, stalled, 5xx, cut-off bodies) run against the real service on
127.0.0.1, through ``FaultProxy`` where needed: they are about sockets and HTTP. Faults in what
a repository serves (forged signatures, rolled-back or expired metadata, endless metadata,
tampered or lost targets) are pull logic over TUF's checks and use ``InMemoryRepository``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tuf.ngclient import FetcherInterface

import codes
from codes import EntryKind, Outcome, Severity
from codes.wire import delta_target
from service import BackgroundService
from sync._pull import KioskLists, SyncError, pull
from tests.fakes.tuf_repo import InMemoryRepository, pull_from
from tests.sync.faultproxy import FaultProxy
from tests.sync.servicekit import make_id18, new_service, now, sync_kiosk

RED_ID = make_id18(11)


@dataclass
class World:
    url: str
    kiosk: Path
    lists: KioskLists
    fetcher: FetcherInterface | None  # None: the real network fetcher


@dataclass
class MemoryWorld(World):
    repo: InMemoryRepository


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A kiosk synced at list version 2 (RED_ID is red), and a newer version 3 published."""
    st = new_service(tmp_path / "svc")
    st.bulk_load(iter([(0, i.to_bytes(16, "big"), 3, 1) for i in range(20)]))
    st.revoke(EntryKind.SUBJECT, codes.subject_hash(RED_ID), Severity.RED, now=now())
    st.publish(now=now())
    with BackgroundService(st.data_dir) as svc:
        kiosk = tmp_path / "kiosk"
        assert sync_kiosk(kiosk, svc.url, st).state.revocation_version == 2
        st.revoke(EntryKind.SUBJECT, codes.subject_hash(RED_ID), Severity.GREEN, now=now())
        st.publish(now=now())
        yield World(svc.url, kiosk, KioskLists(kiosk), None)
    st.close()


@pytest.fixture
def memory(tmp_path: Path) -> MemoryWorld:
    """The same two versions as ``world``, served by an in-memory repository."""
    repo = InMemoryRepository(now=now())
    for i in range(20):
        repo.revoke(EntryKind.TOKEN, i.to_bytes(16, "big"), Severity.REVOKED, since=1)
    repo.revoke(EntryKind.SUBJECT, codes.subject_hash(RED_ID), Severity.RED, since=now())
    repo.publish()
    kiosk = tmp_path / "kiosk"
    assert pull_from(repo, kiosk, now=now(), bootstrap=True).state.revocation_version == 2
    repo.revoke(EntryKind.SUBJECT, codes.subject_hash(RED_ID), Severity.GREEN, since=now())
    repo.publish()
    return MemoryWorld(repo.url, kiosk, KioskLists(kiosk), repo, repo)


def _fails(w: World, status: str, url: str | None = None, **kw: object) -> SyncError:
    before = w.lists.state()
    index_before = w.lists.revocations.path.read_bytes()
    with pytest.raises(SyncError) as e:
        pull(w.kiosk, url or w.url, now=now(), fetcher=w.fetcher, **kw)  # type: ignore[arg-type]
    err = e.value
    assert err.status == status, str(err)
    assert f"({status})" in str(err) and "keeping lists verified" in str(err)
    after = w.lists.state()
    # the old lists stay in use, whole: same version, same verification time, same bytes
    assert (after.revocation_version, after.verified_at) == (2, before.verified_at)
    assert after.last_error is not None and after.last_error.startswith(status)
    assert w.lists.revocations.path.read_bytes() == index_before
    with w.lists.revocations.open() as rev:
        assert codes.lookup_id(RED_ID, rev, now()).outcome is Outcome.DENY
    w.lists.trust_store()  # still loads
    return err


def _recovers(w: World) -> None:
    res = pull(w.kiosk, w.url, now=now(), fetcher=w.fetcher)
    assert res.state.revocation_version == 3 and res.state.last_error is None
    with w.lists.revocations.open() as rev:
        assert codes.lookup_id(RED_ID, rev, now()).reason == "no_record"


# -- the network, against the real service ------------------------------------------------------

def test_service_down(world: World) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"  # bound, not listening: refused
        err = _fails(world, "unreachable", url=closed)
    assert "connect" in str(err)
    _recovers(world)


def test_service_slow_times_out(world: World) -> None:
    with FaultProxy(world.url) as proxy:
        proxy.mode = "stall"
        _fails(world, "timeout", url=proxy.url, timeout=1)
        assert proxy.hits >= 1
    _recovers(world)


@pytest.mark.parametrize("suffix", ["timestamp.json", ".pkrl"])
def test_server_error(world: World, suffix: str) -> None:
    with FaultProxy(world.url) as proxy:
        proxy.mode, proxy.suffix, proxy.status_code = "status", suffix, 503
        err = _fails(world, "http_error", url=proxy.url)
        assert "503" in str(err)
    _recovers(world)


@pytest.mark.parametrize("suffix", ["timestamp.json", ".pkrl"])
def test_truncated_body(world: World, suffix: str) -> None:
    with FaultProxy(world.url) as proxy:
        proxy.mode, proxy.suffix = "truncate", suffix
        _fails(world, "download_failed", url=proxy.url)
        assert proxy.hits >= 1
    _recovers(world)


# -- what the repository serves, in memory ------------------------------------------------------

def test_bad_signature(memory: MemoryWorld) -> None:
    memory.repo.forge_signature("timestamp.json")
    _fails(memory, "bad_signature")
    memory.repo.clear()
    _recovers(memory)


def test_rolled_back_snapshot(memory: MemoryWorld) -> None:
    # the snapshot the kiosk saw last time, served under the new version's name
    memory.repo.roll_back("snapshot", memory.repo.versions["snapshot"] - 1)
    _fails(memory, "rollback")
    memory.repo.clear()
    _recovers(memory)


def test_rolled_back_timestamp(memory: MemoryWorld) -> None:
    # older than the timestamp the kiosk already trusts
    memory.repo.roll_back("timestamp", memory.repo.versions["timestamp"] - 2)
    _fails(memory, "rollback")
    memory.repo.clear()
    _recovers(memory)


def test_expired_metadata_freeze(memory: MemoryWorld) -> None:
    memory.repo.expire_timestamp()
    err = _fails(memory, "expired")
    assert "expired" in str(err)
    memory.repo.resign_timestamp()  # the service's periodic re-signing
    _recovers(memory)


def test_endless_metadata(memory: MemoryWorld) -> None:
    memory.repo.replace("metadata/timestamp.json", b"{" + b" " * 100_000)
    _fails(memory, "too_large")
    memory.repo.clear()
    _recovers(memory)


def test_tampered_target(memory: MemoryWorld) -> None:
    memory.repo.tamper_target(delta_target(3))
    _fails(memory, "bad_hash")
    assert f"targets/{delta_target(3)}" in memory.repo.requests
    memory.repo.clear()
    _recovers(memory)


def test_lost_target_file(memory: MemoryWorld) -> None:
    memory.repo.fail(f"targets/{delta_target(3)}", 404)  # listed, signed, but not there
    err = _fails(memory, "http_error")
    assert "404" in str(err)
    memory.repo.clear()
    _recovers(memory)
