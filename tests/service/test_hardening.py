"""The service under hostile peers: content encodings, bodies nobody takes, slow and piled-up
connections, a full file table, clients that vanish mid-body, and file permissions."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import socket
import stat
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from codes.wire import UPLOAD_PATH, EntryRecord, encode_batch, new_record_id
from service import BackgroundService, HttpConfig, ServiceState, UploadLedger, enroll_kiosk
from sync._devicekey import load_or_create_device_key
from tests.sync.servicekit import new_service, now

ROOT = Path(__file__).resolve().parents[2]
IO_TIMEOUT = 20.0  # seconds any single socket wait may take before the test fails


@pytest.fixture()
def service(tmp_path: Path) -> Iterator[ServiceState]:
    st = new_service(tmp_path / "svc")
    yield st
    st.close()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT,
                                 source_address=(source, 0))
    return s


def _request(port: int, raw: bytes, source: str = "127.0.0.1") -> bytes:
    """Send raw bytes, read the answer until the server closes or IO_TIMEOUT passes."""
    with _connect(port, source) as s:
        s.sendall(raw)
        chunks: list[bytes] = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:80]
    return int(answer[9:12])


def _get(port: int, path: str, source: str = "127.0.0.1") -> int:
    raw = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    return _status(_request(port, raw, source))


def _bomb(megabytes: int = 64) -> bytes:
    """A deflate stream of ``megabytes`` MiB of zeros (about 1/1000 of that on the wire)."""
    c = zlib.compressobj(9)
    zeros = b"\0" * (1 << 20)
    return b"".join(c.compress(zeros) for _ in range(megabytes)) + c.flush()


def test_a_transport_encoding_is_refused_without_inflating(service: ServiceState) -> None:
    bomb = _bomb()
    assert len(zlib.decompress(bomb)) == 64 << 20 and len(bomb) < 128 << 10
    with BackgroundService(service.data_dir) as svc:
        port = _port(svc.url)
        for method, path in (("GET", "/healthz"), ("POST", UPLOAD_PATH),
                             ("GET", "/metadata/timestamp.json")):
            head = (f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Encoding: deflate\r\n"
                    f"Content-Length: {len(bomb)}\r\n\r\n").encode()
            answer = _request(port, head + bomb)
            assert _status(answer) == 415, (method, path, answer[:200])
            assert b"Content-Encoding" in answer
        assert _get(port, "/metadata/timestamp.json") == 200


def test_a_body_where_none_is_taken_is_never_read(service: ServiceState) -> None:
    with BackgroundService(service.data_dir) as svc, _connect(_port(svc.url)) as s:
        # Announce 100 MB, send none of it: the answer comes at once and the connection closes.
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        assert _status(answer) == 400 and b"expected no body" in answer


def test_an_unenrolled_upload_is_refused_before_its_body(service: ServiceState) -> None:
    announced = 64 << 20  # far more than the socket buffers between us hold
    with BackgroundService(service.data_dir) as svc, _connect(_port(svc.url)) as s:
        s.sendall(f"POST {UPLOAD_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {announced}\r\n"
                  "X-PK-Key-Id: 0011223344556677\r\nX-PK-Time: 1\r\nX-PK-Nonce: n\r\n"
                  "X-PK-Signature: AAAA\r\n\r\n".encode())
        answer = s.recv(65536)
        assert _status(answer) == 401 and b"enrolled" in answer
        # The server closed without reading the body: sending it fails part way.
        chunk, sent = b"\0" * (1 << 20), 0
        with pytest.raises(OSError):
            for _ in range(announced // len(chunk)):
                s.sendall(chunk)
                sent += len(chunk)
        assert sent < announced


def test_slow_headers_are_cut_at_the_deadline(service: ServiceState) -> None:
    config = HttpConfig(header_timeout=0.5)
    with BackgroundService(service.data_dir, config=config) as svc, \
            _connect(_port(svc.url)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\n")  # and never the rest
        assert s.recv(1024) == b""  # closed by the server (the socket timeout would raise)


def test_a_slow_upload_body_is_cut_at_the_deadline(service: ServiceState, tmp_path: Path
                                                   ) -> None:
    key = load_or_create_device_key(tmp_path / "kiosk")
    enroll_kiosk(service.data_dir, key.public_text)
    body = encode_batch([])
    headers = key.sign_request("POST", UPLOAD_PATH, now(), body)
    config = HttpConfig(body_timeout=0.5)
    with BackgroundService(service.data_dir, config=config) as svc, \
            _connect(_port(svc.url)) as s:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s.sendall(f"POST {UPLOAD_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n{head}"
                  "\r\n".encode() + body[:5])
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        assert _status(answer) == 408


def test_connections_are_capped_per_peer(service: ServiceState) -> None:
    config = HttpConfig(max_connections_per_peer=4, header_timeout=30)
    with BackgroundService(service.data_dir, config=config) as svc:
        port = _port(svc.url)
        held = [_connect(port) for _ in range(4)]
        try:
            for s in held:
                s.sendall(b"GET /healthz HTTP/1.1\r\n")  # slow, kept open
            extra = _connect(port)
            with extra, contextlib.suppress(ConnectionResetError):
                assert extra.recv(1) == b""  # turned away at once
            # Another address is still served while this one is at its cap.
            assert _get(port, "/healthz", source="127.0.0.2") == 200
        finally:
            for s in held:
                s.close()


def test_client_gone_mid_body_is_a_4xx_with_one_log_line(
        service: ServiceState, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key = load_or_create_device_key(tmp_path / "kiosk")
    enroll_kiosk(service.data_dir, key.public_text)
    body = encode_batch([EntryRecord(new_record_id(), now(), "S1", "G1", "pass", "ok", "PK1")])
    caplog.set_level(logging.INFO)
    with BackgroundService(service.data_dir) as svc:
        port = _port(svc.url)
        for _ in range(5):
            headers = key.sign_request("POST", UPLOAD_PATH, now(), body)
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            with _connect(port) as s:
                s.sendall(f"POST {UPLOAD_PATH} HTTP/1.1\r\nHost: x\r\n"
                          f"Content-Length: {len(body) + 500}\r\n{head}\r\n".encode() + body)
            # the connection is closed mid-body here
        assert _get(port, "/healthz") == 200  # served on, and the server saw all five
        deadline = time.monotonic() + IO_TIMEOUT
        while time.monotonic() < deadline and sum(
                "mid-body" in r.getMessage() for r in caplog.records) < 5:
            time.sleep(0.05)
    mid_body = [r for r in caplog.records if "mid-body" in r.getMessage()]
    assert len(mid_body) == 5
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_service_files_are_private(service: ServiceState, tmp_path: Path) -> None:
    key = load_or_create_device_key(tmp_path / "kiosk")
    enroll_kiosk(service.data_dir, key.public_text)
    data = service.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    names = ["service.sqlite3", "uploads.sqlite3", "keys/issuer.pem",
             *(f"keys/{r}.pem" for r in ("root", "targets", "snapshot", "timestamp"))]
    names += [n + s for n in ("service.sqlite3", "uploads.sqlite3") for s in ("-wal", "-shm")
              if (data / (n + s)).exists()]
    assert any(n.endswith("-wal") for n in names)
    for name in names:
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((data / "keys").stat().st_mode) == 0o700


def test_loose_modes_are_tightened_on_open(service: ServiceState) -> None:
    data = service.data_dir
    os.chmod(data, 0o755)
    UploadLedger(data).close()
    for name in ("service.sqlite3", "uploads.sqlite3"):
        os.chmod(data / name, 0o644)
    ServiceState(data).close()
    UploadLedger(data).close()
    assert stat.S_IMODE(data.stat().st_mode) == 0o755  # an existing folder is the admin's
    for name in ("service.sqlite3", "uploads.sqlite3"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_full_file_table_is_one_log_line(service: ServiceState, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log_path = tmp_path / "service.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "service", "--data", str(service.data_dir),
             "--listen", f"127.0.0.1:{port}"], stdout=log_file, stderr=log_file, env=env)
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + IO_TIMEOUT
        while True:
            try:
                assert _get(port, "/healthz") == 200
                break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
        # Its file table shrinks under it (as when other work of the process holds files):
        # accepts start to fail with EMFILE while the connection budget still allows more.
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (48, 48))
        for i in range(120):
            with contextlib.suppress(OSError):
                s = _connect(port, source=f"127.0.0.{2 + i % 4}")
                s.sendall(b"GET /healthz HTTP/1.1\r\n")
                held.append(s)
        time.sleep(3.5)  # the loop retries accept once a second: three retries at least
    finally:
        for s in held:
            s.close()
        proc.terminate()
        proc.wait(IO_TIMEOUT)
    text = log_path.read_text()
    assert text.count("accept failed") == 1, text[-3000:]
    assert "Traceback" not in text, text[-3000:]


def test_the_service_command_takes_its_deadlines(service: ServiceState, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "service", "--data", str(service.data_dir),
         "--listen", f"127.0.0.1:{port}", "--header-timeout", "0.5",
         "--max-connections-per-peer", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + IO_TIMEOUT
        while True:
            try:
                assert _get(port, "/healthz") == 200
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        with _connect(port) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\n")
            assert slow.recv(1024) == b""  # cut at the 0.5 s deadline given on the command line
    finally:
        proc.terminate()
        proc.wait(IO_TIMEOUT)
    bad = subprocess.run([sys.executable, "-m", "kiosk", "service", "--data",
                          str(service.data_dir), "--header-timeout", "0"],
                         capture_output=True, text=True, env=env, timeout=IO_TIMEOUT)
    assert bad.returncode == 2 and "0 < S <= 3600" in bad.stderr
