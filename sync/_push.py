"""Push: upload the kiosk's queued entry records to the service.

At-least-once: a batch is marked uploaded only after the service answered 200, which it sends
only after committing the batch. A batch whose answer is lost (timeout, kill -9, cable pulled)
is sent again next time; the service de-duplicates by record id. So nothing is lost and nothing
is doubled, however often the kiosk is interrupted or however long it was offline — a week's
records go up in successive batches, oldest first.

With ``health``, the kiosk's health report (``codes.wire.KioskHealth``, its queue depth filled
in after the batches) follows the batches as its own signed request to ``HEALTH_PATH``.

Transport: stdlib ``http.client`` (one keep-alive connection per push), a timeout on every
socket operation, a cap on the response size.
"""

from __future__ import annotations

import http.client
import json
import math
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace

from codes import DeviceError
from codes.wire import (
    HEALTH_PATH,
    MAX_BATCH_RECORDS,
    UPLOAD_PATH,
    KioskHealth,
    encode_batch,
    encode_health,
)

from ._devicekey import DeviceKey
from ._store import Store

DEFAULT_BATCH = 1000
MAX_RESPONSE = 64 * 1024


class PushError(DeviceError):
    """An upload did not go through. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class PushResult:
    sent: int  # records the service confirmed in this push
    new: int  # of which it had not seen before
    batches: int
    pending: int  # records still queued afterwards (written during the push, or over the cap)
    purged: int = 0  # uploaded records past the retention time, deleted after this push

    @property
    def duplicates(self) -> int:
        return self.sent - self.new


def _endpoint(service_url: str) -> tuple[str, str, int | None, str]:
    u = urllib.parse.urlsplit(service_url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise PushError(f"service URL: expected http(s)://host[:port][/base], got {service_url!r}")
    try:
        port = u.port
    except ValueError as e:
        raise PushError(f"service URL: expected a valid port, got {service_url!r}") from e
    return u.scheme, u.hostname, port, u.path.rstrip("/")


def push_pending(
    store: Store,
    service_url: str,
    key: DeviceKey,
    *,
    clock: Callable[[], float] = time.time,
    batch_size: int = DEFAULT_BATCH,
    timeout_s: float = 10.0,
    purge: bool = True,
    health: KioskHealth | None = None,
) -> PushResult:
    """Upload every record queued when the push starts, in batches, oldest first.

    Raises PushError on the first failed batch; batches before it stay marked uploaded.
    ``clock`` gives the signature timestamp (pass the kiosk's trusted clock). After a push
    that went through, uploaded records past the retention time are purged (``purge=False``
    to skip); records still queued are never purged. ``health`` is sent after the batches,
    with ``queue_depth`` set to the records still queued (PushError if it is refused).
    """
    if not 1 <= batch_size <= MAX_BATCH_RECORDS:
        raise PushError(f"batch size: expected 1..{MAX_BATCH_RECORDS}, got {batch_size}")
    scheme, host, port, base = _endpoint(service_url)
    path = base + UPLOAD_PATH
    queued = store.record_counts().pending
    # Bounded: enough batches for what was queued at the start (plus one for good measure);
    # records written meanwhile wait for the next push.
    max_batches = math.ceil(queued / batch_size) + 1
    conn_cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(host, port, timeout=timeout_s)
    sent = new = batches = 0
    try:
        while batches < max_batches:
            batch = store.pending_records(batch_size)
            if not batch:
                break
            body = encode_batch(batch)
            headers = key.sign_request("POST", path, int(clock()), body)
            # The body is a gzip file of JSON lines, sent as such: with "Content-Encoding: gzip"
            # a server framework may inflate it before the signature check sees the bytes.
            headers["Content-Type"] = "application/gzip"
            headers["Content-Length"] = str(len(body))
            status, payload = _post(conn, path, body, headers, service_url)
            _check(status, payload, key)
            received, fresh = _parse_ok(payload)
            if received != len(batch):
                raise PushError(
                    f"upload answer: expected received={len(batch)}, got {received}", status
                )
            store.mark_uploaded([r.record_id for r in batch], int(clock()))
            sent += received
            new += fresh
            batches += 1
        pending = store.record_counts().pending
        if health is not None:
            body = encode_health(replace(health, queue_depth=pending))
            headers = key.sign_request("POST", base + HEALTH_PATH, int(clock()), body)
            headers["Content-Type"] = "application/json"
            headers["Content-Length"] = str(len(body))
            status, payload = _post(conn, base + HEALTH_PATH, body, headers, service_url)
            _check(status, payload, key)
    finally:
        conn.close()
    purged = store.purge_uploaded(int(clock())) if purge else 0
    return PushResult(sent=sent, new=new, batches=batches, pending=pending, purged=purged)


def _check(status: int, payload: bytes, key: DeviceKey) -> None:
    """PushError (with a hint where one helps) unless the service answered 200."""
    if status == 401:
        why = _error_text(payload)
        if "enrolled" in why:
            hint = (f"; enroll this kiosk's key {key.key_id} on the service: "
                    f"passkiosk service enroll-kiosk {key.public_text}")
        elif "timestamp" in why:
            hint = "; the kiosk's clock and the service's disagree, check the time"
        else:
            hint = ""
        raise PushError(f"upload refused (401: {why}){hint}", status)
    if status != 200:
        raise PushError(
            f"upload failed: expected 200, got {status} ({_error_text(payload)})", status
        )


def _post(
    conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str], url: str
) -> tuple[int, bytes]:
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        payload = resp.read(MAX_RESPONSE + 1)
    except (OSError, http.client.HTTPException) as e:
        conn.close()
        raise PushError(f"upload to {url}: expected an answer, got {type(e).__name__}: {e}") \
            from e
    if len(payload) > MAX_RESPONSE:
        conn.close()
        raise PushError(f"upload answer: expected at most {MAX_RESPONSE} bytes, got more")
    return resp.status, payload


def _error_text(payload: bytes) -> str:
    try:
        obj = json.loads(payload)
    except ValueError:
        return payload[:200].decode("utf-8", "replace")
    if isinstance(obj, dict) and isinstance(obj.get("error"), str):
        return str(obj["error"])[:300]
    return payload[:200].decode("utf-8", "replace")


def _parse_ok(payload: bytes) -> tuple[int, int]:
    try:
        obj = json.loads(payload)
        received, new = obj["received"], obj["new"]
    except (ValueError, KeyError, TypeError) as e:
        raise PushError(f"upload answer: expected JSON with received/new, got {payload[:80]!r}") \
            from e
    if type(received) is not int or type(new) is not int or not 0 <= new <= received:
        raise PushError(f"upload answer: expected counts, got {payload[:80]!r}")
    return received, new
