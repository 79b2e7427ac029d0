"""Kiosk pull: delta chain or full snapshot, anchor handling, list state, verify with the
synced lists.

Most tests pull from ``InMemoryRepository`` (tests/fakes/tuf_repo.py): they test what pull()
decides and keeps, which needs signed TUF metadata but no network. A few stay end-to-end against
the real service on 127.0.0.1, in both deployments (``deployment``: SQLite in one process, and
two replicas over PostgreSQL behind nginx): first sync + deltas + verify over HTTP,
the upload route, the background scheduler round (pull and signed push), and the check that the
in-memory repository publishes what the service publishes. Network faults are in
test_faults.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import codes
from codes import EntryKind, Kind, Outcome, Severity
from codes.wire import FULL_TARGET, TRUST_TARGET, delta_target, encode_header
from service import ServiceState
from sync._pull import KioskLists, SyncError, pull
from tests.fakes.tuf_repo import InMemoryRepository, pull_from
from tests.service.conftest import Deployment
from tests.sync.servicekit import make_id18, new_service, now, root_of, sync_kiosk

# -- end to end: the real service over HTTP -----------------------------------------------------

@pytest.fixture
def served(deployment: Deployment) -> tuple[ServiceState, str]:
    """The service both ways: SQLite in one process; two replicas over PostgreSQL behind
    nginx."""
    return deployment.state, deployment.url


def test_first_sync_then_deltas_then_verify(served: tuple[ServiceState, str],
                                            tmp_path: Path) -> None:
    st, url = served
    kiosk = tmp_path / "kiosk"
    id_red, id_ok = make_id18(1), make_id18(2)
    tok = st.issue(id18=id_red, name="王五", status=0, kind=Kind.PHONE, proxy=False,
                   now=now() - 60)
    tok_ok = st.issue(id18=id_ok, name="赵六", status=0, kind=Kind.PRINTED, proxy=False,
                      now=now() - 60)
    # 50 unrelated tokens make the full snapshot bigger than two small deltas
    st.bulk_load(iter([(0, i.to_bytes(16, "big"), 3, 1) for i in range(50)]))
    st.publish(now=now())

    first = sync_kiosk(kiosk, url, st)
    assert first.applied == ("trust", "full 2")
    assert first.state.token_entries == 50 and first.state.trust_keys == 1
    lists = KioskLists(kiosk)
    with lists.revocations.open() as rev:
        v = codes.verify(tok.text, lists.trust_store(), rev, now())
    assert (v.outcome, v.reason) == (Outcome.PASS, "ok")

    st.revoke(EntryKind.SUBJECT, codes.subject_hash(id_red), Severity.RED, now=now())
    st.revoke(EntryKind.CARD, codes.card_hash("0123456789ABCDEF"), Severity.YELLOW, now=now())
    st.publish(now=now())
    st.revoke(EntryKind.TOKEN, bytes.fromhex(tok_ok.cti), Severity.REVOKED, now=now())
    st.publish(now=now())

    second = pull(kiosk, url, now=now())  # anchor already on disk
    assert second.applied == ("delta 3", "delta 4")
    assert second.state.revocation_version == 4
    assert (second.state.subject_entries, second.state.card_entries,
            second.state.token_entries) == (1, 1, 51)
    with lists.revocations.open() as rev:
        trust = lists.trust_store()
        v = codes.verify(tok.text, trust, rev, now() + 1)
        assert (v.outcome, v.reason) == (Outcome.DENY, "revoked_subject")
        v = codes.verify(tok_ok.text, trust, rev, now() + 1)
        assert (v.outcome, v.reason) == (Outcome.DENY, "revoked_token")
        assert codes.lookup_card("0123456789abcdef", rev, now() + 1).outcome is \
            Outcome.ATTENTION
        assert codes.lookup_id(id_ok, rev, now() + 1).reason == "no_record"

    third = pull(kiosk, url, now=now())
    assert third.applied == () and third.downloaded_bytes == 0
    state = json.loads((kiosk / "lists" / "state.json").read_bytes())
    assert state["revocation_version"] == 4 and state["last_error"] is None


def test_service_serves_upload_route(served: tuple[ServiceState, str]) -> None:
    import urllib.error
    import urllib.request

    _, url = served
    req = urllib.request.Request(f"{url}/upload/v1/records", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code in (400, 401)  # E2's endpoint answers: not signed → refused


def test_background_sync_round_trip(deployment: Deployment, tmp_path: Path) -> None:
    from service import enroll_kiosk
    from sync import Store, background_sync, device_public_key

    st, url = deployment.state, deployment.url
    kiosk = tmp_path / "k"
    with Store(kiosk) as store:
        sched = background_sync(kiosk, store, "http://127.0.0.1:9")
        status = sched.run_once()  # no trust anchor yet: the pull fails, the round is retried later
        assert status.consecutive_failures == 1 and "trust anchor" in (status.last_error or "")
        pull(kiosk, url, now=now(), bootstrap_root=root_of(st))  # enrolment: anchor
        enroll_kiosk(st.data_dir, device_public_key(kiosk), db_url=deployment.db)
        sched = background_sync(kiosk, store, url)
        status = sched.run_once()
        assert status.last_error is None, status.last_error
        assert status.data_age_s is not None and status.data_age_s < 3600


def test_concurrent_publishers_are_serialised(tmp_path: Path) -> None:
    import threading

    st = new_service(tmp_path / "svc")
    errors: list[BaseException] = []

    def publish_many(state: ServiceState) -> None:
        try:
            for _ in range(5):
                state.publish(now=now())
        except BaseException as e:  # reported below
            errors.append(e)

    def in_thread() -> None:  # a second admin with its own connection, like a second process
        with ServiceState(st.data_dir) as other:
            publish_many(other)

    t = threading.Thread(target=in_thread)
    t.start()
    publish_many(st)
    t.join(timeout=120)
    assert not errors
    versions = st.repo.versions()
    assert st.list_version() == 11  # 1 from init + 10
    assert st.repo.targets()["revocation/full.pkrl"].custom["version"] == 11
    assert versions["timestamp"] == versions["snapshot"]
    st.close()


def test_in_memory_repository_publishes_what_the_service_publishes(tmp_path: Path) -> None:
    t = now()
    st = new_service(tmp_path / "svc")
    repo = InMemoryRepository(now=t)
    sh = codes.subject_hash(make_id18(4))
    changes = [(EntryKind.CARD, bytes([7] * 16), Severity.RED),
               (EntryKind.SUBJECT, sh, Severity.YELLOW),
               (EntryKind.TOKEN, bytes([1] * 16), Severity.REVOKED)]
    for kind, key, status in changes:
        st.revoke(kind, key, status, now=t)
        repo.revoke(kind, key, status, since=t)
    st.publish(now=t)
    repo.publish()
    st.revoke(EntryKind.SUBJECT, sh, Severity.GREEN, now=t)
    repo.revoke(EntryKind.SUBJECT, sh, Severity.GREEN, since=t)
    st.publish(now=t)
    repo.publish()

    real, fake = st.repo.targets(), repo.targets()
    assert set(real) == set(fake) == {TRUST_TARGET, FULL_TARGET, delta_target(1),
                                      delta_target(2), delta_target(3)}
    for path in (FULL_TARGET, delta_target(1), delta_target(2), delta_target(3)):
        # same bytes (hash), same signed custom fields the kiosk reads
        assert (fake[path].length, fake[path].hashes, fake[path].custom) == \
            (real[path].length, real[path].hashes, real[path].custom), path
    real_root = json.loads(st.repo.root_bytes())["signed"]
    fake_root = json.loads(repo.root_bytes())["signed"]
    assert real_root["consistent_snapshot"] is fake_root["consistent_snapshot"] is True
    assert {r: len(v["keyids"]) for r, v in real_root["roles"].items()} == \
        {r: len(v["keyids"]) for r, v in fake_root["roles"].items()}
    st.close()


# -- pull logic against the in-memory repository ------------------------------------------------

@pytest.fixture
def repo() -> InMemoryRepository:
    return InMemoryRepository(now=now())


def _tokens(repo: InMemoryRepository, n: int) -> None:
    """n unrelated revoked tokens: they make the full snapshot bigger than a few small deltas."""
    for i in range(n):
        repo.revoke(EntryKind.TOKEN, i.to_bytes(16, "big"), Severity.REVOKED, since=1)


def _card(repo: InMemoryRepository, i: int) -> None:
    repo.revoke(EntryKind.CARD, bytes([i] * 16), Severity.RED, since=now())


def test_delta_chain_when_smaller_than_the_full_snapshot(repo: InMemoryRepository,
                                                         tmp_path: Path) -> None:
    kiosk = tmp_path / "k"
    _tokens(repo, 50)
    repo.publish()
    assert pull_from(repo, kiosk, now=now(), bootstrap=True).applied == ("trust", "full 2")
    repo.revoke(EntryKind.SUBJECT, codes.subject_hash(make_id18(1)), Severity.RED, since=now())
    repo.publish()
    _card(repo, 1)
    repo.publish()
    repo.requests.clear()
    res = pull_from(repo, kiosk, now=now())
    assert res.applied == ("delta 3", "delta 4")
    assert res.downloaded_bytes == sum(repo.targets()[delta_target(v)].length for v in (3, 4))
    assert f"targets/{FULL_TARGET}" not in repo.requests
    assert f"targets/{TRUST_TARGET}" not in repo.requests  # unchanged: not fetched again
    assert (res.state.revocation_version, res.state.token_entries, res.state.subject_entries,
            res.state.card_entries) == (4, 50, 1, 1)


def test_full_snapshot_when_smaller_than_the_delta_chain(repo: InMemoryRepository,
                                                         tmp_path: Path) -> None:
    kiosk = tmp_path / "k"
    pull_from(repo, kiosk, now=now(), bootstrap=True)
    for i in range(3):  # three one-record deltas weigh more than a three-record snapshot
        _card(repo, i)
        repo.publish()
    chain = sum(repo.targets()[delta_target(v)].length for v in (2, 3, 4))
    assert repo.targets()[FULL_TARGET].length < chain
    res = pull_from(repo, kiosk, now=now())
    assert res.applied == ("full 4",) and res.state.card_entries == 3


def test_lifting_a_status_reaches_the_kiosk(repo: InMemoryRepository, tmp_path: Path) -> None:
    kiosk = tmp_path / "k"
    sh = codes.subject_hash(make_id18(3))
    _tokens(repo, 10)
    repo.revoke(EntryKind.SUBJECT, sh, Severity.RED, since=now())
    repo.publish()
    assert pull_from(repo, kiosk, now=now(), bootstrap=True).state.subject_entries == 1
    repo.revoke(EntryKind.SUBJECT, sh, Severity.GREEN, since=now())
    repo.publish()
    res = pull_from(repo, kiosk, now=now())
    assert res.applied == ("delta 3",) and res.state.subject_entries == 0
    with KioskLists(kiosk).revocations.open() as rev:
        assert codes.lookup_id(make_id18(3), rev, now()).reason == "no_record"


def test_far_behind_kiosk_takes_the_full_snapshot(tmp_path: Path) -> None:
    repo = InMemoryRepository(now=now(), keep_deltas=2)
    kiosk = tmp_path / "k"
    _tokens(repo, 50)  # the chain alone would be the smaller download
    repo.publish()
    pull_from(repo, kiosk, now=now(), bootstrap=True)
    for i in range(4):
        _card(repo, i)
        repo.publish()
    assert sorted(p for p in repo.targets() if p.startswith("revocation/delta-")) == \
        [delta_target(5), delta_target(6)]
    res = pull_from(repo, kiosk, now=now())
    assert res.applied == ("full 6",) and res.state.card_entries == 4


@pytest.mark.parametrize("gap", ["never_published", "withdrawn"])
def test_missing_delta_falls_back_to_full(repo: InMemoryRepository, tmp_path: Path,
                                          gap: str) -> None:
    kiosk = tmp_path / "k"
    _tokens(repo, 50)
    repo.publish()
    pull_from(repo, kiosk, now=now(), bootstrap=True)
    _card(repo, 1)
    repo.publish(delta=gap != "never_published")  # e.g. a bulk import over the delta cap
    _card(repo, 2)
    repo.publish()
    if gap == "withdrawn":
        repo.drop_delta(3)
    assert delta_target(3) not in repo.targets() and delta_target(4) in repo.targets()
    res = pull_from(repo, kiosk, now=now())
    assert res.applied == ("full 4",) and res.state.card_entries == 2


def test_no_anchor_refuses_and_wrong_anchor_fails(repo: InMemoryRepository,
                                                  tmp_path: Path) -> None:
    with pytest.raises(SyncError) as e:
        pull_from(repo, tmp_path / "k1", now=now())
    assert e.value.status == "no_anchor" and "--root" in str(e.value)
    assert repo.requests == []  # nothing asked of the network without an anchor
    other = InMemoryRepository(now=now())
    with pytest.raises(SyncError) as e:
        pull(tmp_path / "k2", repo.url, now=now(), fetcher=repo,
             bootstrap_root=other.root_bytes())
    assert e.value.status == "bad_signature"
    assert KioskLists(tmp_path / "k2").state().verified_at is None
    assert not (tmp_path / "k2" / "lists" / "trust-list.json").exists()


def test_trust_list_is_fetched_again_when_it_changes(repo: InMemoryRepository,
                                                     tmp_path: Path) -> None:
    kiosk = tmp_path / "k"
    first = pull_from(repo, kiosk, now=now(), bootstrap=True)
    code = repo.issue(make_id18(5), iat=now() - 60)
    v = codes.verify(code.text, KioskLists(kiosk).trust_store(), None, now())
    assert (v.outcome, v.reason) == (Outcome.PASS, "ok")
    repo.trust_entry["revoked"] = True  # the issuer key is withdrawn (§6 "revoked")
    repo.publish()
    res = pull_from(repo, kiosk, now=now())
    assert res.applied == ("trust", "full 2")  # an empty delta is no smaller than the full
    assert res.state.trust_sha256 != first.state.trust_sha256
    v = codes.verify(code.text, KioskLists(kiosk).trust_store(), None, now())
    assert (v.outcome, v.reason) == (Outcome.INVALID, "key_revoked")


def test_unchanged_repository_downloads_nothing(repo: InMemoryRepository,
                                                tmp_path: Path) -> None:
    kiosk = tmp_path / "k"
    pull_from(repo, kiosk, now=now(), bootstrap=True)
    repo.requests.clear()
    later = now() + 600
    res = pull_from(repo, kiosk, now=later)
    assert res.applied == () and res.downloaded_bytes == 0
    assert not [r for r in repo.requests if r.startswith("targets/")]
    assert res.state.verified_at == later  # confirmed current, so the data age restarts


def test_list_version_going_backwards_is_refused(repo: InMemoryRepository,
                                                 tmp_path: Path) -> None:
    kiosk = tmp_path / "k"
    pull_from(repo, kiosk, now=now(), bootstrap=True)
    newer = tmp_path / "full99.pkrl"
    newer.write_bytes(encode_header("full", 0, 99, 0))
    KioskLists(kiosk).revocations.install_full(newer, expect_version=99)
    with pytest.raises(SyncError) as e:
        pull_from(repo, kiosk, now=now())
    assert e.value.status == "bad_metadata" and ">= 99" in str(e.value)
    assert KioskLists(kiosk).revocations.version() == 99


def test_unreadable_state_file_is_repaired(repo: InMemoryRepository, tmp_path: Path) -> None:
    kiosk = tmp_path / "k"
    pull_from(repo, kiosk, now=now(), bootstrap=True)
    (kiosk / "lists" / "state.json").write_bytes(b"{not json")
    with pytest.raises(codes.DeviceError, match="JSON list state"):
        KioskLists(kiosk).state()
    res = pull_from(repo, kiosk, now=now())
    assert res.state.revocation_version == 1 and KioskLists(kiosk).state().verified_at


def test_garbage_anchor_and_unwritable_lists(repo: InMemoryRepository, tmp_path: Path) -> None:
    with pytest.raises(SyncError) as e:
        pull(tmp_path / "k1", repo.url, now=now(), fetcher=repo, bootstrap_root=b"{not a root")
    assert e.value.status == "bad_metadata"
    kiosk = tmp_path / "k2"
    (kiosk / "lists").mkdir(parents=True)
    (kiosk / "lists" / "revocation").write_bytes(b"a file where a folder belongs")
    with pytest.raises(SyncError) as e:
        pull_from(repo, kiosk, now=now(), bootstrap=True)
    assert e.value.status == "local_error"


def test_a_kiosk_killed_while_ngclient_relinks_its_root_keeps_its_anchor(
        repo: InMemoryRepository, tmp_path: Path) -> None:
    # ngclient replaces metadata/root.json (a symlink into root_history) by remove-then-create
    # at every start; a kill between the two once cost a kiosk its trust anchor.
    kiosk = tmp_path / "k"
    pull_from(repo, kiosk, now=now(), bootstrap=True)
    link = KioskLists(kiosk).metadata_dir / "root.json"
    link.unlink()
    _card(repo, 7)
    repo.publish()
    result = pull_from(repo, kiosk, now=now())
    assert result.state.card_entries == 1
    assert link.exists()
