"""Faults a kiosk must survive, against the real service on 127.0.0.1: the sync fails with a
clear status, the previous lists stay whole and in use, and a later good sync recovers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import codes
from codes import EntryKind, Outcome, Severity
from service import BackgroundService, ServiceState
from service._repo import Expiry
from sync._pull import KioskLists, SyncError, pull
from tests.fakes.fetcher import FakeFetcher
from tests.sync.faultproxy import FaultProxy
from tests.sync.servicekit import make_id18, new_service, now, sync_kiosk

RED_ID = make_id18(11)


@dataclass
class World:
    service: ServiceState
    url: str
    kiosk: Path
    lists: KioskLists


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
        yield World(st, svc.url, kiosk, KioskLists(kiosk))
    st.close()


def _fails(w: World, status: str, url: str | None = None, **kw: object) -> SyncError:
    before = w.lists.state()
    index_before = w.lists.revocations.path.read_bytes()
    with pytest.raises(SyncError) as e:
        pull(w.kiosk, url or w.url, now=now(), **kw)  # type: ignore[arg-type]
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
    res = pull(w.kiosk, w.url, now=now())
    assert res.state.revocation_version == 3 and res.state.last_error is None
    with w.lists.revocations.open() as rev:
        assert codes.lookup_id(RED_ID, rev, now()).reason == "no_record"


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


def test_bad_signature(world: World) -> None:
    fetcher = FakeFetcher()

    def forge(body: bytes) -> bytes:  # flip one hex digit of the signature
        i = body.index(b'"sig":"') + 7
        return body[:i] + (b"0" if body[i:i + 1] != b"0" else b"1") + body[i + 1:]

    fetcher.rewrite("/timestamp.json", forge)
    _fails(world, "bad_signature", fetcher=fetcher)
    _recovers(world)


def test_rolled_back_snapshot(world: World) -> None:
    meta = world.service.repo.metadata_dir
    v = world.service.repo.versions()["snapshot"]
    fetcher = FakeFetcher()
    # the snapshot the kiosk saw last time, served under the new version's name
    fetcher.replace(f"/{v}.snapshot.json", (meta / f"{v - 1}.snapshot.json").read_bytes())
    _fails(world, "rollback", fetcher=fetcher)
    _recovers(world)


def test_rolled_back_timestamp(world: World) -> None:
    meta = world.service.repo.metadata_dir
    v = world.service.repo.versions()["timestamp"]
    fetcher = FakeFetcher()
    fetcher.replace("/timestamp.json", (meta / f"{v - 2}.timestamp.json").read_bytes())
    _fails(world, "rollback", fetcher=fetcher)
    _recovers(world)


def test_expired_metadata_freeze(world: World) -> None:
    world.service.publish(now=now(), expiry=Expiry(timestamp=timedelta(hours=-1)))
    err = _fails(world, "expired")
    assert "expired" in str(err)
    world.service.repo.refresh_expiring(now=datetime.now(UTC))
    res = pull(world.kiosk, world.url, now=now())
    assert res.state.revocation_version == 4


def test_endless_metadata(world: World) -> None:
    fetcher = FakeFetcher()
    fetcher.replace("/timestamp.json", b"{" + b" " * 100_000)
    _fails(world, "too_large", fetcher=fetcher)
    _recovers(world)


def test_tampered_target(world: World) -> None:
    fetcher = FakeFetcher()
    fetcher.rewrite(".pkrl", lambda body: body[:-1] + bytes([body[-1] ^ 1]))
    _fails(world, "bad_hash", fetcher=fetcher)
    _recovers(world)
