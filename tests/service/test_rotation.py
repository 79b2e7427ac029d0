"""Key rotation with kiosks in the field: every TUF role and the PK1 issuer key.

Each kiosk was bootstrapped with the service's 1.root.json and syncs over real HTTP
(``BackgroundService`` on 127.0.0.1); after a rotation its next sync must follow the root chain,
take the new lists and keep verifying tokens, old and new.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tuf.api.metadata import Metadata, Root

import codes
from codes import EntryKind, Kind, Outcome, RevocationList, Severity, parse_trust_list, verify
from service import BackgroundService, ServiceState, TufRepository, _repo
from service import main as service_main
from sync import SyncedVerifier
from tests.service.nginxfixture import Nginx, Replicas
from tests.service.pgfixture import PostgresCluster
from tests.sync.servicekit import make_id18, new_service, now, sync_kiosk

TUF_ROLES = ("root", "targets", "snapshot", "timestamp")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceState]:
    st = new_service(tmp_path / "svc")
    yield st
    st.close()


def _kiosk_root_version(kiosk: Path) -> int:
    data = (kiosk / "tuf" / "metadata" / "root.json").read_bytes()
    return Metadata[Root].from_bytes(data).signed.version


def _verdict(kiosk: Path, token: str) -> tuple[Outcome, str]:
    verifier = SyncedVerifier(kiosk, clock=now)
    try:
        v = verifier.check_code(token)
    finally:
        verifier.close()
    return v.outcome, v.reason


def _issue(st: ServiceState, n: int) -> str:
    return st.issue(id18=make_id18(n), name="张三明", status=0, kind=Kind.PHONE, proxy=False,
                    now=now()).text


def _utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.mark.parametrize("role", TUF_ROLES)
def test_a_kiosk_with_the_old_root_follows_a_role_rotation(service: ServiceState, tmp_path: Path,
                                                           role: str) -> None:
    kiosk = tmp_path / "kiosk"
    token = _issue(service, 1)
    old_key = (service.data_dir / "keys" / f"{role}.pem").read_bytes()
    with BackgroundService(service.data_dir) as svc:
        first = sync_kiosk(kiosk, svc.url, service)
        assert _kiosk_root_version(kiosk) == 1
        root_version = service.repo.rotate_key(role, now=_utcnow())
        assert root_version == 2
        service.revoke(EntryKind.SUBJECT, bytes(16), Severity.RED, now=now())
        service.publish(now=now())
        second = sync_kiosk(kiosk, svc.url, service)
    assert _kiosk_root_version(kiosk) == 2
    assert second.state.revocation_version == first.state.revocation_version + 1
    assert second.applied[-1].endswith(f" {second.state.revocation_version}")
    assert _verdict(kiosk, token) == (Outcome.PASS, "ok")
    key_file = service.data_dir / "keys" / f"{role}.pem"
    assert key_file.read_bytes() != old_key and key_file.stat().st_mode & 0o777 == 0o600
    assert not list((service.data_dir / "keys").glob("*.next.pem"))
    root = Metadata[Root].from_bytes(service.repo.root_bytes())
    assert len(root.signatures) == (2 if role == "root" else 1)


def test_a_kiosk_far_behind_walks_the_whole_root_chain(service: ServiceState,
                                                       tmp_path: Path) -> None:
    kiosk = tmp_path / "kiosk"
    token = _issue(service, 2)
    with BackgroundService(service.data_dir) as svc:
        sync_kiosk(kiosk, svc.url, service)
        for role in ("root", "targets", "snapshot", "timestamp", "root"):
            service.repo.rotate_key(role, now=_utcnow())
        entry = service.rotate_issuer_key(now=now())
        new_token = _issue(service, 3)
        result = sync_kiosk(kiosk, svc.url, service)
    assert _kiosk_root_version(kiosk) == 6
    assert "trust" in result.applied
    assert _verdict(kiosk, token) == (Outcome.PASS, "ok")
    assert _verdict(kiosk, new_token) == (Outcome.PASS, "ok")
    kids = {k["kid"] for k in json.loads((kiosk / "lists" / "trust-list.json").read_bytes())
            ["keys"]}
    assert entry.kid in kids and len(kids) == 2


def test_a_fresh_kiosk_bootstrapped_with_root_1_syncs_after_rotations(service: ServiceState,
                                                                      tmp_path: Path) -> None:
    for role in TUF_ROLES:
        service.repo.rotate_key(role, now=_utcnow())
    with BackgroundService(service.data_dir) as svc:
        sync_kiosk(tmp_path / "kiosk", svc.url, service)
    assert _kiosk_root_version(tmp_path / "kiosk") == 5


def test_issuer_rotation_old_tokens_stay_valid_new_ones_after_the_next_sync(
        service: ServiceState, tmp_path: Path) -> None:
    kiosk = tmp_path / "kiosk"
    old_token = _issue(service, 4)
    old_entry = service.trust_entries()[0]
    old_key = (service.data_dir / "keys" / "issuer.pem").read_bytes()
    with BackgroundService(service.data_dir) as svc:
        sync_kiosk(kiosk, svc.url, service)
        entry = service.rotate_issuer_key(now=now())
        new_token = _issue(service, 5)
        # Not synced yet: the kiosk does not know the new key.
        assert _verdict(kiosk, new_token) == (Outcome.INVALID, "unknown_key")
        assert _verdict(kiosk, old_token) == (Outcome.PASS, "ok")
        result = sync_kiosk(kiosk, svc.url, service)
    assert "trust" in result.applied
    assert _verdict(kiosk, new_token) == (Outcome.PASS, "ok")
    assert _verdict(kiosk, old_token) == (Outcome.PASS, "ok")
    entries = {e.kid: e for e in service.trust_entries()}
    assert entries[old_entry.kid] == old_entry  # unchanged: valid until its own not_after
    assert entry.kid != old_entry.kid and entry.kid in entries
    key_file = service.data_dir / "keys" / "issuer.pem"
    assert key_file.read_bytes() != old_key and key_file.stat().st_mode & 0o777 == 0o600


def test_a_rotation_interrupted_after_the_new_root_is_completed_on_next_use(
        service: ServiceState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = service.data_dir
    real_write = codes.write_atomic  # what service._repo calls

    def crash_on_key_install(path: Path, payload: bytes, **kw: object) -> None:
        if path.name == "targets.pem":
            raise OSError("simulated power loss")
        real_write(path, payload, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(_repo, "write_atomic", crash_on_key_install)
    with pytest.raises(OSError, match="simulated"):
        service.repo.rotate_key("targets", now=_utcnow())
    monkeypatch.undo()
    assert (data / "keys" / "targets.next.pem").exists()
    assert (data / "repo" / "metadata" / "2.root.json").exists()
    # The next user of the repository finishes the job: key in place, targets re-signed.
    repo = TufRepository(data)
    with repo.locked():
        pass
    assert not (data / "keys" / "targets.next.pem").exists()
    with BackgroundService(data) as svc:
        result = sync_kiosk(tmp_path / "kiosk", svc.url, service)
    assert _kiosk_root_version(tmp_path / "kiosk") == 2
    assert result.state.revocation_version == service.list_version()


def test_a_new_key_no_root_names_is_discarded(service: ServiceState) -> None:
    stray = service.data_dir / "keys" / "snapshot.next.pem"
    stray.write_bytes((service.data_dir / "keys" / "timestamp.pem").read_bytes())
    before = (service.data_dir / "keys" / "snapshot.pem").read_bytes()
    service.publish(now=now())
    assert not stray.exists()
    assert (service.data_dir / "keys" / "snapshot.pem").read_bytes() == before


def test_rotate_key_command(service: ServiceState, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(service.data_dir)
    assert service_main(["rotate-key", "--data", data, "--role", "snapshot"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rotated"] == "snapshot" and out["root_version"] == 2
    assert service_main(["rotate-key", "--data", data, "--role", "issuer"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rotated"] == "issuer" and len(out["kid"]) == 16
    assert len(service.trust_entries()) == 2
    with pytest.raises(SystemExit):
        service_main(["rotate-key", "--data", data, "--role", "kiosk"])


def test_an_issuer_rotation_interrupted_after_its_entry_is_completed_on_next_open(
        service: ServiceState, monkeypatch: pytest.MonkeyPatch) -> None:
    from service import _state

    data = service.data_dir
    old_key = (data / "keys" / "issuer.pem").read_bytes()
    old_kid = service.trust_entries()[0].kid
    real_write = codes.write_atomic  # what service._state calls

    def crash_on_key_install(path: Path, payload: bytes, **kw: object) -> None:
        if path.name == "issuer.pem":
            raise OSError("simulated power loss")
        real_write(path, payload, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(_state, "write_atomic", crash_on_key_install)
    with pytest.raises(OSError, match="simulated"):
        service.rotate_issuer_key(now=now())
    monkeypatch.undo()
    assert (data / "keys" / "issuer.next.pem").exists()
    assert len(service.trust_entries()) == 2
    service.close()
    with ServiceState(data) as reopened:
        assert not (data / "keys" / "issuer.next.pem").exists()
        assert (data / "keys" / "issuer.pem").read_bytes() != old_key
        token = _issue(reopened, 6)
        trust = parse_trust_list(json.dumps(
            {"keys": [e.to_json() for e in reopened.trust_entries()]}).encode())
        v = verify(token, trust, RevocationList(), now())
        assert v.outcome is Outcome.PASS and v.kid not in (None, old_kid)


@pytest.mark.postgres
def test_every_rotation_through_nginx_static_files_over_postgresql(
        pg_cluster: PostgresCluster, tmp_path: Path) -> None:
    """The deployed shape: state in PostgreSQL, two replicas, nginx serving the TUF tree as
    static files; the admin commands (with --db) rotate every key while a kiosk is out."""
    data, kiosk = tmp_path / "svc", tmp_path / "kiosk"
    db = pg_cluster.create_database()
    assert service_main(["migrate", "--data", str(data), "--db", db]) == 0
    state = ServiceState.init(data, iss="CN-44", now=now(), db=db)
    repo = data / "repo"
    old_token = _issue(state, 7)
    try:
        with Replicas(data, db, n=2) as reps, \
                Nginx(reps.addresses, static={"/metadata/": repo / "metadata",
                                              "/targets/": repo / "targets"}) as lb:
            sync_kiosk(kiosk, lb.url, state)
            for role in ("root", "targets", "snapshot", "timestamp", "issuer"):
                assert service_main(["rotate-key", "--data", str(data), "--db", db,
                                     "--role", role]) == 0
            state.revoke(EntryKind.SUBJECT, bytes(16), Severity.YELLOW, now=now())
            assert service_main(["publish", "--data", str(data), "--db", db]) == 0
            new_token = _issue(state, 8)
            result = sync_kiosk(kiosk, lb.url, state)
        assert _kiosk_root_version(kiosk) == 5
        assert "trust" in result.applied and result.state.revocation_version == \
            state.list_version()
        assert _verdict(kiosk, old_token) == (Outcome.PASS, "ok")
        assert _verdict(kiosk, new_token) == (Outcome.PASS, "ok")
    finally:
        state.close()


def test_a_root_nearing_expiry_is_resigned_and_kiosks_follow(service: ServiceState,
                                                              tmp_path: Path) -> None:
    with BackgroundService(service.data_dir) as svc:
        sync_kiosk(tmp_path / "kiosk", svc.url, service)
        assert "root" not in service.repo.refresh_expiring(now=_utcnow())
        later = _utcnow() + timedelta(days=200)  # past half of the root's 365 days
        assert service.repo.refresh_expiring(now=later)[0] == "root"
        sync_kiosk(tmp_path / "kiosk", svc.url, service)
    assert _kiosk_root_version(tmp_path / "kiosk") == 2
    assert service.repo.expires()["root"] > later + timedelta(days=364)


def test_a_compromised_issuer_key_is_rotated_and_revoked(service: ServiceState, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    kiosk, data = tmp_path / "kiosk", str(service.data_dir)
    old_token = _issue(service, 9)
    with BackgroundService(service.data_dir) as svc:
        sync_kiosk(kiosk, svc.url, service)
        assert _verdict(kiosk, old_token) == (Outcome.PASS, "ok")
        assert service_main(["rotate-key", "--data", data, "--role", "snapshot",
                             "--revoke-old"]) == 2
        assert "--role issuer" in capsys.readouterr().err
        assert service_main(["rotate-key", "--data", data, "--role", "issuer",
                             "--revoke-old"]) == 0
        new_token = _issue(service, 10)
        sync_kiosk(kiosk, svc.url, service)
    assert _verdict(kiosk, old_token) == (Outcome.INVALID, "key_revoked")
    assert _verdict(kiosk, new_token) == (Outcome.PASS, "ok")
    assert [e.revoked for e in sorted(service.trust_entries(), key=lambda e: e.revoked)] == \
        [False, True]
