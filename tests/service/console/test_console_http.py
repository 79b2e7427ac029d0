"""The web console over real HTTP (aiohttp on 127.0.0.1): login, roles, CSRF, lockout, idle
timeout, lookup limits, escaping, what is stored and logged, printed cards, renewals, statuses,
the operations view and admin."""

from __future__ import annotations

import io
import logging
import re
import sqlite3
import time
from pathlib import Path

import pytest

from service import BackgroundService, ServiceState
from service import main as service_main
from service._console import ROLES, AccountError, add_user, verify_password
from service._console._store import DB_FILE
from service._console._web import ConsoleConfig
from sync._push import PushError
from tests.service.console.conftest import (
    ID_OK,
    ID_OTHER,
    PASSWORD,
    USERS,
    Clock,
    ConsoleServer,
    Web,
    make_service,
    valid_id,
)
from tests.service.console.kit import Kiosk, pdf_tokens, print_link, verify

# What each role may NOT do: (method, path, form); each must answer 403 and change nothing.
FORBIDDEN = {
    "worker": [("GET", "/console/health", {}),
               ("POST", "/console/health/status", {"id18": ID_OK, "status": "red",
                                                   "reason": "test"}),
               ("POST", "/console/health/publish", {}),
               ("GET", "/console/ops", {}), ("GET", "/console/admin/users", {}),
               ("POST", "/console/admin/users", {"user": "mallory", "role": "admin",
                                                 "password": "x" * 12})],
    "health": [("GET", "/console/worker", {}),
               ("POST", "/console/worker/lookup", {"id18": ID_OK}),
               ("GET", "/console/worker/renewals", {}), ("GET", "/console/ops", {}),
               ("GET", "/console/admin/kiosks", {})],
    "ops": [("GET", "/console/worker", {}), ("GET", "/console/health", {}),
            ("POST", "/console/health/publish", {}), ("GET", "/console/admin/users", {}),
            ("POST", "/console/admin/sites", {"code": "X1", "name": "x", "city": "y"})],
    "admin": [("GET", "/console/worker", {}), ("POST", "/console/worker/lookup", {"id18": ID_OK}),
              ("GET", "/console/health", {}), ("POST", "/console/health/publish", {})],
}


def lookup(w: Web, id18: str, name: str = "") -> str:
    """Look a resident up; returns the resident page's path (a session-bound reference)."""
    r = w.post("/console/worker/lookup", {"id18": id18, "name": name})
    assert r.status == 200 and "/console/worker/resident/" in r.url, (r.status, r.text[:800])
    return "/console" + r.url.split("/console", 1)[1]


def console_db_text(data: Path) -> str:
    """Every value in the console's database (and the service's), as one string."""
    out = []
    for name in (DB_FILE, "service.sqlite3", "uploads.sqlite3"):
        conn = sqlite3.connect(data / name)
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in conn.execute(f"SELECT * FROM {table}"):
                out.append(" ".join(v.hex() if isinstance(v, bytes) else str(v) for v in row))
        conn.close()
    return "\n".join(out)


# -- accounts -------------------------------------------------------------------------------------


def test_add_user_command_makes_a_scrypt_account(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "svc"
    ServiceState.init(data, iss="CN-44", now=int(time.time())).close()
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert service_main(["add-user", "--data", str(data), "--role", "admin", "Boss"]) == 0
    assert '"user": "boss"' in capsys.readouterr().out
    (pw_hash,) = sqlite3.connect(data / DB_FILE).execute(
        "SELECT pw_hash FROM console_users WHERE name = 'boss'").fetchone()
    assert pw_hash.startswith("scrypt$") and "a long enough secret" not in pw_hash
    assert verify_password("a long enough secret", pw_hash)
    assert not verify_password("a long enough secreT", pw_hash)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert service_main(["add-user", "--data", str(data), "--role", "ops", "other"]) == 2
    assert "10..200 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert service_main(["add-user", "--data", str(data), "--role", "ops", "boss"]) == 2
    assert "exists already" in capsys.readouterr().err
    with pytest.raises(AccountError, match="role"):
        add_user(data, None, "someone", "root", "a long enough secret")
    assert set(ROLES) == set(USERS)


def test_session_cookie_is_httponly_strict_and_secure_behind_tls(server: ConsoleServer) -> None:
    w = Web(server.url)
    w.login(USERS["worker"])
    (cookie,) = [c for c in w.set_cookies if c.startswith("pk_console=")]
    attrs = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")}
    assert "httponly" in attrs and attrs["samesite"].strip().lower() == "samesite=strict"
    assert attrs["path"].strip() == "Path=/console/" and "secure" not in attrs
    assert "max-age" not in attrs and "expires" not in attrs  # gone when the browser closes
    login_cookie = next(c for c in w.set_cookies if c.startswith("pk_login="))
    assert "HttpOnly" in login_cookie and "SameSite=Strict" in login_cookie

    # Through nginx terminating TLS (X-Forwarded-Proto: https) the cookie is Secure.
    tls = Web(server.url)
    tls.opener.addheaders = [("X-Forwarded-Proto", "https")]
    tls.get("/console/login")
    assert any(c.startswith("pk_login=") and "Secure" in c for c in tls.set_cookies)


def test_wrong_passwords_lock_the_account_until_the_lockout_ends(server: ConsoleServer,
                                                                 clock: Clock) -> None:
    w = Web(server.url)
    for _ in range(3):
        r = w.login(USERS["worker"], "wrong password!")
        assert r.status == 401 and "用户名或密码错误" in r.text
    r = w.login(USERS["worker"])  # the right password, but locked now
    assert r.status == 403 and "锁定" in r.text and "pk_console" not in str(w.jar)
    clock.now += 15 * 60 + 1
    assert w.login(USERS["worker"]).status == 200
    assert "/console/worker" in w.get("/console/").url
    audit = Web(server.url).as_role("admin").get("/console/admin/audit").text
    assert audit.count("login-failed") == 3 and "login-refused" in audit


def test_login_attempts_from_one_address_are_throttled(tmp_path: Path, clock: Clock) -> None:
    data = tmp_path / "svc"
    make_service(data, int(clock.now))
    with ConsoleServer(data, ConsoleConfig(login_burst=5, login_per_hour=1), clock) as srv:
        w = Web(srv.url)
        for n in range(5):  # five names, one wrong password each: no account locks
            assert w.login(f"guess{n}", "spray password").status == 401
        r = w.login(USERS["worker"])  # even the right password waits now
        assert r.status == 429 and "登录尝试过多" in r.text
        other = Web(srv.url)  # another address (as nginx reports it) is not held up
        other.opener.addheaders = [("X-Forwarded-For", "10.1.2.3")]
        assert other.login(USERS["worker"]).status == 200
        clock.now += 3600
        assert w.login(USERS["worker"]).status == 200


def test_an_idle_session_ends(server: ConsoleServer, clock: Clock) -> None:
    w = Web(server.url).as_role("worker")
    clock.now += 300
    assert w.get("/console/worker").url.endswith("/console/worker")
    clock.now += 599  # idle less than 10 min since the last request: still in
    assert w.get("/console/worker").url.endswith("/console/worker")
    clock.now += 601
    r = w.get("/console/worker")
    assert r.url.endswith("/console/login") and "登录" in r.text
    assert w.post("/console/worker/lookup", {"id18": ID_OK}).status == 401


def test_logout_ends_the_session(server: ConsoleServer) -> None:
    w = Web(server.url).as_role("ops")
    assert w.get("/console").url.endswith("/console/ops")  # the bare path finds the home
    assert w.post("/console/logout", {}).url.endswith("/console/login")
    assert w.get("/console/ops").url.endswith("/console/login")


# -- CSRF and roles -------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused(server: ConsoleServer) -> None:
    anon = Web(server.url)
    anon.get("/console/login")
    r = anon.post("/console/login", {"user": USERS["admin"], "password": PASSWORD}, csrf=False)
    assert r.status == 403 and "CSRF" in r.text
    w = Web(server.url).as_role("health")
    before = w.get("/console/health").text
    assert "没有待发布的变更" in before
    fields = {"id18": ID_OK, "status": "red", "reason": "outbreak"}
    assert w.post("/console/health/status", fields, csrf=False).status == 403
    assert w.post("/console/health/status", [*fields.items(), ("csrf", "forged")],
                  csrf=False).status == 403
    assert "没有待发布的变更" in w.get("/console/health").text  # nothing changed
    # Another session's token does not work either.
    other = Web(server.url).as_role("health")
    assert w.post("/console/health/status", [*fields.items(), ("csrf", other.csrf)],
                  csrf=False).status == 403
    assert w.post("/console/health/status", fields).status == 200  # with its own: done


@pytest.mark.parametrize("role", sorted(FORBIDDEN))
def test_each_role_is_refused_what_it_may_not_do(server: ConsoleServer, role: str) -> None:
    w = Web(server.url).as_role(role)
    for method, path, form in FORBIDDEN[role]:
        r = w.get(path) if method == "GET" else w.post(path, form)
        assert r.status == 403, (role, path, r.status)
        assert "无权" in r.text
    with ServiceState(server.data) as st:
        assert st.counts() == {"token": 0, "subject": 0, "card": 0}
    admin = Web(server.url).as_role("admin")
    assert "mallory" not in admin.get("/console/admin/users").text
    assert "forbidden" in admin.get("/console/admin/audit").text


def test_a_worker_cannot_change_statuses(server: ConsoleServer) -> None:
    w = Web(server.url).as_role("worker")
    r = w.post("/console/health/status", {"id18": ID_OK, "status": "red", "reason": "x"})
    assert r.status == 403
    r = w.post("/console/health/revoke", {"token": "00" * 16, "reason": "x"})
    assert r.status == 403
    with ServiceState(server.data) as st:
        assert st.counts()["subject"] == 0 and st.counts()["token"] == 0


# -- lookups --------------------------------------------------------------------------------------


def test_lookups_over_the_limit_are_refused(server: ConsoleServer, clock: Clock) -> None:
    w = Web(server.url).as_role("worker")
    for n in range(3):
        lookup(w, valid_id(n))
    r = w.post("/console/worker/lookup", {"id18": valid_id(3)})
    assert r.status == 429 and "查询过于频繁" in r.text
    # The limit is the worker's, not the session's: a second login does not reset it.
    w2 = Web(server.url).as_role("worker")
    assert w2.post("/console/worker/lookup", {"id18": valid_id(4)}).status == 429
    clock.now += 3600  # one more lookup an hour
    w = Web(server.url).as_role("worker")
    lookup(w, valid_id(5))
    assert w.post("/console/worker/lookup", {"id18": valid_id(6)}).status == 429
    audit = Web(server.url).as_role("admin").get("/console/admin/audit").text
    assert audit.count("lookup-refused") == 3


def test_a_bad_check_character_is_refused_and_not_echoed(server: ConsoleServer) -> None:
    w = Web(server.url).as_role("worker")
    bad = ID_OK[:17] + "5"
    r = w.post("/console/worker/lookup", {"id18": bad, "name": "张三明"})
    assert r.status == 400 and "校验位" in r.text and bad not in r.text


def test_lookup_shows_masked_name_number_status_and_codes(server: ConsoleServer) -> None:
    w = Web(server.url).as_role("worker")
    page = w.get(lookup(w, ID_OK, "张三明")).text
    assert "张*明" in page and "110105********002X" in page and "绿码" in page
    assert "没有当前有效的码" in page and ID_OK not in page and "张三明" not in page
    # The reference is bound to the session: another worker's session cannot open it.
    path = lookup(w, ID_OK)
    other = Web(server.url).as_role("worker")
    assert other.get(path).status == 404
    # A subject made red by a health official shows red.
    h = Web(server.url).as_role("health")
    assert h.post("/console/health/status", {"id18": ID_OK, "status": "red",
                                             "reason": "close contact"}).status == 200
    assert "红码" in w.get(path).text
    # Someone a health official set first, never registered by a worker: no name, no card.
    h.post("/console/health/status", {"id18": ID_OTHER, "status": "yellow", "reason": "x1"})
    other = lookup(w, ID_OTHER)  # the third lookup: the limit in this fixture
    page = w.get(other).text
    assert "未登记" in page and "请先在查询时填写姓名" in page and "黄码" in page
    ref = other.rsplit("/", 1)[1]
    assert w.post("/console/worker/issue", {"ref": ref}).status == 400


def test_a_script_name_is_shown_as_text(server: ConsoleServer) -> None:
    evil = "<script>alert(1)</script>"
    w = Web(server.url).as_role("worker")
    path = lookup(w, ID_OK, evil)
    page = w.get(path).text
    ref = path.rsplit("/", 1)[1]
    page = w.post("/console/worker/consent", {"ref": ref, "proxy_name": evil,
                                              "relation": "family"}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page
    a = Web(server.url).as_role("admin")
    page = a.post("/console/admin/sites", {"code": "S-1", "name": evil, "city": evil}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page
    assert "<script" not in a.get("/console/admin/audit").text
    csp = a.get("/console/admin/sites").headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


# -- cards, renewals ------------------------------------------------------------------------------


def test_issue_prints_a_card_whose_qr_verifies(server: ConsoleServer, tmp_path: Path) -> None:
    w = Web(server.url).as_role("worker")
    ref = lookup(w, ID_OK, "张三明").rsplit("/", 1)[1]
    page = w.post("/console/worker/issue", {"ref": ref})
    assert page.status == 200 and "已签发1张卡片" in page.text
    pdf = w.get(print_link(page.text))
    assert pdf.headers["Content-Type"] == "application/pdf"
    (token,) = pdf_tokens(pdf.body, tmp_path / "one")
    v = verify(server.data, token, tmp_path)
    assert v["outcome"] == "pass" and v["kind"] == "printed"
    # Only the worker who printed it can fetch it again.
    add_user(server.data, None, "zhou.worker", "worker", PASSWORD)
    other = Web(server.url)
    assert other.login("zhou.worker").status == 200
    assert other.get(print_link(page.text)).status == 404
    assert Web(server.url).as_role("health").get(print_link(page.text)).status == 403
    assert "纸质离线码" in w.get(f"/console/worker/resident/{ref}").text


def test_renewals_list_and_batch_print(server: ConsoleServer, clock: Clock,
                                       tmp_path: Path) -> None:
    w = Web(server.url).as_role("worker")
    people = [(ID_OK, "张三明"), (ID_OTHER, "李四"), (valid_id(7), "王五")]
    for n, (id18, name) in enumerate(people):
        ref = lookup(w, id18, name).rsplit("/", 1)[1]
        if n < 2:
            w.post("/console/worker/consent", {"ref": ref, "proxy_name": "社区王",
                                               "relation": "worker"})
        assert w.post("/console/worker/issue", {"ref": ref}).status == 200
    assert "两天内没有到期的纸质码" in w.get("/console/worker/renewals").text
    clock.now += 5 * 86_400 + 3600  # the cards now run out within 2 days
    w = Web(server.url).as_role("worker")
    page = w.get("/console/worker/renewals").text
    assert page.count('type="checkbox"') == 3 and "需先登记授权" in page
    refs = re.findall(r'name="ref" value="([^"]+)" id="[^"]+" checked', page)
    assert len(refs) == 2  # the one without consent cannot be renewed for them
    r = w.post("/console/worker/renew", [("ref", x) for x in refs])
    assert r.status == 200 and "已签发2张卡片" in r.text
    tokens = pdf_tokens(w.get(print_link(r.text)).body, tmp_path / "batch")
    assert len(tokens) == 2 and len(set(tokens)) == 2
    for token in tokens:
        assert verify(server.data, token, tmp_path, clock.now)["outcome"] == "pass"
    after = w.get("/console/worker/renewals").text
    assert after.count('type="checkbox"') == 1  # renewed ones left the list


# -- health official ------------------------------------------------------------------------------


def test_statuses_revocation_pending_and_publish(server: ConsoleServer, tmp_path: Path) -> None:
    wk = Web(server.url).as_role("worker")
    ref = lookup(wk, ID_OK, "张三明").rsplit("/", 1)[1]
    card = wk.post("/console/worker/issue", {"ref": ref})
    (token,) = pdf_tokens(wk.get(print_link(card.text)).body, tmp_path / "c")
    with ServiceState(server.data) as st:
        version = st.list_version()
    h = Web(server.url).as_role("health")
    r = h.post("/console/health/status", {"id18": ID_OTHER, "status": "yellow",
                                          "reason": "travel history"})
    assert r.status == 200 and "440106********1235" in r.text and "travel history" in r.text
    r = h.post("/console/health/status", {"id18": ID_OTHER, "status": "red",
                                          "reason": "x" * 65})
    assert r.status == 400
    r = h.post("/console/health/status", {"id18": ID_OTHER, "status": "red",
                                          "reason": f"see {ID_OK}"})
    assert r.status == 400  # a reason may not carry an ID number
    # The worker's page shows the whole token id, which a health official revokes by.
    shown = re.findall(r"<code>([0-9a-f]{32})</code>",
                       wk.get(f"/console/worker/resident/{ref}").text)
    assert shown == _issued(server.data)
    full = shown[0]
    assert h.post("/console/health/revoke", {"token": "ab" * 16, "reason": "lost"}).status == 404
    r = h.post("/console/health/revoke", {"token": full, "reason": "card lost"})
    assert r.status == 200 and full in r.text and "card lost" in r.text
    r = h.post("/console/health/publish", {})
    assert r.status == 200 and f"已发布名单版本 {version + 1}" in r.text
    assert "没有待发布的变更" in r.text
    with ServiceState(server.data) as st:
        assert st.counts() == {"token": 1, "subject": 1, "card": 0}
    assert "已作废" in wk.get(f"/console/worker/resident/{ref}").text
    assert verify(server.data, token, tmp_path)["outcome"] == "pass"  # no lists: signature only


def _issued(data: Path) -> list[str]:
    conn = sqlite3.connect(data / "service.sqlite3")
    try:
        return [bytes(r[0]).hex() for r in conn.execute("SELECT cti FROM issued")]
    finally:
        conn.close()


# -- operations view and admin --------------------------------------------------------------------


def test_ops_view_shows_an_uploading_kiosk_raises_and_acks_alerts(
        server: ConsoleServer, clock: Clock, tmp_path: Path) -> None:
    a = Web(server.url).as_role("admin")
    a.post("/console/admin/sites", {"code": "S-EAST", "name": "东门社区", "city": "广州"})
    a.post("/console/admin/sites", {"code": "S-WEST", "name": "西门社区", "city": "深圳"})
    kiosk = Kiosk(tmp_path / "k1")
    r = a.post("/console/admin/kiosks", {"pubkey": kiosk.public_key, "label": "东门1号",
                                         "site": "S-EAST", "gate": "G1"})
    assert r.status == 200 and "已登记终端" in r.text
    kiosk.push(server.url, {"pass": 5, "deny": 2, "invalid": 1}, reader="error")
    ops = Web(server.url).as_role("ops")
    page = ops.get("/console/ops").text
    assert "东门1号" in page and "在线" in page and "error" in page and "0.1.0" in page
    assert 'data-outcome="pass">5<' in page and 'data-outcome="deny">2<' in page
    assert "<svg" in page and 'http-equiv="refresh"' in page
    paused = ops.get("/console/ops?site=S-EAST&refresh=0").text
    assert 'http-equiv="refresh"' not in paused and "自动刷新已暂停" in paused
    assert 'name="refresh" value="0"' in paused and 'href="/console/ops?site=S-EAST"' in paused
    assert "读卡器故障" in page
    # Filters: another city hides it.
    assert "东门1号" not in ops.get("/console/ops?city=%E6%B7%B1%E5%9C%B3").text
    assert "东门1号" in ops.get("/console/ops?site=S-EAST").text
    # The reader recovers, but the alert stays until someone acknowledges it.
    kiosk.push(server.url, {"pass": 1})
    page = ops.get("/console/ops").text
    assert "读卡器故障" in page
    alert_id = re.search(r'name="alert" value="(\d+)"', page)
    assert alert_id
    r = ops.post("/console/ops/ack", {"alert": alert_id.group(1)})
    assert r.status == 200 and "读卡器故障" not in r.text and "没有未确认的告警" in r.text
    # The reader fails again: a new alert; acknowledged while still down, it stays quiet.
    kiosk.push(server.url, {"pass": 1}, reader="error")
    page = ops.get("/console/ops").text
    alert_id = re.search(r'name="alert" value="(\d+)"', page)
    assert alert_id and "读卡器故障" in page
    ops.post("/console/ops/ack", {"alert": alert_id.group(1)})
    assert "读卡器故障" not in ops.get("/console/ops").text
    # Counts are shared for counts_ttl_s (10 s): then the next view scans again.
    assert 'data-outcome="pass">5<' in ops.get("/console/ops").text
    clock.now += 11
    assert 'data-outcome="pass">7<' in ops.get("/console/ops").text
    # Silent for more than 15 minutes: offline, and a new alert.
    clock.now += 16 * 60
    page = Web(server.url).as_role("ops").get("/console/ops").text
    assert "离线" in page and "超过15分钟未上报" in page
    assert "ack-alert" in Web(server.url).as_role("admin").get("/console/admin/audit").text


def test_a_disabled_kiosk_can_no_longer_upload(server: ConsoleServer, tmp_path: Path) -> None:
    a = Web(server.url).as_role("admin")
    a.post("/console/admin/sites", {"code": "S-EAST", "name": "东门社区", "city": "广州"})
    kiosk = Kiosk(tmp_path / "lost")
    a.post("/console/admin/kiosks", {"pubkey": kiosk.public_key, "label": "lost one",
                                     "site": "S-EAST", "gate": "G2"})
    kiosk.push(server.url, {"pass": 1})
    page = a.get("/console/admin/kiosks").text
    key_id = re.search(r'name="key_id" value="([0-9a-f]+)"', page)
    assert key_id
    r = a.post("/console/admin/kiosks/disable", {"key_id": key_id.group(1)})
    assert r.status == 200 and "已停用" in r.text
    with pytest.raises(PushError, match="401"):
        kiosk.push(server.url, {"pass": 1})
    r = a.post("/console/admin/kiosks", {"pubkey": "not a key", "label": "x", "site": "S-EAST",
                                         "gate": "G3"})
    assert r.status == 400 and "base64" in r.text


def test_admin_manages_users(server: ConsoleServer) -> None:
    a = Web(server.url).as_role("admin")
    r = a.post("/console/admin/users", {"user": "new.worker", "role": "worker",
                                        "password": "another secret"})
    assert r.status == 200 and "new.worker" in r.text
    assert a.post("/console/admin/users", {"user": "new.worker", "role": "worker",
                                           "password": "another secret"}).status == 409
    assert a.post("/console/admin/users", {"user": "shorty", "role": "worker",
                                           "password": "short"}).status == 400
    nw = Web(server.url)
    assert nw.login("new.worker", "another secret").status == 200
    r = a.post("/console/admin/users/change", {"user": "new.worker", "role": "ops",
                                               "password": "a third secret"})
    assert r.status == 200 and "role ops, password reset" in r.text
    assert nw.get("/console/worker").url.endswith("/console/login")  # logged out everywhere
    assert Web(server.url).login("new.worker", "another secret").status == 401
    assert Web(server.url).login("new.worker", "a third secret").url.endswith("/console/ops")
    assert a.post("/console/admin/users/change", {"user": USERS["admin"],
                                                  "role": "worker"}).status == 400
    assert a.post("/console/admin/users/change", {"user": "new.worker", "role": "",
                                                  "password": ""}).status == 400
    a.post("/console/admin/users/set", {"user": "new.worker", "op": "disable"})
    assert Web(server.url).login("new.worker", "another secret").status == 401
    assert a.post("/console/admin/users/set", {"user": USERS["admin"],
                                               "op": "disable"}).status == 400


# -- what is kept -------------------------------------------------------------------------------


def test_no_page_log_or_table_holds_a_full_id_number(server: ConsoleServer, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    pages: list[str] = []
    w = Web(server.url).as_role("worker")
    pages.append(w.post("/console/worker/lookup", {"id18": ID_OK, "name": "张三明"}).text)
    path = lookup(w, ID_OK)
    ref = path.rsplit("/", 1)[1]
    pages.append(w.post("/console/worker/consent", {"ref": ref, "proxy_name": "张小明",
                                                    "relation": "family"}).text)
    issued = w.post("/console/worker/issue", {"ref": ref})
    pages += [issued.text, w.get("/console/worker/renewals").text]
    h = Web(server.url).as_role("health")
    pages.append(h.post("/console/health/status", {"id18": ID_OK, "status": "yellow",
                                                   "reason": "follow-up"}).text)
    pages.append(h.post("/console/health/status", {"id18": ID_OK[:17] + "1", "status": "red",
                                                   "reason": "x"}).text)
    a = Web(server.url).as_role("admin")
    pages += [a.get("/console/admin/audit").text, a.get("/console/admin/users").text]
    text = "\n".join(pages) + console_db_text(server.data) + caplog.text
    assert "110105********002X" in text  # the masked form is there...
    for needle in (ID_OK, ID_OK[:17], ID_OK[:17] + "1"):
        assert needle not in text  # ...the full number is not
    assert not [r for r in caplog.records if ID_OK[:17] in r.getMessage()]


def test_the_console_runs_in_the_real_service(tmp_path: Path) -> None:
    """Mounted by make_app: forms are accepted under /console/ and refused elsewhere."""
    data = tmp_path / "svc"
    make_service(data)
    with BackgroundService(data) as svc:
        w = Web(svc.url).as_role("worker")
        assert "张*明" in w.get(lookup(w, ID_OK, "张三明")).text
        r = w.post("/healthz", {"x": "y"})
        assert r.status == 400
