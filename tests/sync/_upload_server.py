"""A real aiohttp server on 127.0.0.1 (random port) carrying only the upload route, in a thread.

Used by the push/upload/kill -9 tests so they do not depend on the whole reference service.
``faults`` lets a test break the next answers the way networks do.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from service._store import RateLimit
from service._upload_api import add_routes

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Faults:
    """Each counter says how many of the next requests get that fault."""

    status_500: int = 0  # answer 500 without calling the handler (nothing stored)
    drop_after_commit: int = 0  # let the handler store the batch, then cut the connection
    hang: int = 0  # never answer (until the server stops); the client must time out
    seen: list[int] = field(default_factory=list)  # statuses answered (or -1 when cut)


# The push tests send many tiny batches on purpose (to be killed between them): no rate limit
# unless a test asks for one.
UNLIMITED = RateLimit(per_minute=1e9, burst=10**9)


class UploadServer:
    def __init__(self, data_dir: Path, clock: Callable[[], float] = time.time,
                 rate: RateLimit = UNLIMITED) -> None:
        self.data_dir = data_dir
        self.rate = rate
        self.faults = Faults()
        self._clock = clock
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()
        self.url = ""

    @web.middleware
    async def _fault_mw(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        f = self.faults
        if f.hang:
            f.hang -= 1
            await self._release.wait()
        if f.status_500:
            f.status_500 -= 1
            f.seen.append(500)
            return web.json_response({"error": "injected"}, status=500)
        resp = await handler(request)
        if f.drop_after_commit:
            f.drop_after_commit -= 1
            f.seen.append(-1)
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError
        f.seen.append(resp.status)
        return resp

    async def _start(self) -> str:
        self._release = asyncio.Event()
        app = web.Application(middlewares=[self._fault_mw])
        add_routes(app, self.data_dir, clock=self._clock, rate=self.rate)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def _stop(self) -> None:
        self._release.set()
        assert self._runner is not None
        await self._runner.cleanup()

    def start(self) -> UploadServer:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()

    def __enter__(self) -> UploadServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
