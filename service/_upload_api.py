"""The service's upload route (aiohttp): ``POST /upload/v1/records``.

Request: body = gzip(JSON lines of entry records) (``codes.wire.encode_batch``), headers
``X-PK-Key-Id``, ``X-PK-Time``, ``X-PK-Nonce``, ``X-PK-Signature`` (``codes.wire``).
Answers:

- 200 ``{"received": n, "new": k, "duplicates": n - k}``: the whole batch is stored (durably,
  one transaction) — the kiosk may now mark those records uploaded.
- 401 ``{"error": ...}``: missing/unknown key, bad signature, stale timestamp, replayed nonce.
- 400 / 413 ``{"error": ...}``: a malformed or too large batch; nothing of it is stored.

Checks run cheapest-first and the body is only parsed after the signature verified, so an
unenrolled client costs the service one bounded read and one signature check.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
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
    MAX_BATCH_COMPRESSED,
    MAX_SKEW_S,
    UPLOAD_PATH,
    RecordError,
    decode_batch,
    shown,
    signing_payload,
    verify_signature,
)
from service._ledger import UploadLedger

log = logging.getLogger(__name__)


def _error(status: int, message: str) -> web.Response:
    # Closing the connection means a body we refused is never drained.
    response = web.json_response({"error": message}, status=status)
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


def add_routes(
    app: web.Application,
    service_data_dir: Path | str,
    *,
    clock: Callable[[], float] = time.time,
    body_timeout: float = 30.0,
) -> None:
    """Add the upload route to app, with its ledger in service_data_dir (closed on cleanup).

    ``clock`` is the service's wall clock (injectable for tests of stale timestamps);
    ``body_timeout`` bounds how long an enrolled kiosk may take to send its batch.
    """
    ledger = UploadLedger(service_data_dir)

    async def upload(request: web.Request) -> web.Response:
        key_id = request.headers.get(H_KEY_ID, "")
        ts_text = request.headers.get(H_TIME, "")
        nonce = request.headers.get(H_NONCE, "")
        sig_text = request.headers.get(H_SIGNATURE, "")
        if not (key_id and ts_text and nonce and sig_text):
            return _error(401, "expected signature headers, got none or some missing")
        if len(nonce) > 64 or len(key_id) > 32 or len(sig_text) > 128:
            return _error(401, "expected short signature headers, got oversized ones")
        public = await asyncio.to_thread(ledger.public_key, key_id)
        if public is None:
            return _error(
                401, f"expected an enrolled kiosk key, got unknown key id {shown(key_id, 32)}"
            )
        now = int(clock())
        try:
            ts = int(ts_text)
        except ValueError:
            return _error(401, f"expected an integer timestamp, got {shown(ts_text, 32)}")
        if abs(now - ts) > MAX_SKEW_S:
            return _error(
                401, f"expected a timestamp within {MAX_SKEW_S}s of {now}, got {ts} (stale or "
                "a kiosk clock far off)"
            )
        try:
            async with asyncio.timeout(body_timeout):
                body = await _read_capped(request, MAX_BATCH_COMPRESSED)
        except TimeoutError:
            log.info("upload from %s: body not complete within %.0f s", key_id, body_timeout)
            return _error(408, f"expected the body within {body_timeout:.0f} s")
        except (RequestPayloadError, ConnectionError, asyncio.IncompleteReadError) as e:
            # The kiosk went away mid-body: nothing to store, nothing to answer.
            log.info("upload from %s: connection lost mid-body (%s)", key_id,
                     type(e).__name__)
            return _error(400, "expected a complete body, the connection ended mid-body")
        if body is None:
            return _error(413, f"expected a body of at most {MAX_BATCH_COMPRESSED} bytes")
        try:
            signature = base64.b64decode(sig_text, validate=True)
        except (binascii.Error, ValueError):
            return _error(401, "expected a base64 signature, got undecodable text")
        payload = signing_payload(request.method, request.path, ts, nonce, body)
        if not verify_signature(public, signature, payload):
            return _error(401, "expected a valid device signature, got a bad one")
        if not await asyncio.to_thread(ledger.use_nonce, nonce, now):
            return _error(401, "expected a fresh request, got a replayed nonce")
        try:
            records = decode_batch(body)
        except RecordError as e:
            return _error(400, str(e))
        outcome = await asyncio.to_thread(ledger.store_batch, key_id, records, now)
        return web.json_response(
            {"received": outcome.received, "new": outcome.new, "duplicates": outcome.duplicates}
        )

    async def close_ledger(_app: web.Application) -> None:
        ledger.close()

    app.router.add_post(UPLOAD_PATH, upload)
    app.on_cleanup.append(close_ledger)
