"""The console behind Debian's nginx terminating TLS, configured as docs/console.md says:
the session cookie is Secure there, and the browser-side client keeps working over HTTPS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service import BackgroundService
from tests.service.console.conftest import ID_OK, USERS, Web, make_service
from tests.service.nginxfixture import NGINX, Nginx, free_port

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian's nginx is missing")


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    crt, pem = folder / "console.crt", folder / "console.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


class TlsNginx(Nginx):
    """The tests' nginx plus the TLS server block of docs/console.md on ``tls_port``."""

    def __init__(self, upstreams: list[str], cert: Path, key: Path) -> None:
        super().__init__(upstreams)
        self.cert, self.key, self.tls_port = cert, key, free_port()

    def config(self) -> str:
        block = f"""
    server {{
        listen 127.0.0.1:{self.tls_port} ssl;
        ssl_certificate     {self.cert};
        ssl_certificate_key {self.key};
        ssl_protocols TLSv1.2 TLSv1.3;
        add_header Strict-Transport-Security "max-age=31536000" always;
        location /console/ {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;  proxy_set_header Connection "";
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header Host $host;
            client_max_body_size 64k;
        }}
    }}
}}
"""
        return super().config().rstrip().removesuffix("}") + block


@pytest.fixture
def tls_console(tmp_path: Path) -> Iterator[tuple[str, str, ssl.SSLContext]]:
    data = tmp_path / "svc"
    make_service(data)
    cert, key = self_signed(tmp_path)
    with BackgroundService(data) as svc:
        nginx = TlsNginx([svc.url.removeprefix("http://")], cert, key).start()
        try:
            yield (f"https://127.0.0.1:{nginx.tls_port}", svc.url,
                   ssl.create_default_context(cafile=str(cert)))
        finally:
            assert nginx.proc is not None
            nginx.proc.terminate()
            nginx.proc.wait(timeout=30)


def test_behind_tls_the_session_cookie_is_secure(
        tls_console: tuple[str, str, ssl.SSLContext]) -> None:
    https, plain, tls = tls_console
    w = Web(https, tls)
    r = w.login(USERS["worker"])
    assert r.status == 200 and r.url.startswith(https) and r.url.endswith("/console/worker")
    (cookie,) = [c for c in w.set_cookies if c.startswith("pk_console=")]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert r.headers.get("Strict-Transport-Security", "").startswith("max-age=")
    # The Secure cookie goes back over HTTPS: the session works through nginx.
    page = w.post("/console/worker/lookup", {"id18": ID_OK, "name": "张三明"})
    assert page.status == 200 and "张*明" in page.text
    # Straight to the service over plain HTTP (no nginx): not Secure, as it cannot be.
    direct = Web(plain)
    direct.login(USERS["worker"])
    (cookie,) = [c for c in direct.set_cookies if c.startswith("pk_console=")]
    assert "Secure" not in cookie
