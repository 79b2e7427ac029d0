"""Helpers for the service/pull/fault tests: valid ID numbers, a service folder, a kiosk sync."""

from __future__ import annotations

import time
from pathlib import Path

from service._state import ServiceState
from sync._pull import PullResult, pull

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id18(n: int, birth: str = "19800101") -> str:
    """A valid 18-character ID number (GB 11643 MOD 11-2) for test subject n."""
    body = f"110105{birth}{n % 1000:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]
    return body + check


def now() -> int:
    return int(time.time())


def new_service(path: Path) -> ServiceState:
    return ServiceState.init(path, iss="CN-44", now=now())


def root_of(service: ServiceState) -> bytes:
    return (service.repo.metadata_dir / "1.root.json").read_bytes()


def sync_kiosk(kiosk: Path, url: str, service: ServiceState, **kw: object) -> PullResult:
    return pull(kiosk, url, now=now(), bootstrap_root=root_of(service), **kw)  # type: ignore[arg-type]
