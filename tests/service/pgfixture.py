"""A real PostgreSQL for tests: ``with PostgresCluster() as pg: url = pg.create_database("x")``.

The cluster is Debian's ``postgresql`` server, initdb'd into a fresh temp folder and run as an
unprivileged user (``postgres`` if it exists, else ``nobody``; as yourself when not root),
listening on 127.0.0.1 only with trust authentication for one role, ``pktest``. Durability is
switched off by default (``fast=True``: no fsync) because tests restart it on purpose only with
``restart()``, which shuts it down cleanly; pass ``fast=False`` for measurements.

pytest: the session fixture ``pg_cluster`` (tests/service/conftest.py) starts one cluster per
session; ``pg_url`` gives each test its own empty database on it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROLE = "pktest"


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unprivileged() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("expected a 'postgres' or 'nobody' user to run PostgreSQL as, found none")


class PostgresCluster:
    """One PostgreSQL server in a temp folder; ``url`` of its ``postgres`` database once started."""

    def __init__(self, *, fast: bool = True, port: int = 0,
                 settings: dict[str, str] | None = None) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise RuntimeError("expected Debian's postgresql (/usr/lib/postgresql/*/bin), "
                               "found none: run ./dev.sh setup")
        self.bindir = bindir
        self.port = port or free_port()
        self.fast = fast
        self.settings = dict(settings or {})
        self.user = _unprivileged()
        self.root = Path(tempfile.mkdtemp(prefix="pk-pg-"))
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self.log = self.root / "postgres.log"
        self._n = 0

    # -- running commands as the cluster's owner ------------------------------------------

    def _run(self, *argv: str, check: bool = True, timeout: float = 60) -> str:
        cmd = list(argv)
        if self.user is not None:
            cmd = ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}",
                   "--clear-groups", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=self.root, env={**os.environ, "LC_ALL": "C.UTF-8"})
        if check and done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({done.returncode}): "
                               f"{done.stderr[-2000:]} {self._log_tail()}")
        return done.stdout

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, dbname: str) -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{dbname}"

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> PostgresCluster:
        self.sockdir.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            for p in (self.root, self.sockdir):
                os.chown(p, self.user.pw_uid, self.user.pw_gid)
        if not self.datadir.exists():
            self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", ROLE,
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
                      timeout=120)
            conf = {
                "listen_addresses": "'127.0.0.1'",
                "port": str(self.port),
                "unix_socket_directories": f"'{self.sockdir}'",
                "max_connections": "200",
                "shared_buffers": "128MB",
                "log_min_messages": "warning",
            }
            if self.fast:
                conf.update(fsync="off", synchronous_commit="off", full_page_writes="off")
            conf.update(self.settings)
            with (self.datadir / "postgresql.conf").open("a") as f:
                f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log),
                  "-w", "-t", "60", "start")
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = subprocess.run([str(self.bindir.parent / "bin" / "pg_isready"), "-h",
                                   "127.0.0.1", "-p", str(self.port)],
                                  capture_output=True, timeout=10)
            if done.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL not ready within {timeout} s: {self._log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: clean shutdown; ``immediate``: like a crash)."""
        if (self.datadir / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w",
                      "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        """Stop and start again on the same port (clients see their connections drop)."""
        self.stop(mode)
        self.start()

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        self._n += 1
        name = name or f"t{os.getpid()}_{self._n}"
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def psql(self, dbname: str, sql: str) -> str:
        """Run SQL through psql (unaligned, tuples only); returns its output."""
        return subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", ROLE, "-d", dbname, "-c", sql],
            capture_output=True, text=True, timeout=60, check=True).stdout

    def close(self) -> None:
        self.stop("fast")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
