"""The service's data folder is private to the service user, like the kiosk's.

The folder is 0700 and every database (and, through SQLite, its -wal and -shm files, which
SQLite creates with the main file's mode) is 0600 from its creation: records, kiosk keys and
issued-token hashes are nobody else's to read. Role and issuer keys are written 0600 by
``codes.write_atomic``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def private_folder(folder: Path) -> None:
    """Create ``folder`` 0700 if missing. An existing folder keeps the mode its admin gave it
    (as on the kiosk): the files in it are 0600 whatever the folder's mode."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def connect_private(path: Path, *, timeout: float = 15.0,
                    check_same_thread: bool = True) -> sqlite3.Connection:
    """Open (creating 0600 if need be) the SQLite database at ``path`` in autocommit mode (the
    callers run explicit transactions); loose modes on an existing file, -wal or -shm are
    tightened first."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.chmod(side, 0o600)
    return sqlite3.connect(path, isolation_level=None, timeout=timeout,
                           check_same_thread=check_same_thread)
