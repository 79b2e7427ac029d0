"""The PostgreSQL and nginx fixtures themselves: a database that survives a restart, and nginx
serving a static folder and reporting which upstream answered."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

from tests.service.nginxfixture import Nginx
from tests.service.pgfixture import PostgresCluster

pytestmark = pytest.mark.postgres


def test_a_database_keeps_its_rows_across_a_restart(pg_cluster: PostgresCluster,
                                                    pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("CREATE TABLE t (n int)")
        c.execute("INSERT INTO t VALUES (7)")
    pg_cluster.restart()
    with psycopg.connect(pg_url) as c:
        assert c.execute("SELECT n FROM t").fetchall() == [(7,)]


def test_nginx_serves_static_files_and_reports_a_dead_upstream(tmp_path: Path) -> None:
    (tmp_path / "1.root.json").write_bytes(b"{}")
    with Nginx(["127.0.0.1:1"], static={"/metadata/": tmp_path}) as lb:
        with urllib.request.urlopen(lb.url + "/metadata/1.root.json", timeout=5) as r:
            assert r.read() == b"{}"
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(lb.url + "/healthz", timeout=5)
        assert e.value.code == 502
        assert lb.upstreams_used()["127.0.0.1:1"] >= 1
