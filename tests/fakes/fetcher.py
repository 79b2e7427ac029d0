"""ScriptedFetcher: an ngclient fetcher that answers from memory, with faults by name (tests only).

A subclass says what a URL is called (``_name``) and what it holds (``_serve``); tests then make
single names misbehave the way a hostile or broken network or repository would: answer with an
HTTP error, or with rewritten bytes (a forged signature, an older file, a flipped bit).
ngclient's own checks (lengths, hashes, signatures, versions) run on whatever comes out, exactly
as they do for bytes from ``Urllib3Fetcher``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator

from tuf.api import exceptions
from tuf.ngclient import FetcherInterface

Rewrite = Callable[[bytes], bytes]
_CHUNK = 64 * 1024  # bodies arrive in pieces, like a socket read, so length caps act mid-file


class ScriptedFetcher(FetcherInterface):
    """Base of in-memory fetchers: every request is logged in ``requests`` (by name)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._status: dict[str, int] = {}
        self._rewrite: dict[str, Rewrite] = {}

    @abstractmethod
    def _name(self, url: str) -> str:
        """The name faults and the request log use for url."""

    @abstractmethod
    def _serve(self, url: str) -> bytes:
        """The body for url; raise ``DownloadHTTPError`` (e.g. 404) when there is none."""

    def fail(self, name: str, status: int) -> None:
        """Answer requests for name with this HTTP status."""
        self._status[name] = status

    def rewrite(self, name: str, fn: Rewrite) -> None:
        """Pass the body served for name through fn."""
        self._rewrite[name] = fn

    def replace(self, name: str, data: bytes) -> None:
        """Answer requests for name with data instead."""
        self.rewrite(name, lambda _: data)

    def clear(self) -> None:
        """Behave again: drop every fault."""
        self._status.clear()
        self._rewrite.clear()

    def _fetch(self, url: str) -> Iterator[bytes]:
        name = self._name(url)
        self.requests.append(name)
        if name in self._status:
            status = self._status[name]
            raise exceptions.DownloadHTTPError(f"injected HTTP {status} for {name}", status)
        body = self._serve(url)
        if name in self._rewrite:
            body = self._rewrite[name](body)
        return iter([body[i:i + _CHUNK] for i in range(0, len(body), _CHUNK)] or [b""])
