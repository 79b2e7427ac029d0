"""service._console: the web console at ``/console/`` (community workers, health officials,
the operations centre, admins), served by the service's aiohttp app (``service._http``
mounts it with ``service._console._web.add_console_routes``; aiohttp is imported there only).

- ``ConsoleStore``, ``open_console_db``: its tables (schema component ``console``).
- ``hash_password``, ``verify_password``: scrypt password hashes.
- ``add_user``: create a console user (``passkiosk service add-user``).
- ``ROLES``: worker, health, ops, admin; ``AccountError`` for a name, role or password refused.
"""

from __future__ import annotations

import time
from pathlib import Path

from service._console._auth import (
    ROLES,
    AccountError,
    check_role,
    check_user_name,
    hash_password,
    verify_password,
)
from service._console._store import ConsoleStore, create_user, open_console_db

__all__ = [
    "ROLES",
    "AccountError",
    "ConsoleStore",
    "add_user",
    "hash_password",
    "open_console_db",
    "verify_password",
]


def add_user(data_dir: Path, db: str | None, name: str, role: str, password: str,
             now: int | None = None) -> str:
    """Create a console user; returns the stored name. AccountError for a taken or bad name,
    an unknown role or a password that is too short."""
    name = check_user_name(name)
    check_role(role)
    pw_hash = hash_password(password)
    console = open_console_db(data_dir, db)
    try:
        create_user(console, name, role, pw_hash, int(time.time()) if now is None else now,
                    "(command line)")
    finally:
        console.close()
    return name
