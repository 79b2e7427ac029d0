"""A real nginx load balancer and service replicas for tests, all on 127.0.0.1.

``with Replicas(data, db_url, n=2) as reps, Nginx(reps.addresses) as lb: lb.url`` runs n
``passkiosk service --data DATA --db URL --listen 127.0.0.1:PORT`` processes and Debian's nginx
in front of them (own nginx.conf in a temp prefix, ``daemon off``, error and access logs there).
``Nginx(..., static={"/metadata/": dir})`` serves folders directly (TUF as static files).
``reps.kill(i)`` / ``reps.start(i)`` stop and restart one replica; ``lb.upstreams_used()``
reads which replicas nginx sent requests to (from its access log).

pytest: ``lb_service`` (tests/service/conftest.py) gives a started pair behind nginx over a
fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.service.pgfixture import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# The largest upload body (codes.wire.MAX_BATCH_COMPRESSED is 2 MiB) with room to spare: nginx
# refuses bigger ones itself with 413 before a replica sees them.
CLIENT_MAX_BODY = "3m"


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Wait until url answers 200 (bounded)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.URLError) as e:
            last = str(e)
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s ({last})")


class Replicas:
    """n service processes on free ports, all over one data folder and database."""

    def __init__(self, data: Path, db_url: str, n: int = 2,
                 extra: Sequence[str] = ()) -> None:
        self.data = data
        self.db_url = db_url
        self.ports = [free_port() for _ in range(n)]
        self.extra = list(extra)
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * n
        self.logdir = Path(tempfile.mkdtemp(prefix="pk-replicas-"))

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.1:{p}" for p in self.ports]

    def url(self, i: int) -> str:
        return f"http://{self.addresses[i]}"

    def start(self, i: int) -> None:
        argv = [sys.executable, "-c", "import sys, service; sys.exit(service.main())",
                "--data", str(self.data), "--db", self.db_url, "--listen", self.addresses[i],
                # Behind nginx every connection comes from nginx: the per-address cap is
                # nginx's job (limit_conn) there, not the replica's.
                "--max-connections-per-peer", "1024", *self.extra]
        with (self.logdir / f"replica-{i}.log").open("ab") as log:
            self.procs[i] = subprocess.Popen(argv, stdout=log, stderr=log,
                                             cwd=Path(__file__).resolve().parents[2])
        wait_http(self.url(i) + "/healthz")

    def kill(self, i: int, sig: int = signal.SIGKILL) -> None:
        p = self.procs[i]
        if p is not None and p.poll() is None:
            p.send_signal(sig)
            p.wait(timeout=30)
        self.procs[i] = None

    def log(self, i: int) -> str:
        return (self.logdir / f"replica-{i}.log").read_text(errors="replace")

    def __enter__(self) -> Replicas:
        try:
            for i in range(len(self.ports)):
                self.start(i)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for i in range(len(self.ports)):
            self.kill(i, signal.SIGTERM)
        shutil.rmtree(self.logdir, ignore_errors=True)


class Nginx:
    """nginx on 127.0.0.1:port balancing over upstream addresses, with passive health checks.

    A replica that fails (connection refused, reset, timeout, 502/503/504) is skipped for
    ``fail_timeout`` after ``max_fails`` failures; a request that could not be sent is retried
    on the next replica. An upload already sent is never re-sent by nginx (POST is not
    idempotent for it): the kiosk's own retry does that.
    """

    def __init__(self, upstreams: Sequence[str], *, port: int = 0,
                 static: Mapping[str, Path] | None = None, max_fails: int = 1,
                 fail_timeout: int = 2) -> None:
        if not Path(NGINX).exists():
            raise RuntimeError("expected Debian's nginx, found none: run ./dev.sh setup")
        self.upstreams = list(upstreams)
        self.port = port or free_port()
        self.static = dict(static or {})
        self.max_fails = max_fails
        self.fail_timeout = fail_timeout
        self.prefix = Path(tempfile.mkdtemp(prefix="pk-nginx-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        servers = "\n".join(f"        server {a} max_fails={self.max_fails} "
                            f"fail_timeout={self.fail_timeout}s;" for a in self.upstreams)
        statics = "\n".join(
            f"        location {loc} {{ alias {path}/; }}" for loc, path in self.static.items())
        user = "user root root;" if os.geteuid() == 0 else ""
        return f"""{user}
worker_processes 1;
daemon off;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    log_format up '$request_method|$uri|$status|$upstream_addr|$upstream_status';
    client_body_temp_path {self.prefix}/body;
    proxy_temp_path {self.prefix}/proxy;
    fastcgi_temp_path {self.prefix}/fastcgi;
    uwsgi_temp_path {self.prefix}/uwsgi;
    scgi_temp_path {self.prefix}/scgi;
    types {{ application/json json; application/octet-stream pkrl; }}
    upstream replicas {{
{servers}
        keepalive 64;
        # Below the replicas' own idle timeout (HttpConfig.keepalive_timeout, 15 s): nginx
        # drops an idle connection first, so it never sends an upload on one a replica closed.
        keepalive_timeout 10s;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        access_log {self.prefix}/access.log up;
        client_max_body_size {CLIENT_MAX_BODY};
{statics}
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""

    def start(self) -> Nginx:
        conf = self.prefix / "nginx.conf"
        conf.write_text(self.config())
        test = subprocess.run([NGINX, "-t", "-p", str(self.prefix), "-c", str(conf)],
                              capture_output=True, text=True, timeout=30)
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t: {test.stderr[-2000:]}")
        self.proc = subprocess.Popen([NGINX, "-p", str(self.prefix), "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self  # nginx answers; the replicas' state is the test's business
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen within 30 s: {self.error_log()[-2000:]}")

    def error_log(self) -> str:
        try:
            return (self.prefix / "error.log").read_text(errors="replace")
        except OSError:
            return ""

    def upstreams_used(self) -> Counter[str]:
        """How many requests each upstream address answered (from the access log)."""
        used: Counter[str] = Counter()
        try:
            lines = (self.prefix / "access.log").read_text().splitlines()
        except OSError:
            return used
        for line in lines:
            parts = line.split("|")
            if len(parts) == 5 and parts[3] != "-":
                # "$upstream_addr" lists every replica tried, comma-separated; the last answered.
                used[parts[3].split(",")[-1].strip()] += 1
        return used

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.proc = None

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)
