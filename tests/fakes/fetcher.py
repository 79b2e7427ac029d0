"""FakeFetcher: the real ngclient fetcher with faults injected by URL (tests only).

It wraps ``Urllib3Fetcher`` talking to the real service on 127.0.0.1 and, for URLs whose path
ends with a given suffix, answers with an HTTP error or with rewritten bytes (a forged
signature, an older file). Byte-level tampering like this cannot be done at the socket level
without re-implementing HTTP, and it is exactly what a hostile network would do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tuf.api import exceptions
from tuf.ngclient import FetcherInterface
from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

Rewrite = Callable[[bytes], bytes]


class FakeFetcher(FetcherInterface):
    def __init__(self, timeout: int = 5) -> None:
        self.inner = Urllib3Fetcher(socket_timeout=timeout)
        self.requests: list[str] = []
        self._status: dict[str, int] = {}
        self._rewrite: dict[str, Rewrite] = {}

    def fail(self, suffix: str, status: int) -> None:
        """Answer URLs ending with suffix with this HTTP status."""
        self._status[suffix] = status

    def rewrite(self, suffix: str, fn: Rewrite) -> None:
        """Pass the real body of URLs ending with suffix through fn."""
        self._rewrite[suffix] = fn

    def replace(self, suffix: str, data: bytes) -> None:
        self.rewrite(suffix, lambda _: data)

    def clear(self) -> None:
        self._status.clear()
        self._rewrite.clear()

    def _fetch(self, url: str) -> Iterator[bytes]:
        self.requests.append(url)
        for suffix, status in self._status.items():
            if url.endswith(suffix):
                raise exceptions.DownloadHTTPError(f"injected HTTP {status}", status)
        for suffix, fn in self._rewrite.items():
            if url.endswith(suffix):
                body = b"".join(self.inner.fetch(url))
                return iter([fn(body)])
        return self.inner.fetch(url)
