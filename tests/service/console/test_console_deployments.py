"""The console on both deployments: SQLite in one process, and PostgreSQL behind nginx with
two replicas (sessions, rate buckets, print jobs and alerts live in the database, so any
replica serves any request of a session)."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from service import main as service_main
from service._console import add_user
from tests.service.conftest import Deployment
from tests.service.console.conftest import ID_OK, ID_OTHER, PASSWORD, USERS, Web
from tests.service.console.kit import Kiosk, pdf_tokens, print_link, verify


def test_each_role_works_on_both_deployments(deployment: Deployment, tmp_path: Path) -> None:
    for role, name in USERS.items():
        add_user(deployment.data, deployment.db, name, role, PASSWORD)
    url = deployment.url

    w = Web(url).as_role("worker")
    for _ in range(6):  # several requests: behind nginx they reach both replicas
        r = w.post("/console/worker/lookup", {"id18": ID_OK, "name": "张三明"})
        assert r.status == 200 and "张*明" in r.text and ID_OK not in r.text
    ref = r.url.rsplit("/", 1)[1]
    w.post("/console/worker/consent", {"ref": ref, "proxy_name": "张小明", "relation": "family"})
    issued = w.post("/console/worker/issue", {"ref": ref})
    assert issued.status == 200, issued.text[:500]
    (token,) = pdf_tokens(w.get(print_link(issued.text)).body, tmp_path / "card")
    assert verify(deployment.data, token, tmp_path, db=deployment.db)["outcome"] == "pass"

    h = Web(url).as_role("health")
    r = h.post("/console/health/status", {"id18": ID_OTHER, "status": "red",
                                          "reason": "close contact"})
    assert r.status == 200 and "close contact" in r.text
    r = h.post("/console/health/publish", {})
    assert r.status == 200 and "已发布名单版本" in r.text
    assert deployment.state.counts()["subject"] == 1

    a = Web(url).as_role("admin")
    a.post("/console/admin/sites", {"code": "S-EAST", "name": "东门社区", "city": "广州"})
    kiosk = Kiosk(tmp_path / "k")
    assert a.post("/console/admin/kiosks", {"pubkey": kiosk.public_key, "label": "东门1号",
                                            "site": "S-EAST", "gate": "G1"}).status == 200
    kiosk.push(url, {"pass": 4, "deny": 1}, reader="absent")
    page = Web(url).as_role("ops").get("/console/ops").text
    assert "东门1号" in page and 'data-outcome="pass">4<' in page and "读卡器故障" in page
    alert = re.search(r'name="alert" value="(\d+)"', page)
    assert alert
    o = Web(url).as_role("ops")
    o.get("/console/ops")
    assert "没有未确认的告警" in o.post("/console/ops/ack", {"alert": alert.group(1)}).text


@pytest.mark.postgres
def test_migrate_creates_the_console_tables(pg_url: str, tmp_path: Path) -> None:
    assert service_main(["migrate", "--data", str(tmp_path), "--db", pg_url]) == 0
    with psycopg.connect(pg_url) as conn:
        (version,) = conn.execute("SELECT version FROM schema_migrations WHERE component = "
                                  "'console'").fetchone() or (0,)
        assert version == 1
        assert conn.execute("SELECT to_regclass('console_users') IS NOT NULL").fetchone() == \
            (True,)
    assert service_main(["migrate", "--data", str(tmp_path), "--db", pg_url]) == 0  # twice
