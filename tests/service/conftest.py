"""Fixtures for the service tests: a real PostgreSQL per session (``pg_cluster``), an empty
database per test (``pg_url``). Tests using them are marked ``@pytest.mark.postgres`` and skip
cleanly when Debian's postgresql is not installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
