"""Fixtures for the web console tests: a service data folder with one user per role, the
console served by the real service (``BackgroundService``) or by an app with its own limits
and clock (``ConsoleServer``), and ``Web``, a small cookie-keeping HTTP client."""

from __future__ import annotations

import asyncio
import http.client
import http.cookiejar
import re
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from service import ServiceState
from service._console import add_user
from service._console._web import ConsoleConfig, add_console_routes
from service._upload_api import add_routes as add_upload_routes

ID_OK = "11010519491231002X"  # the GB 11643 example number
ID_OTHER = "440106199001011235"
PASSWORD = "correct horse 42"
USERS = {"worker": "wang.worker", "health": "li.health", "ops": "zhao.ops", "admin": "chen.admin"}


def valid_id(n: int) -> str:
    """The n-th valid ID number (birth 1950-01-01 + n days, region 440106, sequence 123)."""
    import datetime as dt

    from codes import id18_check_char

    born = dt.date(1950, 1, 1) + dt.timedelta(days=n)
    body = f"440106{born:%Y%m%d}123"
    return body + id18_check_char(body)


def make_service(data: Path, now: int | None = None) -> None:
    ServiceState.init(data, iss="CN-44", now=int(time.time()) if now is None else now).close()
    for role, name in USERS.items():
        add_user(data, None, name, role, PASSWORD)


@dataclass
class Reply:
    status: int
    text: str
    url: str
    headers: dict[str, str]
    body: bytes


class Web:
    """An HTTP client with a cookie jar; remembers the last CSRF token it saw in a page."""

    def __init__(self, base: str, tls: ssl.SSLContext | None = None) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.set_cookies: list[str] = []  # every Set-Cookie seen, redirects included
        seen = self.set_cookies

        class Recorder(urllib.request.HTTPCookieProcessor):
            def http_response(self, request: urllib.request.Request,
                              response: http.client.HTTPResponse) -> http.client.HTTPResponse:
                seen.extend(response.headers.get_all("Set-Cookie") or [])
                return super().http_response(request, response)

            https_response = http_response

        handlers: list[urllib.request.BaseHandler] = [Recorder(self.jar)]
        if tls is not None:
            handlers.append(urllib.request.HTTPSHandler(context=tls))
        self.opener = urllib.request.build_opener(*handlers)
        self.csrf = ""

    def _open(self, req: urllib.request.Request) -> Reply:
        try:
            with self.opener.open(req, timeout=30) as r:
                body = r.read()
                reply = Reply(r.status, body.decode("utf-8", "replace"), r.url,
                              dict(r.headers.items()), body)
        except urllib.error.HTTPError as e:
            body = e.read()
            reply = Reply(e.code, body.decode("utf-8", "replace"), e.url or "",
                          dict(e.headers.items()), body)
        m = re.search(r'name="csrf" value="([^"]+)"', reply.text)
        if m:
            self.csrf = m.group(1)
        return reply

    def get(self, path: str) -> Reply:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict[str, str] | list[tuple[str, str]],
             csrf: bool = True) -> Reply:
        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf:
            items.append(("csrf", self.csrf))
        return self._open(urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(items).encode(), method="POST"))

    def login(self, user: str, password: str = PASSWORD) -> Reply:
        self.get("/console/login")
        return self.post("/console/login", {"user": user, "password": password})

    def as_role(self, role: str) -> Web:
        reply = self.login(USERS[role])
        assert reply.status == 200, reply.text[:500]
        return self


class ConsoleServer:
    """The upload routes and the console on 127.0.0.1, with its own config and clock."""

    def __init__(self, data: Path, config: ConsoleConfig,
                 clock: Callable[[], float] = time.time) -> None:
        self.data, self.config, self.clock = data, config, clock
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def _start(self) -> str:
        app = web.Application()
        storage = add_upload_routes(app, self.data)
        add_console_routes(app, self.data, storage=storage, config=self.config,
                           clock=self.clock)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    def __enter__(self) -> ConsoleServer:
        self.thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


class Clock:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def service_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("console") / "svc"
    make_service(data)
    return data


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(tmp_path: Path, clock: Clock) -> Iterator[ConsoleServer]:
    """A fresh service with tight limits: 3 lookups at once, 3 failures lock, 10 min idle."""
    data = tmp_path / "svc"
    make_service(data, int(clock.now))
    cfg = ConsoleConfig(lookup_burst=3, lookup_per_hour=1, max_failures=3,
                        idle_timeout_s=600)
    with ConsoleServer(data, cfg, clock) as srv:
        yield srv


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[pytest.TestReport]:
    """Keep each test's outcome on the item, so a browser fixture can show what was on screen
    when a test failed."""
    report: pytest.TestReport = yield
    setattr(item, f"report_{report.when}", report)
    return report
