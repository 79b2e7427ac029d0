"""The provincial service over HTTP (aiohttp): the TUF repository as static files, the signed
entry-record upload and a health probe. Handlers hold no state of their own: everything lives in
the data folder (repository files, the upload ledger).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from codes import DeviceError
from service._repo import Expiry, TufRepository
from service._upload_api import add_routes as add_upload_routes

log = logging.getLogger(__name__)


def make_app(data_dir: Path, *, refresh_every: float = 600.0,
             expiry: Expiry | None = None) -> web.Application:
    """The aiohttp application: the TUF repository as static files, plus the upload API.

    While running it re-signs metadata that nears expiry (``TufRepository.refresh_expiring``),
    so kiosks are not frozen out just because nobody published.
    """
    repo = TufRepository(data_dir)
    app = web.Application()
    app.router.add_static("/metadata/", repo.metadata_dir, follow_symlinks=False)
    app.router.add_static("/targets/", repo.targets_dir, follow_symlinks=False)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "versions": repo.versions()})

    app.router.add_get("/healthz", health)
    add_upload_routes(app, data_dir)

    async def refresher(_: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(refresh_every)
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

    app.cleanup_ctx.append(refresher)
    return app


class BackgroundService:
    """The service on 127.0.0.1 in a thread with its own event loop (tests, demo, benchmarks).

    ``port=0`` picks a free port; ``url`` is the base URL once started.
    """

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0,
                 refresh_every: float = 600.0) -> None:
        self._data = data_dir
        self._host = host
        self._port = port
        self._refresh_every = refresh_every
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="passkiosk-service")
        self.url = ""

    def start(self) -> BackgroundService:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.url = fut.result(timeout=30)
        return self

    async def _start(self) -> str:
        app = make_app(self._data, refresh_every=self._refresh_every)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = int(self._runner.addresses[0][1])
        return f"http://{self._host}:{port}"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> BackgroundService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(data_dir: Path, host: str, port: int) -> None:
    """Run the service in the foreground until interrupted (``passkiosk service``)."""
    web.run_app(make_app(data_dir), host=host, port=port, print=None)
