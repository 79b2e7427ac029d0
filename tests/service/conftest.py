"""Fixtures for the service tests: a real PostgreSQL per session (``pg_cluster``), an empty
database per test (``pg_url``), and ``deployment``: the service as SQLite in one process and as
two replicas over PostgreSQL behind nginx (parametrized). Tests using PostgreSQL are marked
``@pytest.mark.postgres`` and skip cleanly when Debian's postgresql is not installed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service import BackgroundService, ServiceState, Storage, open_storage
from service import main as service_main
from tests.service.nginxfixture import Nginx, Replicas
from tests.service.pgfixture import PostgresCluster, postgres_bindir


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the whole session (started on first use)."""
    if postgres_bindir() is None:
        pytest.skip("Debian's postgresql is not installed (./dev.sh setup)")
    with PostgresCluster() as pg:
        yield pg


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster) -> str:
    """The URL of a new, empty database on the session's cluster."""
    return pg_cluster.create_database()


class Deployment:
    """A service as a kiosk meets it: ``url``, its ``state`` (issue, revoke, publish) and
    ``storage()``; ``kind`` is "sqlite" (one process, the default files) or "postgres" (two
    replicas over PostgreSQL behind nginx; ``replicas``, ``lb`` and ``pg`` are then set)."""

    def __init__(self, kind: str, data: Path, state: ServiceState, url: str, db: str | None,
                 *, replicas: Replicas | None = None, lb: Nginx | None = None,
                 pg: PostgresCluster | None = None) -> None:
        self.kind, self.data, self.state, self.url, self.db = kind, data, state, url, db
        self.replicas, self.lb, self.pg = replicas, lb, pg

    def storage(self) -> Storage:
        return open_storage(self.db, self.data)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """The service both ways: SQLite in one process, and PostgreSQL + nginx + two replicas."""
    data = tmp_path / "svc"
    if request.param == "sqlite":
        state = ServiceState.init(data, iss="CN-44", now=int(time.time()))
        with BackgroundService(data) as svc:
            yield Deployment("sqlite", data, state, svc.url, None)
        state.close()
        return
    pg: PostgresCluster = request.getfixturevalue("pg_cluster")
    db = pg.create_database()
    assert service_main(["migrate", "--data", str(data), "--db", db]) == 0
    state = ServiceState.init(data, iss="CN-44", now=int(time.time()), db=db)
    with Replicas(data, db, n=2) as reps, Nginx(reps.addresses) as lb:
        yield Deployment("postgres", data, state, lb.url, db, replicas=reps, lb=lb, pg=pg)
    state.close()
