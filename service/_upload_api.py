"""The service's signed upload routes (aiohttp): ``POST /upload/v1/records`` and
``POST /upload/v1/health``.

Request: headers ``X-PK-Key-Id``, ``X-PK-Time``, ``X-PK-Nonce``, ``X-PK-Signature``
(``codes.wire``); body = gzip(JSON lines of entry records) (``codes.wire.encode_batch``) or the
kiosk's health report (``codes.wire.encode_health``). Answers, one clear error each:

- 200 ``{"received": n, "new": k, "duplicates": n - k}``: the whole batch is stored (durably,
  one transaction) — the kiosk may now mark those records uploaded; ``{"stored": true}`` for a
  health report.
- 401: missing/unknown key, bad signature, stale timestamp, replayed nonce.
- 400 / 413: a malformed or too large body (413 before and after inflating: a gzip bomb is cut
  off at the inflated cap); nothing of it is stored.
- 408: the body did not arrive in time. 429 (with ``Retry-After``): over the kiosk's rate.
- 503 (with ``Retry-After``): the database is unreachable; the kiosk retries later and the
  load balancer tries another replica for requests it could not send.

Checks run cheapest-first and the body is only parsed after the signature verified, so an
unenrolled client costs the service one bounded read and one signature check. The handler
keeps nothing in memory: keys, nonces and rate buckets are in the storage, so any replica can
take any request.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from aiohttp.web import RequestPayloadError

from codes.wire import (
    H_KEY_ID,
    H_NONCE,
    H_SIGNATURE,
    H_TIME,
    HEALTH_PATH,
    MAX_BATCH_COMPRESSED,
    MAX_HEALTH,
    MAX_SKEW_S,
    UPLOAD_PATH,
    RecordError,
    decode_batch,
    decode_health,
    shown,
    signing_payload,
    verify_signature,
)
from service._sql import StorageError
from service._store import RateLimit, Storage, open_storage

log = logging.getLogger(__name__)
SIGNED_PATHS = (UPLOAD_PATH, HEALTH_PATH)


def _error(status: int, message: str, retry_after: float | None = None) -> web.Response:
    # Closing the connection means a body we refused is never drained.
    response = web.json_response({"error": message}, status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    response.force_close()
    return response


async def _read_capped(request: web.Request, cap: int) -> bytes | None:
    """The body, or None when it is larger than cap (read no further than cap + 1 bytes)."""
    if request.content_length is not None and request.content_length > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def add_routes(
    app: web.Application,
    service_data_dir: Path | str,
    *,
    clock: Callable[[], float] = time.time,
    body_timeout: float = 30.0,
    db: str | None = None,
    rate: RateLimit | None = None,
    storage: Storage | None = None,
) -> Storage:
    """Add the upload routes to app over the storage ``db`` names (or ``storage``, already
    open); the storage is closed on cleanup and returned (the health probe pings it).

    ``clock`` is the service's wall clock (injectable for tests of stale timestamps);
    ``body_timeout`` bounds how long an enrolled kiosk may take to send its body; ``rate`` is
    the per-kiosk request rate.
    """
    store = storage if storage is not None else open_storage(db, service_data_dir)
    limit = rate or RateLimit()

    async def authenticated(request: web.Request, cap: int) -> tuple[str, bytes, int]:
        """Key id, body and time of a request whose signature, time and nonce are good."""
        key_id = request.headers.get(H_KEY_ID, "")
        ts_text = request.headers.get(H_TIME, "")
        nonce = request.headers.get(H_NONCE, "")
        sig_text = request.headers.get(H_SIGNATURE, "")
        if not (key_id and ts_text and nonce and sig_text):
            raise _Refused(_error(401, "expected signature headers, got none or some missing"))
        if len(nonce) > 64 or len(key_id) > 32 or len(sig_text) > 128:
            raise _Refused(_error(401, "expected short signature headers, got oversized ones"))
        public = await asyncio.to_thread(store.public_key, key_id)
        if public is None:
            raise _Refused(_error(
                401, f"expected an enrolled kiosk key, got unknown key id {shown(key_id, 32)}"))
        now = clock()
        try:
            ts = int(ts_text)
        except ValueError:
            raise _Refused(_error(401, f"expected an integer timestamp, got "
                                       f"{shown(ts_text, 32)}")) from None
        if abs(int(now) - ts) > MAX_SKEW_S:
            raise _Refused(_error(
                401, f"expected a timestamp within {MAX_SKEW_S}s of {int(now)}, got {ts} "
                "(stale or a kiosk clock far off)"))
        try:
            async with asyncio.timeout(body_timeout):
                body = await _read_capped(request, cap)
        except TimeoutError:
            log.info("upload from %s: body not complete within %.0f s", key_id, body_timeout)
            raise _Refused(_error(408, f"expected the body within {body_timeout:.0f} s")) \
                from None
        except (RequestPayloadError, ConnectionError, asyncio.IncompleteReadError) as e:
            # The kiosk went away mid-body: nothing to store, nothing to answer.
            log.info("upload from %s: connection lost mid-body (%s)", key_id,
                     type(e).__name__)
            raise _Refused(_error(400, "expected a complete body, the connection ended "
                                       "mid-body")) from None
        if body is None:
            raise _Refused(_error(413, f"expected a body of at most {cap} bytes"))
        try:
            signature = base64.b64decode(sig_text, validate=True)
        except (binascii.Error, ValueError):
            raise _Refused(_error(401, "expected a base64 signature, got undecodable text")) \
                from None
        payload = signing_payload(request.method, request.path, ts, nonce, body)
        if not verify_signature(public, signature, payload):
            raise _Refused(_error(401, "expected a valid device signature, got a bad one"))
        refused = await asyncio.to_thread(store.admit, key_id, nonce, now, limit)
        if refused == "rate":
            raise _Refused(_error(
                429, f"expected at most {limit.per_minute:g} requests a minute from one kiosk "
                     f"(bursts of {limit.burst}), got more", retry_after=60 / limit.per_minute))
        if refused == "replay":
            raise _Refused(_error(401, "expected a fresh request, got a replayed nonce"))
        return key_id, body, int(now)

    def unavailable(e: StorageError) -> web.Response:
        log.error("storage unavailable: %s", e)
        return _error(503, "expected the service's database to answer, it did not; "
                           "try again shortly", retry_after=5)

    async def upload(request: web.Request) -> web.Response:
        try:
            key_id, body, now = await authenticated(request, MAX_BATCH_COMPRESSED)
            try:
                records = decode_batch(body)
            except RecordError as e:
                status = 413 if "expected at most" in str(e) else 400
                return _error(status, str(e))
            outcome = await asyncio.to_thread(store.store_batch, key_id, records, now)
        except _Refused as r:
            return r.response
        except StorageError as e:
            return unavailable(e)
        return web.json_response(
            {"received": outcome.received, "new": outcome.new, "duplicates": outcome.duplicates}
        )

    async def health(request: web.Request) -> web.Response:
        try:
            key_id, body, now = await authenticated(request, MAX_HEALTH)
            try:
                report = decode_health(body)
            except RecordError as e:
                return _error(400, str(e))
            await asyncio.to_thread(store.record_health, key_id, report, now)
        except _Refused as r:
            return r.response
        except StorageError as e:
            return unavailable(e)
        return web.json_response({"stored": True})

    async def close_storage(_app: web.Application) -> None:
        store.close()

    app.router.add_post(UPLOAD_PATH, upload)
    app.router.add_post(HEALTH_PATH, health)
    app.on_cleanup.append(close_storage)
    return store
