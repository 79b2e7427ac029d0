"""Device keys and the service's upload authentication (real aiohttp server on 127.0.0.1)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import stat
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from codes.wire import (
    H_SIGNATURE,
    H_TIME,
    MAX_BATCH_COMPRESSED,
    UPLOAD_PATH,
    DeviceKeyError,
    EntryRecord,
    encode_batch,
    new_record_id,
    parse_public_key,
)
from service._ledger import UploadLedger, enroll_kiosk
from sync._devicekey import (
    DEVICE_KEY_FILE,
    DeviceKey,
    device_public_key,
    load_or_create_device_key,
)
from sync._push import PushError, push_pending
from sync._store import Store, StoreError
from tests.sync._upload_server import UploadServer


def mk() -> EntryRecord:
    return EntryRecord(new_record_id(), int(time.time()), "S1", "G1", "pass", "ok", "PK1",
                       "ab" * 16, None)


def test_device_key_is_private_stable_and_printable(tmp_path: Path) -> None:
    k1 = load_or_create_device_key(tmp_path)
    path = tmp_path / DEVICE_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    k2 = load_or_create_device_key(tmp_path)
    assert k1.public_raw == k2.public_raw
    text = device_public_key(tmp_path)
    assert text == k1.public_text and len(text) == 44
    assert parse_public_key(text) == k1.public_raw
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    os.chmod(path, 0o644)
    load_or_create_device_key(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_bad_key_material_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / DEVICE_KEY_FILE).write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n")
    with pytest.raises(StoreError, match="expected a PEM Ed25519 private key"):
        load_or_create_device_key(tmp_path)
    with pytest.raises(DeviceKeyError, match="base64"):
        parse_public_key("not base64!")
    with pytest.raises(DeviceKeyError, match="44 characters"):
        parse_public_key("A" * 10_000)
    with pytest.raises(DeviceKeyError, match="32 bytes"):
        parse_public_key(base64.b64encode(b"short").decode())


class Client:
    """Raw signed requests, so each check of the service can be broken on purpose."""

    def __init__(self, url: str) -> None:
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname or "", u.port

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            c.request("POST", UPLOAD_PATH, body=body, headers=headers)
            r = c.getresponse()
            return r.status, json.loads(r.read()).get("error", "")
        finally:
            c.close()


Env = tuple[UploadServer, DeviceKey, Client]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    key = load_or_create_device_key(tmp_path / "kiosk")
    enroll_kiosk(tmp_path / "svc", key.public_text, "gate-1")
    with UploadServer(tmp_path / "svc") as srv:
        yield srv, key, Client(srv.url)


def received(srv: UploadServer) -> int:
    with UploadLedger(srv.data_dir) as led:
        return led.received_count()


def test_signed_upload_is_accepted_once_and_replay_refused(env: Env) -> None:
    srv, key, client = env
    body = encode_batch([mk(), mk()])
    headers = key.sign_request("POST", UPLOAD_PATH, int(time.time()), body)
    assert client.post(body, headers) == (200, "")
    status, err = client.post(body, headers)  # the very same request again
    assert status == 401 and "replayed" in err
    assert received(srv) == 2


def test_unauthenticated_requests_get_401_and_store_nothing(env: Env) -> None:
    srv, key, client = env
    body = encode_batch([mk()])
    now = int(time.time())

    assert client.post(body, {})[0] == 401  # no signature at all

    h = key.sign_request("POST", UPLOAD_PATH, now, body)
    status, err = client.post(encode_batch([mk()]), h)  # body swapped after signing
    assert (status, "bad one" in err) == (401, True)

    h = key.sign_request("POST", "/some/other/path", now, body)  # signed for another route
    assert client.post(body, h)[0] == 401

    intruder = DeviceKey(Ed25519PrivateKey.generate())
    h = intruder.sign_request("POST", UPLOAD_PATH, now, body)
    status, err = client.post(body, h)
    assert status == 401 and "unknown key id" in err
    h[next(k for k in h if k.lower() == "x-pk-key-id")] = key.key_id  # claims the good key id
    assert client.post(body, h)[0] == 401

    h = key.sign_request("POST", UPLOAD_PATH, now - 3600, body)  # an hour-old capture
    status, err = client.post(body, h)
    assert status == 401 and "timestamp" in err

    h = key.sign_request("POST", UPLOAD_PATH, now, body)
    h[H_SIGNATURE] = "@@@"
    assert client.post(body, h)[0] == 401
    h[H_TIME] = "soon"
    assert client.post(body, h)[0] == 401
    assert received(srv) == 0


def test_bad_batches_get_400_or_413_and_store_nothing(env: Env) -> None:
    srv, key, client = env
    now = int(time.time())
    bad = encode_batch([mk()])[:-4]  # truncated gzip, correctly signed
    status, err = client.post(bad, key.sign_request("POST", UPLOAD_PATH, now, bad))
    assert status == 400 and "truncated" in err
    big = b"\0" * (MAX_BATCH_COMPRESSED + 1)
    assert client.post(big, key.sign_request("POST", UPLOAD_PATH, now, big))[0] == 413
    assert received(srv) == 0


def test_push_from_unenrolled_kiosk_says_how_to_enroll(tmp_path: Path) -> None:
    key = load_or_create_device_key(tmp_path / "kiosk")
    with Store(tmp_path / "kiosk") as store, UploadServer(tmp_path / "svc") as srv:
        store.add_record(mk())
        with pytest.raises(PushError, match=re.escape("enroll-kiosk " + key.public_text)) as ei:
            push_pending(store, srv.url, key)
        assert ei.value.status == 401
        assert store.record_counts().pending == 1


def test_service_clock_decides_staleness(tmp_path: Path) -> None:
    key = load_or_create_device_key(tmp_path / "kiosk")
    enroll_kiosk(tmp_path / "svc", key.public_text)
    service_time = [time.time() + 3600]  # the kiosk's clock is an hour behind the service
    with Store(tmp_path / "kiosk") as store, \
            UploadServer(tmp_path / "svc", clock=lambda: service_time[0]) as srv:
        store.add_record(mk())
        with pytest.raises(PushError, match=r"timestamp.*check the time"):
            push_pending(store, srv.url, key)
        # Pushing with a clock that agrees with the service (e.g. the kiosk's trusted clock).
        assert push_pending(store, srv.url, key, clock=lambda: service_time[0]).sent == 1


def test_enroll_is_idempotent(tmp_path: Path) -> None:
    k = load_or_create_device_key(tmp_path / "k").public_text
    assert enroll_kiosk(tmp_path / "svc", k) == enroll_kiosk(tmp_path / "svc", k, "renamed")
    with UploadLedger(tmp_path / "svc") as led:
        assert len(led.enrolled_key_ids()) == 1
    with pytest.raises(DeviceKeyError):
        enroll_kiosk(tmp_path / "svc", "AAAA")
