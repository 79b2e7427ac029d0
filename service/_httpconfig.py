"""The HTTP service's deadlines and caps: one frozen dataclass, defaults in one place, and no web
framework to import (the admin commands read the defaults for their help text)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """Deadlines and caps of the HTTP service (seconds and connection counts)."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: float = 15.0
    max_connection_age: float = 120.0
    max_connections_per_peer: int = 32
    # At most this many connections in all; the process's own file limit lowers it (keeping
    # room for databases, target files and logs), see ``_connection_budget``.
    max_connections: int = 4096
    refresh_every: float = 600.0  # re-sign metadata that nears expiry this often
    # Signed requests (uploads, health reports) per kiosk: a token bucket in the database.
    kiosk_per_minute: float = 120.0
    kiosk_burst: int = 200
