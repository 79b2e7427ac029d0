"""The service deployments of tests/service (``deployment``: SQLite in one process, and two
replicas over PostgreSQL behind nginx) for the end-to-end sync tests."""

from tests.service.conftest import deployment, pg_cluster, pg_url

__all__ = ["deployment", "pg_cluster", "pg_url"]
