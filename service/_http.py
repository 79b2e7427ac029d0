"""The provincial service over HTTP (aiohttp): the TUF repository as static files, the signed
entry-record and kiosk-health uploads and a health probe. Handlers hold no state of their own:
everything lives in the data folder (repository files) and the database (``--db``: SQLite in
the data folder, or PostgreSQL shared by N replicas behind a load balancer). ``/healthz``
answers 503 when the database does not, so a load balancer stops sending work to a replica
that cannot store it.

An unauthenticated peer can make the service do only bounded work:

- Transport content encodings are refused with 415 and never inflated: the parser runs with
  ``auto_decompress=False`` (an upload batch is gzip *content*, signed as compressed bytes).
- A request body is read only by the upload route, and only after its signature headers name an
  enrolled kiosk; any other request that carries a body is answered and its connection closed,
  and an unread body is never drained (``lingering_time=0``).
- Every connection has deadlines (``HttpConfig``): its request headers must arrive within
  ``header_timeout``, an upload body within ``body_timeout``, an idle keep-alive connection
  closes after ``keepalive_timeout`` and no connection lives longer than ``max_connection_age``.
- Connections are capped per peer address and in total, below the process's file limit, so a
  crowd of slow clients is turned away at accept instead of exhausting the file table; when the
  table is full anyway, the event loop's accept error is logged once per incident.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from codes import DeviceError
from service._console._web import PREFIX as CONSOLE_PREFIX
from service._console._web import add_console_routes
from service._httpconfig import HttpConfig
from service._repo import Expiry, TufRepository
from service._sql import StorageError, is_postgres_url
from service._store import RateLimit
from service._upload_api import SIGNED_PATHS
from service._upload_api import add_routes as add_upload_routes

log = logging.getLogger(__name__)

_HEADER_END = b"\r\n\r\n"
_MAX_HEADER_SCAN = 64 * 1024  # aiohttp refuses longer header blocks anyway


def _connection_budget(config: HttpConfig) -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return config.max_connections
    return max(1, min(config.max_connections, soft - 64))


@web.middleware
async def _refuse_transport_encodings(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding != "identity":
        return _closing(415, "expected no Content-Encoding (send the body as it is), "
                             f"got {encoding[:20]!r}")
    has_body = request.can_read_body or bool(request.content_length)
    if has_body and not (request.method == "POST" and (
            request.path in SIGNED_PATHS or request.path.startswith(CONSOLE_PREFIX))):
        # A body where none is taken: answer without reading it and drop the connection.
        return _closing(400, f"expected no body with {request.method} {request.path[:60]}, "
                             "got one")
    return await handler(request)


def _closing(status: int, message: str) -> web.Response:
    response = web.json_response({"error": message}, status=status)
    response.force_close()
    return response


def make_app(data_dir: Path, *, config: HttpConfig | None = None,
             expiry: Expiry | None = None, db: str | None = None) -> web.Application:
    """The aiohttp application: the TUF repository as static files, plus the upload API.

    On its own (SQLite, one machine) it re-signs metadata that nears expiry while running
    (``TufRepository.refresh_expiring``), so kiosks are not frozen out just because nobody
    published. As a replica over PostgreSQL it never signs: the publisher's timer does that
    (``passkiosk service publish --only-expiring``), on the one host that holds the keys.
    """
    config = config or HttpConfig()
    repo = TufRepository(data_dir)
    app = web.Application(middlewares=[_refuse_transport_encodings])
    app.router.add_static("/metadata/", repo.metadata_dir, follow_symlinks=False)
    app.router.add_static("/targets/", repo.targets_dir, follow_symlinks=False)

    storage = add_upload_routes(
        app, data_dir, body_timeout=config.body_timeout, db=db,
        rate=RateLimit(per_minute=config.kiosk_per_minute, burst=config.kiosk_burst))
    # The web console (its forms take small bodies, read with their own cap and deadline).
    add_console_routes(app, data_dir, storage=storage, db=db)

    async def health(_: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(asyncio.to_thread(storage.ping), timeout=5)
        except (StorageError, TimeoutError) as e:
            return web.json_response({"ok": False, "error": f"database: {e}"[:300]}, status=503)
        return web.json_response({"ok": True, "versions": repo.versions()})

    app.router.add_get("/healthz", health)

    async def refresher(_: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(config.refresh_every)
                try:
                    # In a worker thread: it may wait for the repository lock while an admin
                    # publishes, and the event loop must keep serving meanwhile.
                    roles = await asyncio.to_thread(repo.refresh_expiring,
                                                    now=datetime.now(UTC), expiry=expiry)
                    if roles:
                        log.info("re-signed %s", ", ".join(roles))
                except (OSError, DeviceError) as e:  # keep serving the last good metadata
                    log.error("metadata refresh failed: %s", e)

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    if not is_postgres_url(db):
        app.cleanup_ctx.append(refresher)
    return app


class _Guard(asyncio.Protocol):
    """Wraps aiohttp's protocol for one connection: caps, header deadline, maximum age."""

    def __init__(self, inner: asyncio.Protocol, gate: _ConnectionGate) -> None:
        self._inner = inner
        self._gate = gate
        self._peer = ""
        self._transport: asyncio.Transport | None = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._age_timer: asyncio.TimerHandle | None = None
        self._scanned = bytearray()
        self._admitted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        if not self._gate.admit(self._peer):
            transport.abort()
            return
        self._admitted = True
        loop = asyncio.get_running_loop()
        cfg = self._gate.config
        self._header_timer = loop.call_later(cfg.header_timeout, self._expire, "header deadline")
        self._age_timer = loop.call_later(cfg.max_connection_age, self._expire, "maximum age")
        self._inner.connection_made(transport)

    def _expire(self, why: str) -> None:
        if self._transport is not None and not self._transport.is_closing():
            log.debug("closing a connection from %s: %s", self._peer, why)
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._header_timer is not None:
            # The first request's headers: once complete, the header deadline is met (later
            # requests on the connection are bounded by keep-alive and the maximum age).
            self._scanned += data[:_MAX_HEADER_SCAN]
            if _HEADER_END in self._scanned:
                self._header_timer.cancel()
                self._header_timer = None
                self._scanned = bytearray()
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._header_timer, self._age_timer):
            if timer is not None:
                timer.cancel()
        if self._admitted:
            self._gate.release(self._peer)
            self._inner.connection_lost(exc)


class _ConnectionGate:
    """Counts live connections per peer and in all; says one line per turned-away incident."""

    def __init__(self, config: HttpConfig) -> None:
        self.config = config
        self.budget = _connection_budget(config)
        self._per_peer: Counter[str] = Counter()
        self._total = 0
        self._refusing: set[str] = set()

    def admit(self, peer: str) -> bool:
        if self._total >= self.budget:
            self._refuse("*", f"expected at most {self.budget} connections in all, "
                              "refusing new ones until some close")
            return False
        if self._per_peer[peer] >= self.config.max_connections_per_peer:
            self._refuse(peer, f"expected at most {self.config.max_connections_per_peer} "
                               f"connections from {peer}, refusing more until some close")
            return False
        self._per_peer[peer] += 1
        self._total += 1
        return True

    def release(self, peer: str) -> None:
        self._per_peer[peer] -= 1
        if self._per_peer[peer] <= 0:
            del self._per_peer[peer]
            self._refusing.discard(peer)
        self._total -= 1
        if self._total < self.budget:
            self._refusing.discard("*")

    def _refuse(self, key: str, message: str) -> None:
        if key not in self._refusing:
            self._refusing.add(key)
            log.warning(message)


class _AcceptErrorLog:
    """The loop's exception handler: a full file table is one log line per incident (the loop
    retries accept every second and would otherwise log a traceback each time)."""

    def __init__(self, quiet_for: float = 60.0) -> None:
        self._last = -float("inf")
        self._quiet_for = quiet_for

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if str(context.get("message", "")).startswith("socket.accept() out of system resource"):
            now = time.monotonic()
            if now - self._last >= self._quiet_for:
                log.error("accept failed: %s (the file table is full; further failures within "
                          "%.0f s are not logged)", context.get("exception"), self._quiet_for)
            self._last = now
            return
        loop.default_exception_handler(context)


async def start_server(data_dir: Path, host: str, port: int, *,
                       config: HttpConfig | None = None, expiry: Expiry | None = None,
                       db: str | None = None) -> tuple[web.AppRunner, asyncio.Server]:
    """Start serving on host:port in the running loop; returns what ``stop_server`` closes."""
    config = config or HttpConfig()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_AcceptErrorLog())
    runner = web.AppRunner(make_app(data_dir, config=config, expiry=expiry, db=db),
                           access_log=None,
                           auto_decompress=False, keepalive_timeout=config.keepalive_timeout,
                           lingering_time=0, handle_signals=False)
    await runner.setup()
    server = runner.server
    assert server is not None
    gate = _ConnectionGate(config)
    listener = await loop.create_server(lambda: _Guard(server(), gate), host, port,
                                        backlog=128, reuse_address=True)
    return runner, listener


async def stop_server(runner: web.AppRunner, listener: asyncio.Server) -> None:
    listener.close()
    await runner.shutdown()
    await runner.cleanup()


class BackgroundService:
    """The service on 127.0.0.1 in a thread with its own event loop (tests, demo, benchmarks).

    ``port=0`` picks a free port; ``url`` is the base URL once started.
    """

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0,
                 config: HttpConfig | None = None, db: str | None = None) -> None:
        self._data = data_dir
        self._db = db
        self._host = host
        self._port = port
        self._config = config
        self._loop = asyncio.new_event_loop()
        self._running: tuple[web.AppRunner, asyncio.Server] | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="passkiosk-service")
        self.url = ""

    def start(self) -> BackgroundService:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.url = fut.result(timeout=30)
        return self

    async def _start(self) -> str:
        self._running = await start_server(self._data, self._host, self._port,
                                           config=self._config, db=self._db)
        port = int(self._running[1].sockets[0].getsockname()[1])
        return f"http://{self._host}:{port}"

    def stop(self) -> None:
        if self._running is not None:
            asyncio.run_coroutine_threadsafe(stop_server(*self._running), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> BackgroundService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(data_dir: Path, host: str, port: int, *, config: HttpConfig | None = None,
          db: str | None = None) -> None:
    """Run the service in the foreground until interrupted (``passkiosk service``)."""

    async def main() -> None:
        running = await start_server(data_dir, host, port, config=config, db=db)
        try:
            await asyncio.Event().wait()  # until KeyboardInterrupt cancels the run
        finally:
            await stop_server(*running)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
