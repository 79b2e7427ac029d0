"""The reference service: init, issue, revoke, publish (crash-safe), metadata refresh."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tuf.api.metadata import Metadata, Targets

import codes
from codes import EntryKind, Kind, Outcome, RevocationList, Severity, TokenError, parse_trust_list
from codes.wire import FULL_TARGET, TRUST_TARGET, delta_target
from service._repo import Expiry
from service._state import DB_FILE, PublishConfig, ServiceState
from tests.sync.servicekit import make_id18, new_service, now


@pytest.fixture
def service(tmp_path: Path) -> ServiceState:
    st = new_service(tmp_path / "svc")
    yield st
    st.close()


def _trust(st: ServiceState) -> codes.TrustStore:
    return parse_trust_list(json.dumps({"keys": [e.to_json() for e in st.trust_entries()]})
                            .encode())


def test_init_creates_keys_repo_and_first_publish(service: ServiceState) -> None:
    d = service.data_dir
    for role in ("root", "targets", "snapshot", "timestamp", "issuer"):
        key = d / "keys" / f"{role}.pem"
        assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    assert (d / "repo" / "metadata" / "1.root.json").is_file()
    assert service.list_version() == 1
    assert set(service.repo.targets()) == {TRUST_TARGET, FULL_TARGET, delta_target(1)}
    entry = service.trust_entries()[0]
    assert entry.iss == "CN-44" and entry.alg == "EdDSA" and len(entry.kid) == 16


def test_init_refuses_an_existing_folder(service: ServiceState) -> None:
    with pytest.raises(codes.DeviceError, match="expected an empty"):
        ServiceState.init(service.data_dir, iss="CN-44", now=now())


def test_open_uninitialised_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(codes.DeviceError, match="service init"):
        ServiceState(tmp_path)


@pytest.mark.parametrize("kind, life", [(Kind.PHONE, 86_400), (Kind.PRINTED, 7 * 86_400)])
def test_issue_verifies_and_never_stores_the_raw_id(service: ServiceState, kind: Kind,
                                                    life: int) -> None:
    id18 = make_id18(7)
    t = now()
    tok = service.issue(id18=id18, name="张三明", status=0, kind=kind, proxy=True, now=t)
    assert tok.text.startswith("PK1:") and tok.exp - tok.iat == life
    v = codes.verify(tok.text, _trust(service), RevocationList(), t + 10)
    assert (v.outcome, v.reason, v.kind, v.proxy) == (Outcome.PASS, "ok", kind, True)
    assert v.subject_hash == codes.subject_hash(id18).hex()
    assert v.id_masked == codes.mask_id(id18) and id18 not in (v.id_masked or "")
    service.close()
    for f in service.data_dir.rglob("*"):
        if f.is_file():
            assert id18.encode() not in f.read_bytes(), f


def test_issue_refuses_long_lifetimes_and_bad_ids(service: ServiceState) -> None:
    with pytest.raises(TokenError) as e:
        service.issue(id18=make_id18(1), name="李四", status=0, kind=Kind.PHONE, proxy=False,
                      now=now(), lifetime=86_401)
    assert e.value.reason == "lifetime"
    with pytest.raises(TokenError) as e:
        service.issue(id18="110105198001010010", name="李四", status=0, kind=Kind.PHONE,
                      proxy=False, now=now())
    assert e.value.reason == "bad_id_number"


def test_revoke_validates_status_per_type(service: ServiceState) -> None:
    with pytest.raises(TokenError, match="revoked for a token"):
        service.revoke(EntryKind.TOKEN, bytes(16), Severity.RED, now=now())
    with pytest.raises(TokenError, match="for --token"):
        service.revoke(EntryKind.SUBJECT, bytes(16), Severity.REVOKED, now=now())
    with pytest.raises(TokenError, match="16-byte"):
        service.revoke(EntryKind.CARD, bytes(8), Severity.RED, now=now())


def test_publish_cuts_deltas_with_last_change_winning(service: ServiceState) -> None:
    t = now()
    a, b = bytes([1] * 16), bytes([2] * 16)
    service.revoke(EntryKind.SUBJECT, a, Severity.YELLOW, now=t)
    service.revoke(EntryKind.SUBJECT, a, Severity.RED, now=t + 1)
    service.revoke(EntryKind.CARD, b, Severity.RED, now=t)
    res = service.publish(now=t + 2)
    assert (res.version, res.delta_records, res.full_records) == (2, 2, 2)
    service.revoke(EntryKind.CARD, b, Severity.GREEN, now=t + 3)
    res = service.publish(now=t + 4)
    assert (res.version, res.delta_records, res.full_records) == (3, 1, 1)
    assert service.counts() == {"token": 0, "subject": 1, "card": 0}
    targets = service.repo.targets()
    assert targets[FULL_TARGET].custom == {"version": 3, "records": 1}
    assert targets[delta_target(3)].custom == {"base": 2, "version": 3, "records": 1}


def test_old_deltas_leave_the_targets_and_files_are_pruned(tmp_path: Path,
                                                            request: pytest.FixtureRequest
                                                            ) -> None:
    new_service(tmp_path / "svc").close()
    service = ServiceState(tmp_path / "svc", config=PublishConfig(keep_deltas=3))
    request.addfinalizer(service.close)
    for _ in range(5):
        service.publish(now=now())
    names = sorted(t for t in service.repo.targets() if "delta" in t)
    assert names == [delta_target(4), delta_target(5), delta_target(6)]
    files = {p.name.split(".", 1)[1] for p in (service.repo.targets_dir / "revocation").iterdir()}
    # the previous targets version's files stay one round for kiosks fetching right now
    assert files == {"full.pkrl", "delta-0000000003.pkrl", "delta-0000000004.pkrl",
                     "delta-0000000005.pkrl", "delta-0000000006.pkrl"}


def test_publish_interrupted_after_commit_is_redone(service: ServiceState,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    service.revoke(EntryKind.TOKEN, bytes([9] * 16), Severity.REVOKED, now=now())

    def crash(*a: object, **k: object) -> int:
        raise OSError("disk full (injected)")

    with monkeypatch.context() as m:
        m.setattr(service.repo, "publish", crash)
        with pytest.raises(OSError):
            service.publish(now=now())
    assert service.list_version() == 1  # version 2 assigned but not materialised
    assert delta_target(2) not in service.repo.targets()
    res = service.publish(now=now())  # redoes 2, then cuts 3
    assert res.version == 3
    targets = service.repo.targets()
    assert targets[delta_target(2)].custom["records"] == 1
    assert targets[delta_target(3)].custom["records"] == 0


def test_refresh_expiring_resigns_only_what_is_due(service: ServiceState) -> None:
    before = service.repo.versions()
    t = datetime.now(UTC)
    assert service.repo.refresh_expiring(now=t) == []
    assert service.repo.refresh_expiring(now=t + timedelta(hours=13)) == ["timestamp"]
    assert service.repo.refresh_expiring(now=t + timedelta(days=4)) == \
        ["targets", "snapshot", "timestamp"]
    after = service.repo.versions()
    assert after["timestamp"] == before["timestamp"] + 2
    assert after["targets"] == before["targets"] + 1


def test_expiry_is_signed_into_metadata(tmp_path: Path) -> None:
    st = ServiceState.init(tmp_path / "s", iss="CN-51", now=now(),
                           expiry=Expiry(targets=timedelta(days=2)))
    v = st.repo.versions()["targets"]
    md = Metadata[Targets].from_bytes((st.repo.metadata_dir / f"{v}.targets.json").read_bytes())
    left = md.signed.expires - datetime.now(UTC)
    assert timedelta(days=1, hours=23) < left <= timedelta(days=2)
    assert (tmp_path / "s" / DB_FILE).is_file()
    st.close()


def test_bulk_import_gets_no_delta(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    new_service(tmp_path / "svc").close()
    service = ServiceState(tmp_path / "svc", config=PublishConfig(max_delta_records=2))
    request.addfinalizer(service.close)
    n = service.bulk_load(iter([(2, i.to_bytes(16, "big"), 1, 5) for i in range(5)]))
    res = service.publish(now=now())
    assert (n, res.version, res.delta_records, res.full_records) == (5, 2, 0, 5)
    targets = service.repo.targets()
    assert delta_target(2) not in targets and delta_target(1) in targets
    assert targets[FULL_TARGET].custom["version"] == 2


def test_running_service_resigns_an_expiring_timestamp(service: ServiceState) -> None:
    import time

    from service import BackgroundService, HttpConfig

    service.publish(now=now(), expiry=Expiry(timestamp=timedelta(hours=1)))
    before = service.repo.versions()["timestamp"]
    with BackgroundService(service.data_dir, config=HttpConfig(refresh_every=0.05)):
        deadline = time.monotonic() + 20
        while service.repo.versions()["timestamp"] == before and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the repository for the refresher's write, bounded
    assert service.repo.versions()["timestamp"] > before
    left = service.repo.expires()["timestamp"] - datetime.now(UTC)
    assert left > timedelta(hours=23)
