"""service: the provincial service that kiosks sync with.

It publishes the signed trust and revocation lists as a TUF repository, issues PK1 tokens and
printed offline cards, and receives the kiosks' signed entry-record uploads. It shares only the
sans-IO formats of ``codes`` and ``codes.wire`` with the kiosk side and never imports kiosk/,
readers/, sync/ or Qt.

Public API:

- ``ServiceState``, ``PublishConfig``: the data folder (database, keys, repository): issue,
  revoke, publish, rotate the issuer key.
- ``TufRepository``, ``Expiry``: the TUF publisher (static files; role key rotation through
  the root chain) and its signature lifetimes.
- ``Storage``, ``open_storage``, ``RateLimit``, ``HealthRow``, ``StorageError``: the upload-side
  database behind one interface (kiosks, nonces, rate buckets, entry records, kiosk health,
  audit log): ``UploadLedger`` (SQLite, the default) or ``PostgresStorage`` (``--db
  postgresql://``, N replicas); ``enroll_kiosk``.
- ``make_app``, ``serve``, ``BackgroundService``, ``HttpConfig``: the HTTP service and its
  deadlines and caps (aiohttp, imported lazily).
- ``render_offline_card``, ``render_offline_cards``, ``CardText``: printed A6 offline-code
  cards (PDF; several in one file for a renewal batch).
- ``main``: the ``passkiosk service`` command.
"""

from typing import TYPE_CHECKING

from service._cli import main
from service._httpconfig import HttpConfig
from service._ledger import UploadLedger, enroll_kiosk
from service._printcard import CardText, render_offline_card, render_offline_cards
from service._repo import Expiry, TufRepository
from service._sql import StorageError
from service._state import IssuedToken, PublishConfig, PublishResult, ServiceState
from service._store import HealthRow, RateLimit, Storage, open_storage

if TYPE_CHECKING:
    from service._http import BackgroundService, make_app, serve
    from service._store_pg import PostgresStorage

__all__ = [
    "BackgroundService",
    "CardText",
    "Expiry",
    "HealthRow",
    "HttpConfig",
    "IssuedToken",
    "PostgresStorage",
    "PublishConfig",
    "PublishResult",
    "RateLimit",
    "ServiceState",
    "Storage",
    "StorageError",
    "TufRepository",
    "UploadLedger",
    "enroll_kiosk",
    "main",
    "make_app",
    "open_storage",
    "render_offline_card",
    "render_offline_cards",
    "serve",
]

_LAZY = {"BackgroundService", "make_app", "serve"}


def __getattr__(name: str) -> object:
    # aiohttp is needed by the server only; the admin commands stay light without it.
    if name == "PostgresStorage":  # psycopg: only a PostgreSQL deployment needs it
        from service._store_pg import PostgresStorage

        return PostgresStorage
    if name not in _LAZY:
        raise AttributeError(f"module 'service' has no attribute {name!r}")
    from service import _http

    return getattr(_http, name)
