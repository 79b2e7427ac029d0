"""The web console at ``/console/``: server-rendered pages for community workers, health
officials, the operations centre and admins (aiohttp; no script in any page).

Security, as every handler gets it from ``_route``:

- Sessions: a random token in an HttpOnly, SameSite=Strict cookie scoped to ``/console/``,
  ``Secure`` when the request came over TLS (directly, or through nginx, which sets
  ``X-Forwarded-Proto: https``); the database keeps the token's SHA-256 only. A session ends
  after ``idle_timeout_s`` without a request and after ``max_session_s`` in all.
- Every form carries a CSRF token (the session's; before login a double-submit cookie), checked
  in constant time before anything else happens; a POST without it is refused with 403.
- Passwords are scrypt hashes; ``max_failures`` wrong passwords in a row lock the account for
  ``lockout_s``.
- Roles: each route names the permission it needs (``PERMISSIONS``); others get 403.
- Resident lookups spend a per-user token bucket (``lookup_burst``, ``lookup_per_hour``) before
  any work, against enumeration. The ID number typed in is used once (subject hash, masks) and
  never stored, logged, echoed or put in a URL: later pages name the resident by a reference
  bound to the session (``_ref``).
- Every action goes to the console's audit log: who, when, what (masked numbers only).
- Pages escape all data (``_html``), and are sent with a strict Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
import secrets
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.web import RequestPayloadError

import codes
from codes import DeviceError, EntryKind, Kind, Severity, TokenError
from codes.wire import MAX_GATE, MAX_SITE, RecordError, check_free_text, check_place_code
from service._console import _ops
from service._console._auth import (
    ROLES,
    AccountError,
    check_role,
    check_user_name,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)
from service._console._html import Markup, el, esc, frag, raw, t, tt
from service._console._store import ConsoleStore, Session, open_console_db
from service._issuer import load_issuer_key
from service._printcard import CardText, render_offline_cards
from service._publish_lock import file_publish_lock, pg_publish_lock
from service._sql import SqlDb, StorageError, is_postgres_url
from service._state import DB_FILE, MAX_LIFETIME, IssuedToken, ServiceState, open_state_db
from service._store import Storage

log = logging.getLogger(__name__)

PREFIX = "/console/"
COOKIE = "pk_console"
LOGIN_COOKIE = "pk_login"

PERMISSIONS: dict[str, frozenset[str]] = {
    "worker": frozenset({"lookup", "consent", "issue", "renew"}),
    "health": frozenset({"status", "publish"}),
    "ops": frozenset({"ops", "ack"}),
    "admin": frozenset({"ops", "ack", "admin"}),
}
ROLE_TEXT = {
    "worker": ("社区工作人员", "community worker"),
    "health": ("卫生健康官员", "health official"),
    "ops": ("运行监控", "operations viewer"),
    "admin": ("管理员", "admin"),
}
RELATION_TEXT = {"family": ("家属", "family member"),
                 "worker": ("社区工作人员", "community worker"), "other": ("其他", "other")}
HOME = {"worker": "worker", "health": "health", "ops": "ops", "admin": "admin/users"}
STATUS_TEXT = {
    Severity.GREEN: ("绿码", "green"),
    Severity.YELLOW: ("黄码", "yellow"),
    Severity.RED: ("红码", "red"),
    Severity.REVOKED: ("已作废", "revoked"),
}


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    """The console's limits; the defaults suit a community office and an operations room."""

    idle_timeout_s: int = 15 * 60
    max_session_s: int = 12 * 3600
    max_failures: int = 5
    lockout_s: int = 15 * 60
    lookup_burst: int = 30  # lookups a worker may make at once...
    lookup_per_hour: float = 120.0  # ...refilled at this rate
    # Login attempts per client address (against guessing one password across many accounts;
    # the lockout covers one account): generous, since an office may share one address.
    login_burst: int = 100
    login_per_hour: float = 1000.0
    renew_within_s: int = 2 * 86_400  # the renewal list: printed codes ending this soon
    print_keep_s: int = 600  # a printed PDF can be fetched again for this long
    refresh_s: int = 30  # the operations view reloads itself this often
    # Today's counts scan the day's records (~0.4 s for 200,000 on SQLite): one scan serves
    # every operations screen of this process for this long.
    counts_ttl_s: float = 10.0
    max_form_bytes: int = 64 * 1024
    form_timeout_s: float = 30.0
    # None: Secure cookies when the request came over TLS (or nginx says it did).
    secure_cookies: bool | None = None


class _Refusal(Exception):
    """A request the console answers with an error page instead of doing it."""

    def __init__(self, status: int, zh: str, en: str) -> None:
        super().__init__(en)
        self.status, self.zh, self.en = status, zh, en


@dataclass
class Ctx:
    console: Console
    session: Session | None
    form: dict[str, list[str]]
    query: dict[str, str]
    match: dict[str, str]
    cookies: dict[str, str]
    now: int
    clock_now: float  # the same instant with its fraction (rate buckets)
    secure: bool
    client: str = ""  # the client's address (nginx's X-Forwarded-For, else the peer)

    @property
    def who(self) -> str:
        return self.session.name if self.session else "-"

    def field(self, name: str, *, max_len: int = 200, required: bool = True) -> str:
        values = self.form.get(name, [])
        value = values[0].strip() if values else ""
        if len(value) > max_len:
            raise _Refusal(400, f"“{name}”过长", f"{name}: expected at most {max_len} "
                                                   f"characters, got {len(value)}")
        if required and not value:
            raise _Refusal(400, f"请填写“{name}”", f"{name}: expected a value, got none")
        return value


class Console:
    """The console's stores and the service state (opened on first use)."""

    def __init__(self, data_dir: Path, storage: Storage, db: str | None,
                 config: ConsoleConfig) -> None:
        self.data_dir, self.db_url, self.config = data_dir, db, config
        self._storage = storage
        self._store: ConsoleStore | None = None
        self._state: ServiceState | None = None
        self._lock = threading.Lock()
        self._counts: tuple[float, int, list[tuple[str, str, str, str, int, int, int]]] | None \
            = None
        self._counts_lock = threading.Lock()

    @property
    def store(self) -> ConsoleStore:
        """Opened at the first request: a service that nobody opens the console on gets no
        console tables, and the state database may be initialised after the server started."""
        with self._lock:
            if self._store is None:
                self._store = ConsoleStore(open_console_db(self.data_dir, self.db_url),
                                           self._storage, self._open_state_db)
            return self._store

    def today_counts(self, now: float) -> list[tuple[str, str, str, str, int, int, int]]:
        """Today's per-kiosk, site, gate, outcome and hour counts, at most ``counts_ttl_s``
        old (screens refreshing together wait for one scan instead of each running one)."""
        start, end = _ops.day_bounds(int(now))
        with self._counts_lock:
            if self._counts is None or self._counts[1] != start or \
                    now - self._counts[0] > self.config.counts_ttl_s or now < self._counts[0]:
                self._counts = (now, start, self.store.today_counts(start, end))
            return self._counts[2]

    def _open_state_db(self) -> SqlDb:
        if not is_postgres_url(self.db_url) and not (self.data_dir / DB_FILE).is_file():
            raise DeviceError(f"expected an initialised service in {self.data_dir}, found none")
        return open_state_db(self.data_dir, self.db_url)

    def state(self) -> ServiceState:
        with self._lock:
            if self._state is None:
                self._state = ServiceState(self.data_dir, db=self.db_url)
            return self._state

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
            if self._state is not None:
                self._state.close()

    @contextmanager
    def publish_lock(self) -> Iterator[bool]:
        if is_postgres_url(self.db_url):
            import psycopg  # only a PostgreSQL deployment needs it

            try:
                conn = psycopg.connect(self.db_url or "", autocommit=True, connect_timeout=10)
            except psycopg.Error as e:
                raise StorageError(f"publish lock: expected to reach PostgreSQL, got {e}") \
                    from None
            with conn, pg_publish_lock(conn) as mine:
                yield mine
        else:
            with file_publish_lock(self.data_dir) as mine:
                yield mine


# -- references to residents ----------------------------------------------------------------


def _ref(session: Session, sh: bytes) -> str:
    """A resident's reference in pages and forms: the subject hash, bound to this session."""
    mac = hmac.new(session.csrf.encode(), sh, hashlib.sha256).hexdigest()[:24]
    return f"{sh.hex()}.{mac}"


def _unref(session: Session, ref: str) -> bytes:
    sh_hex = ref.partition(".")[0]
    try:
        sh = bytes.fromhex(sh_hex)
    except ValueError:
        sh = b""
    if len(sh) != 16 or not hmac.compare_digest(_ref(session, sh), ref):
        raise _Refusal(404, "找不到该居民，请重新查询", "expected a resident looked up in this "
                                                  "session; look them up again")
    return sh


# -- page layout ------------------------------------------------------------------------------

CSS = """
:root { color: #1a1a1a; background: #ffffff; font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei",
  sans-serif; font-size: 16px; line-height: 1.5; }
body { margin: 0; }
.en { font-size: 0.85em; color: #404040; margin-left: 0.35em; }
h1 .en, h2 .en, th .en, button .en { display: block; margin-left: 0; }
header { background: #0b3d6e; color: #ffffff; padding: 0.5rem 1rem; display: flex;
  flex-wrap: wrap; align-items: center; gap: 1rem; }
header .en { color: #ffffff; }
header h1 { font-size: 1.3rem; margin: 0; }
nav a { color: #ffffff; margin-right: 1rem; text-decoration: underline; display: inline-block; }
header .who { margin-left: auto; }
main { padding: 1rem; max-width: 1800px; }
a { color: #0b4f94; }
a:focus, button:focus, input:focus, select:focus, textarea:focus {
  outline: 3px solid #c75000; outline-offset: 2px; }
label { display: block; font-weight: bold; margin-top: 0.6rem; }
input, select, textarea { font-size: 1rem; padding: 0.35rem; border: 2px solid #4a4a4a;
  border-radius: 4px; min-width: 16rem; color: #1a1a1a; background: #ffffff; }
input[type="checkbox"] { min-width: 0; width: 1.4rem; height: 1.4rem; vertical-align: middle;
  margin: 0 0.4rem 0 0; }
td label { display: inline; margin: 0; }
button { font-size: 1rem; padding: 0.45rem 1rem; margin-top: 0.6rem; background: #0b5cad;
  color: #ffffff; border: 0; border-radius: 4px; cursor: pointer; }
button .en { color: #ffffff; }
button.quiet { background: #4a4a4a; }
button.danger { background: #b00020; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #8a8a8a; padding: 0.3rem 0.6rem; text-align: left;
  vertical-align: top; }
th { background: #e8eef5; }
.card { border: 1px solid #8a8a8a; border-radius: 6px; padding: 0.8rem 1rem; margin: 0.8rem 0;
  max-width: 60rem; }
.error { background: #fdecea; border: 2px solid #b00020; color: #7a0016; padding: 0.6rem;
  max-width: 60rem; }
.error .en { color: #7a0016; }
.ok { background: #e8f5e9; border: 2px solid #1b5e20; color: #124116; padding: 0.6rem;
  max-width: 60rem; }
.ok .en { color: #124116; }
.badge { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 4px; font-weight: bold; }
.badge .en { display: inline; margin-left: 0.3rem; }
.s-green, .s-online { background: #1b5e20; color: #ffffff; }
.s-yellow { background: #ffd54f; color: #1a1a1a; }
.s-red, .s-revoked, .s-offline, .s-alert { background: #b00020; color: #ffffff; }
.s-green .en, .s-online .en, .s-red .en, .s-revoked .en, .s-offline .en, .s-alert .en {
  color: #ffffff; }
.s-yellow .en { color: #1a1a1a; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 1rem; }
.legend span.key { display: inline-block; width: 0.9rem; height: 0.9rem; margin: 0 0.3rem 0 1rem;
  vertical-align: middle; }
.k-pass { background: #1b5e20; } .k-attention { background: #8a5a00; }
.k-deny { background: #b00020; } .k-invalid { background: #4a4a4a; }
.badge { white-space: nowrap; }
.card input, .card select, .card textarea { display: block; }
form.inline { display: inline; }
.toolbar { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 1.5rem; }
.toolbar p { margin: 0; }
.filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.8rem; }
.filters label { margin-top: 0; }
.filters select { min-width: 10rem; }
.ops-grid { display: grid; grid-template-columns: 1fr; gap: 1rem; }
.ops-grid .grid { grid-template-columns: repeat(auto-fill, minmax(26rem, 1fr)); }
h3 { margin: 0.8rem 0 0.3rem; }
@media (min-width: 1600px) { .ops-grid { grid-template-columns: 3fr 2fr; }
  .ops-grid .grid { grid-template-columns: 1fr; } }
@media (min-width: 1800px) { :root { font-size: 18px; } }
"""


def _nav(session: Session) -> Markup:
    links = {
        "worker": [("worker", "居民查询", "Look up"), ("worker/renewals", "续期清单",
                                                         "Renewals")],
        "health": [("health", "健康状态", "Statuses")],
        "ops": [("ops", "运行总览", "Operations")],
        "admin": [("admin/users", "用户", "Users"), ("admin/kiosks", "闸机终端", "Kiosks"),
                  ("admin/sites", "场所", "Sites"), ("admin/audit", "审计日志", "Audit log"),
                  ("ops", "运行总览", "Operations")],
    }[session.role]
    return el("nav", [el("a", t(zh, en), href=PREFIX + path) for path, zh, en in links],
              aria_label="主导航 / Main")


def _csrf(session: Session) -> Markup:
    return el("input", type="hidden", name="csrf", value=session.csrf)


def _page(ctx: Ctx, zh: str, en: str, *body: object, status: int = 200,
          refresh: int | None = None) -> web.Response:
    s = ctx.session
    head = frag(
        raw('<meta charset="utf-8">'),
        el("meta", name="viewport", content="width=device-width, initial-scale=1"),
        el("meta", http_equiv="refresh", content=str(refresh)) if refresh else None,
        el("title", tt(zh, en) + " - 通行码管理台 / PassKiosk console"),
        el("link", rel="stylesheet", href=PREFIX + "console.css"),
    )
    top = el("header", el("h1", t("通行码管理台", "PassKiosk console")),
             _nav(s) if s else None,
             el("div", el("span", s.name), " · ", t(*ROLE_TEXT[s.role]),
                el("form", _csrf(s), el("button", t("退出", "Log out"), class_="quiet"),
                   method="post", action=PREFIX + "logout", class_="inline"),
                class_="who") if s else None)
    doc = frag(raw("<!doctype html>"), el(
        "html", el("head", head),
        el("body", top, el("main", el("h2", t(zh, en)), *body, id="main")), lang="zh-CN"))
    return web.Response(text=doc, status=status, content_type="text/html", charset="utf-8")


def _msg(kind: str, zh: str, en: str) -> Markup:
    return el("div", t(zh, en), class_=kind, role="alert" if kind == "error" else "status")


def _field(label_zh: str, label_en: str, name: str, *, type_: str = "text",
           required: bool = True, autocomplete: str = "off", value: str = "",
           inputmode: str | None = None, maxlength: int = 200,
           id_: str | None = None) -> Markup:
    fid = id_ or f"f-{name}"  # ids are unique per page: a label names exactly one input
    return frag(el("label", t(label_zh, label_en), for_=fid),
                el("input", id=fid, name=name, type=type_, required=required,
                   autocomplete=autocomplete, value=value or None, inputmode=inputmode,
                   maxlength=str(maxlength)))


def _select(label_zh: str, label_en: str, name: str,
            options: Sequence[tuple[str, str]], selected: str = "",
            id_: str | None = None) -> Markup:
    fid = id_ or f"f-{name}"
    return frag(el("label", t(label_zh, label_en), for_=fid),
                el("select", [el("option", text, value=value, selected=value == selected)
                              for value, text in options], id=fid, name=name))


def _form(ctx: Ctx, action: str, *fields: object, button: Markup,
          method: str = "post", class_: str | None = None,
          button_class: str | None = None) -> Markup:
    assert ctx.session is not None
    return el("form", _csrf(ctx.session) if method == "post" else None, *fields,
              el("button", button, type="submit", class_=button_class), method=method,
              action=PREFIX + action, class_=class_)


def _badge(status: Severity) -> Markup:
    zh, en = STATUS_TEXT[status]
    return el("span", t(zh, en), class_=f"badge s-{en}")


def _redirect(path: str) -> web.Response:
    return web.Response(status=303, headers={"Location": PREFIX + path})


# -- login --------------------------------------------------------------------------------------


def _cookie(resp: web.StreamResponse, ctx: Ctx, name: str, value: str,
            max_age: int | None) -> None:
    resp.set_cookie(name, value, path=PREFIX, httponly=True, samesite="Strict",
                    secure=ctx.secure, max_age=max_age)


def login_page(ctx: Ctx, error: Markup | None = None, status: int = 200) -> web.Response:
    pre = secrets.token_urlsafe(24)
    body = frag(error, el(
        "form", el("input", type="hidden", name="csrf", value=pre),
        _field("用户名", "User name", "user", autocomplete="username", maxlength=32),
        _field("密码", "Password", "password", type_="password",
               autocomplete="current-password"),
        el("button", t("登录", "Log in"), type="submit"),
        method="post", action=PREFIX + "login", class_="card"))
    resp = _page(ctx, "登录", "Log in", body, status=status)
    _cookie(resp, ctx, LOGIN_COOKIE, pre, 3600)
    return resp


def login(ctx: Ctx) -> web.Response:
    c, store = ctx.console.config, ctx.console.store
    pre = ctx.cookies.get(LOGIN_COOKIE, "")
    sent = ctx.form.get("csrf", [""])[0]
    if not pre or not hmac.compare_digest(pre.encode(), sent.encode()):
        raise _Refusal(403, "表单已过期，请重新登录", "expected the login form's CSRF token")
    name = ctx.field("user", max_len=32).lower()
    if not store.take_token(f"login:{ctx.client}", ctx.clock_now, c.login_per_hour,
                            c.login_burst):
        store.audit("-", "login-throttled", f"client {ctx.client[:45]}", ctx.now)
        return login_page(ctx, _msg("error", "登录尝试过多，请稍后再试",
                                    "Too many login attempts from here; try again later"), 429)
    password = ctx.form.get("password", [""])[0]
    user = store.user(name)
    ok = verify_password(password, user.pw_hash if user else None)
    if user is not None and user.locked_until > ctx.now:
        store.audit(name, "login-refused", "account locked", ctx.now)
        return login_page(ctx, _msg("error", "账户已锁定，请稍后再试",
                                    "Account locked after repeated failures; try later"), 403)
    if user is None or user.disabled or not ok:
        locked = user is not None and not ok and store.login_failed(
            name, ctx.now, c.max_failures, c.lockout_s)
        store.audit(name if user else "-", "login-failed",
                    "locked after repeated failures" if locked else "wrong name or password",
                    ctx.now)
        return login_page(ctx, _msg("error", "用户名或密码错误", "Wrong user name or password"),
                          401)
    store.login_ok(name)
    token, th = new_token()
    store.new_session(th, name, ctx.now)
    store.audit(name, "login", f"role {user.role}", ctx.now)
    resp = _redirect(HOME[user.role])
    # A browser-session cookie: closing the browser on a shared office computer ends it; the
    # idle timeout and the maximum age are enforced by the server either way.
    _cookie(resp, ctx, COOKIE, token, None)
    resp.del_cookie(LOGIN_COOKIE, path=PREFIX)
    return resp


def logout(ctx: Ctx) -> web.Response:
    token = ctx.cookies.get(COOKIE, "")
    ctx.console.store.end_session(token_hash(token))
    ctx.console.store.audit(ctx.who, "logout", "", ctx.now)
    resp = _redirect("login")
    resp.del_cookie(COOKIE, path=PREFIX)
    return resp


def home(ctx: Ctx) -> web.Response:
    assert ctx.session is not None
    return _redirect(HOME[ctx.session.role])


# -- community worker ----------------------------------------------------------------------------


def worker(ctx: Ctx, note: Markup | None = None, status: int = 200) -> web.Response:
    form = _form(ctx, "worker/lookup",
                 _field("身份证号码", "ID number", "id18", inputmode="text", maxlength=18),
                 _field("姓名（首次登记时填写）", "Name (when first registering)", "name",
                        required=False, maxlength=32),
                 button=t("查询", "Look up"), class_="card")
    return _page(ctx, "居民查询", "Look up a resident", note, form, status=status)


def lookup(ctx: Ctx) -> web.Response:
    assert ctx.session is not None
    c, store = ctx.console.config, ctx.console.store
    if not store.take_token(f"lookup:{ctx.who}", ctx.clock_now, c.lookup_per_hour,
                            c.lookup_burst):
        store.audit(ctx.who, "lookup-refused", "over the lookup rate", ctx.now)
        return worker(ctx, _msg("error", "查询过于频繁，请稍后再试",
                                "Too many lookups; wait a while before the next one"), 429)
    id18 = codes.normalize_id18(ctx.field("id18", max_len=40))
    name = ctx.field("name", max_len=32, required=False)
    problem = codes.id18_problem(id18, ctx.now)
    if problem is not None:
        store.audit(ctx.who, "lookup-invalid", "ID number failed its check", ctx.now)
        return worker(ctx, _msg("error", "身份证号码无效（校验位或出生日期不符）",
                                f"Not a valid ID number: {problem}"), 400)
    sh = codes.subject_hash(id18)
    id_masked = codes.mask_id(id18)
    if name:
        try:
            check_free_text("name", name, 32)
        except RecordError:
            raise _Refusal(400, "姓名格式不正确", "name: expected a name, got something "
                                                "else") from None
        store.remember_resident(sh, codes.mask_name(name), id_masked, ctx.now)
    store.audit(ctx.who, "lookup", f"resident {id_masked}", ctx.now)
    return _redirect(f"worker/resident/{_ref(ctx.session, sh)}")


def resident(ctx: Ctx, note: Markup | None = None) -> web.Response:
    assert ctx.session is not None
    store = ctx.console.store
    sh = _unref(ctx.session, ctx.match["ref"])
    ref = _ref(ctx.session, sh)
    who = store.resident(sh)
    status = store.subject_status(sh)
    current = store.current_codes(sh, ctx.now)
    consents = store.consents(sh)
    name = who.name_masked if who and who.name_masked else None
    summary = el("div", el("p", t("姓名", "Name"), " ",
                           el("strong", name) if name else t("未登记", "not registered")),
                 el("p", t("身份证号码", "ID number"), " ",
                    el("strong", who.id_masked if who else "—")),
                 el("p", t("健康状态", "Status"), " ", _badge(status)), class_="card")
    codes_table = el("table", el("caption", t("当前有效的码", "Current codes")),
                     el("tr", el("th", t("码编号", "Code id")), el("th", t("类型", "Kind")),
                        el("th", t("有效期至", "Valid until")), el("th", t("状态", "State"))),
                     [el("tr", el("td", el("code", code.cti.hex())),
                         el("td", t("纸质离线码", "printed") if code.printed
                            else t("手机码", "phone")),
                         el("td", _ops.cst_time(code.exp)),
                         el("td", t("已作废", "revoked") if code.revoked
                            else t("有效", "valid")))
                      for code in current]) if current else el(
        "p", t("没有当前有效的码", "No current codes"))
    consent_list = el("ul", [el("li", cn.proxy_name, "（", t(*RELATION_TEXT.get(
                                    cn.relation, (cn.relation, cn.relation))), "） · ",
                                t("登记人", "recorded by"), f" {cn.recorded_by} · ",
                                _ops.cst_time(cn.at)) for cn in consents]) if consents else el(
        "p", t("尚未登记代办授权", "No proxy consent recorded"))
    consent_form = _form(
        ctx, "worker/consent", el("input", type="hidden", name="ref", value=ref),
        _field("代办人姓名", "Proxy's name", "proxy_name", maxlength=32),
        _select("与本人关系", "Relation", "relation",
                [(k, tt(*v)) for k, v in RELATION_TEXT.items()]),
        button=t("登记授权代办", "Record consent"), class_="card")
    issue_form = _form(
        ctx, "worker/issue", el("input", type="hidden", name="ref", value=ref),
        el("p", t("签发7天有效的纸质离线码并打印A6卡片",
                  "Issue a printed offline code valid for 7 days and print its A6 card")),
        button=t("签发并打印", "Issue and print"), class_="card") if name else el(
        "p", t("请先在查询时填写姓名", "Enter the name in a lookup first"), class_="card")
    return _page(ctx, "居民信息", "Resident", note, summary, codes_table,
                 el("h3", t("授权代办", "Proxy consent (授权代办)")), consent_list,
                 consent_form, el("h3", t("签发离线码", "Offline code")), issue_form)


def consent(ctx: Ctx) -> web.Response:
    assert ctx.session is not None
    sh = _unref(ctx.session, ctx.field("ref"))
    proxy = ctx.field("proxy_name", max_len=32)
    relation = ctx.field("relation", max_len=16)
    if relation not in ("family", "worker", "other"):
        raise _Refusal(400, "关系不正确", f"relation: expected family, worker or other, got "
                                           f"{relation[:16]!r}")
    try:
        check_free_text("proxy name", proxy, 32)
    except RecordError:
        raise _Refusal(400, "代办人姓名格式不正确", "proxy name: expected a name") from None
    store = ctx.console.store
    store.add_consent(sh, proxy, relation, ctx.who, ctx.now)
    who = store.resident(sh)
    store.audit(ctx.who, "consent", f"resident {who.id_masked if who else sh.hex()[:12]} "
                                    f"proxy {relation}", ctx.now)
    return resident(_with_ref(ctx, sh), _msg("ok", "已登记授权代办", "Consent recorded"))


def _with_ref(ctx: Ctx, sh: bytes) -> Ctx:
    assert ctx.session is not None
    return dataclasses.replace(ctx, match={**ctx.match, "ref": _ref(ctx.session, sh)})


def issue_printed(state: ServiceState, *, sh: bytes, name_masked: str, id_masked: str,
                  status: int, proxy: bool, now: int) -> IssuedToken:
    """A printed PK1 code (§3 kind 1, 7 days: §4 step 6) for a resident known by subject hash
    and masked fields only: the console never holds the ID number to call ``issue`` with."""
    cti = secrets.token_bytes(16)
    exp = now + MAX_LIFETIME[Kind.PRINTED]
    text = codes.issue_pk1(signing_key=load_issuer_key(state.data_dir), iss=state.iss, iat=now,
                           exp=exp, cti=cti, status=status, kind=Kind.PRINTED, sh=sh,
                           nm=name_masked, im=id_masked, px=True if proxy else None)
    state.record_issued(cti=cti, sh=sh, kind=1, status=status, proxy=proxy, iat=now, exp=exp)
    return IssuedToken(text=text, cti=cti.hex(), iat=now, exp=exp, name_masked=name_masked,
                       id_masked=id_masked)


def _print_job(ctx: Ctx, tokens: Sequence[IssuedToken]) -> str:
    with tempfile.TemporaryDirectory(prefix="pk-console-") as tmp:
        out = Path(tmp) / "cards.pdf"
        render_offline_cards(out, [CardText(tok.text, tok.name_masked, tok.id_masked, tok.iat,
                                            tok.exp) for tok in tokens])
        pdf = out.read_bytes()
    return ctx.console.store.add_print_job(ctx.who, pdf, len(tokens), ctx.now,
                                           ctx.console.config.print_keep_s)


def _printed_page(ctx: Ctx, job: str, tokens: Sequence[IssuedToken]) -> web.Response:
    link = el("a", t("打开PDF并打印", "Open the PDF and print"),
              href=f"{PREFIX}worker/print/{job}.pdf", target="_blank", id="print-link")
    rows = [el("tr", el("td", tok.name_masked), el("td", tok.id_masked),
               el("td", _ops.cst_time(tok.exp))) for tok in tokens]
    table = el("table", el("tr", el("th", t("姓名", "Name")),
                           el("th", t("身份证号码", "ID number")),
                           el("th", t("有效期至", "Valid until"))), rows)
    return _page(ctx, "卡片已签发", "Cards issued",
                 _msg("ok", f"已签发{len(tokens)}张卡片", f"{len(tokens)} card(s) issued"),
                 table, el("p", link))


def issue(ctx: Ctx) -> web.Response:
    assert ctx.session is not None
    store = ctx.console.store
    sh = _unref(ctx.session, ctx.field("ref"))
    who = store.resident(sh)
    if who is None or not who.name_masked:
        raise _Refusal(400, "请先登记姓名", "expected a registered name before issuing")
    status = store.subject_status(sh)
    tok = issue_printed(ctx.console.state(), sh=sh, name_masked=who.name_masked,
                        id_masked=who.id_masked, status=int(min(status, Severity.RED)),
                        proxy=bool(store.consents(sh)), now=ctx.now)
    job = _print_job(ctx, [tok])
    store.audit(ctx.who, "issue-printed", f"resident {who.id_masked} token {tok.cti}", ctx.now)
    return _printed_page(ctx, job, [tok])


def print_pdf(ctx: Ctx) -> web.Response:
    store = ctx.console.store
    job = ctx.match["job"]
    pdf = store.print_job(job, ctx.who, ctx.now, ctx.console.config.print_keep_s)
    if pdf is None:
        raise _Refusal(404, "打印任务不存在或已过期", "expected a print job of yours from the "
                                                 "last minutes, found none")
    store.audit(ctx.who, "print", f"job {job[:8]}", ctx.now)
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": 'inline; filename="passkiosk-cards.pdf"'})


def renewals(ctx: Ctx, note: Markup | None = None) -> web.Response:
    assert ctx.session is not None
    store = ctx.console.store
    due = store.expiring_printed(ctx.now, ctx.console.config.renew_within_s)
    people = store.residents([c.sh for c in due])
    rows = []
    for code in due:
        who = people.get(code.sh)
        can = who is not None and bool(who.name_masked) and bool(store.consents(code.sh))
        box_id = f"r-{code.cti.hex()[:12]}"
        rows.append(el(
            "tr",
            el("td", el("input", type="checkbox", name="ref", value=_ref(ctx.session, code.sh),
                        id=box_id, checked=can, disabled=not can),
               el("label", t("续期", "renew"), for_=box_id)),
            el("td", who.name_masked if who else "—"), el("td", who.id_masked if who else "—"),
            el("td", _ops.cst_time(code.exp)),
            el("td", t("已授权代办", "consent on file") if can
               else t("需先登记授权", "consent needed"))))
    if not rows:
        return _page(ctx, "续期清单", "Renewals", note,
                     el("p", t("两天内没有到期的纸质码", "No printed codes expire within 2 days")))
    table = el("table", el("tr", el("th", t("选择", "Select")), el("th", t("姓名", "Name")),
                           el("th", t("身份证号码", "ID number")),
                           el("th", t("到期时间", "Expires")), el("th", t("授权", "Consent"))),
               rows)
    return _page(ctx, "续期清单", "Renewals: printed codes expiring within 2 days", note,
                 _form(ctx, "worker/renew", table,
                       button=t("一键批量打印续期卡片", "Print all renewed cards (one PDF)")))


def renew(ctx: Ctx) -> web.Response:
    assert ctx.session is not None
    store = ctx.console.store
    refs = ctx.form.get("ref", [])[:200]
    if not refs:
        return renewals(ctx, _msg("error", "请至少选择一位居民", "Select at least one resident"))
    state = ctx.console.state()
    tokens = []
    for ref in refs:
        sh = _unref(ctx.session, ref)
        who = store.resident(sh)
        if who is None or not who.name_masked or not store.consents(sh):
            raise _Refusal(400, "所选居民没有登记授权代办", "expected proxy consent on file for "
                                                     "every resident renewed")
        status = store.subject_status(sh)
        tokens.append(issue_printed(state, sh=sh, name_masked=who.name_masked,
                                    id_masked=who.id_masked,
                                    status=int(min(status, Severity.RED)), proxy=True,
                                    now=ctx.now))
    job = _print_job(ctx, tokens)
    store.audit(ctx.who, "renew-printed", f"{len(tokens)} cards: "
                + ", ".join(tok.id_masked for tok in tokens)[:400], ctx.now)
    return _printed_page(ctx, job, tokens)


# -- health official -----------------------------------------------------------------------------


def health(ctx: Ctx, note: Markup | None = None, status: int = 200) -> web.Response:
    store = ctx.console.store
    pending = store.pending_changes()
    reasons = store.notes([p.key for p in pending])
    people = store.residents([p.key for p in pending if p.type is EntryKind.SUBJECT])
    rows = []
    for p in pending:
        if p.type is EntryKind.SUBJECT:
            who = people.get(p.key)
            what = t("居民", "resident") + esc(f" {who.id_masked if who else p.key.hex()[:12]}")
        elif p.type is EntryKind.TOKEN:
            what = t("码", "token") + esc(f" {p.key.hex()}")
        else:
            what = t("卡", "card") + esc(f" {p.key.hex()[:12]}")
        lifted = p.status is Severity.GREEN and p.type is not EntryKind.TOKEN
        rows.append(el("tr", el("td", str(p.seq)), el("td", what),
                       el("td", t("解除", "lifted") if lifted else _badge(p.status)),
                       el("td", reasons.get(p.key, "")), el("td", _ops.cst_time(p.since))))
    pending_block = el("table", el("caption", t("待发布的变更", "Changes pending publication")),
                       el("tr", el("th", "#"), el("th", t("对象", "Subject")),
                          el("th", t("新状态", "New status")), el("th", t("原因", "Reason")),
                          el("th", t("时间", "When"))), rows) if rows else el(
        "p", t("没有待发布的变更", "No changes pending publication"))
    status_form = _form(
        ctx, "health/status",
        _field("身份证号码", "ID number", "id18", maxlength=18),
        _select("状态", "Status", "status", [("red", "红码 / red"), ("yellow", "黄码 / yellow"),
                                           ("green", "解除（绿码）/ lift (green)")]),
        _field("原因", "Reason", "reason", maxlength=64),
        button=t("设置状态", "Set status"), class_="card")
    revoke_form = _form(
        ctx, "health/revoke",
        _field("码编号（32位十六进制）", "Token id (32 hex characters)", "token", maxlength=32),
        _field("原因", "Reason", "reason", maxlength=64, id_="f-revoke-reason"),
        button=t("作废此码", "Revoke token"), class_="card")
    publish_form = _form(
        ctx, "health/publish",
        el("p", t("当前名单版本", "Current list version"), f" {store.list_version()}"),
        button=t("发布待发布的变更", "Publish pending changes"), class_="card")
    return _page(ctx, "健康状态管理", "Statuses and publishing", note,
                 el("div", el("section", el("h3", t("设置或解除状态", "Set or lift a status")),
                              status_form),
                    el("section", el("h3", t("作废一个码", "Revoke a token")), revoke_form),
                    class_="grid"),
                 el("h3", t("待发布", "Pending")), pending_block, publish_form, status=status)


def _reason(ctx: Ctx) -> str:
    reason = ctx.field("reason", max_len=64)
    try:
        check_free_text("reason", reason, 64)
    except RecordError:
        raise _Refusal(400, "原因中不能包含身份证号码等内容", "reason: expected short text with "
                                                         "no ID number") from None
    return reason


def set_status(ctx: Ctx) -> web.Response:
    store = ctx.console.store
    id18 = codes.normalize_id18(ctx.field("id18", max_len=40))
    if codes.id18_problem(id18, ctx.now) is not None:
        return health(ctx, _msg("error", "身份证号码无效", "Not a valid ID number"), 400)
    choice = ctx.field("status", max_len=8)
    sev = {"red": Severity.RED, "yellow": Severity.YELLOW, "green": Severity.GREEN}.get(choice)
    if sev is None:
        raise _Refusal(400, "状态不正确", "status: expected red, yellow or green")
    reason = _reason(ctx)
    sh = codes.subject_hash(id18)
    id_masked = codes.mask_id(id18)
    ctx.console.state().revoke(EntryKind.SUBJECT, sh, sev, now=ctx.now)
    store.add_note(EntryKind.SUBJECT, sh, sev, reason, ctx.who, ctx.now)
    if store.resident(sh) is None:  # the masked number for the pending list; no name yet
        store.remember_resident(sh, "", id_masked, ctx.now)
    store.audit(ctx.who, "set-status", f"resident {id_masked} {choice}: {reason}", ctx.now)
    return health(ctx, _msg("ok", f"已设置，待发布：{id_masked}",
                            f"Set for {id_masked}; publish to ship it"))


def revoke(ctx: Ctx) -> web.Response:
    store = ctx.console.store
    text = ctx.field("token", max_len=64).lower()
    try:
        cti = bytes.fromhex(text)
    except ValueError:
        cti = b""
    if len(cti) != 16:
        return health(ctx, _msg("error", "码编号应为32位十六进制", "Token id: expected 32 hex "
                                                            "characters"), 400)
    reason = _reason(ctx)
    if store.code(cti) is None:
        return health(ctx, _msg("error", "找不到该码", "No token with that id was issued"), 404)
    ctx.console.state().revoke(EntryKind.TOKEN, cti, Severity.REVOKED, now=ctx.now)
    store.add_note(EntryKind.TOKEN, cti, Severity.REVOKED, reason, ctx.who, ctx.now)
    store.audit(ctx.who, "revoke-token", f"token {cti.hex()}: {reason}", ctx.now)
    return health(ctx, _msg("ok", "已作废，待发布", "Revoked; publish to ship it"))


def publish(ctx: Ctx) -> web.Response:
    console = ctx.console
    with console.publish_lock() as mine:
        if not mine:
            return health(ctx, _msg("error", "另一个发布正在进行，请稍后",
                                    "Another publish is running; try again shortly"), 409)
        res = console.state().publish(now=ctx.now)
    console.store.audit(ctx.who, "publish", f"list version {res.version} "
                                            f"({res.delta_records} changes)", ctx.now)
    return health(ctx, _msg("ok", f"已发布名单版本 {res.version}",
                            f"Published list version {res.version}"))


# -- operations view -----------------------------------------------------------------------------


def ops(ctx: Ctx) -> web.Response:
    store = ctx.console.store
    rows = ctx.console.today_counts(ctx.clock_now)
    sites = {s.code: s for s in store.sites()}
    latest: dict[str, tuple[int, str, str]] = {}
    for kid, site, gate, _o, _h, _n, at in rows:
        if at >= latest.get(kid, (-1, "", ""))[0]:
            latest[kid] = (at, site, gate)
    healths = {h.key_id: h for h in store.uploads.latest_health()}
    kiosks = store.kiosks()
    live = [k for k in kiosks if not k.disabled]
    found = [a for k in live if k.key_id in healths
             for a in _ops.alerts_for(k.key_id, healths[k.key_id].reported_at,
                                      healths[k.key_id].health, ctx.now)]
    store.raise_alerts(found, [k.key_id for k in live if k.key_id in healths],
                       list(_ops.ALERT_TEXT), ctx.now)

    city = ctx.query.get("city", "")[:32]
    site_f = ctx.query.get("site", "")[:32]

    def place(k_id: str, site: str, gate: str) -> tuple[str, str]:
        if not site and k_id in latest:
            return latest[k_id][1], latest[k_id][2]
        return site, gate

    shown_rows = []
    shown_ids: set[str] = set()
    for k in kiosks:
        site, gate = place(k.key_id, k.site, k.gate)
        s_city = sites[site].city if site in sites else ""
        if (city and s_city != city) or (site_f and site != site_f):
            continue
        shown_ids.add(k.key_id)
        h = healths.get(k.key_id)
        if k.disabled:
            state = el("span", t("已停用", "disabled"), class_="badge s-offline")
        elif h is None:
            state = el("span", t("从未上报", "never reported"), class_="badge s-offline")
        elif ctx.now - h.reported_at <= _ops.SILENT_S:
            state = el("span", t("在线", "online"), class_="badge s-online")
        else:
            state = el("span", t("离线", "offline"), class_="badge s-offline")
        hh = h.health if h else None
        age = "—" if hh is None or hh.data_age_s is None else \
            f"{(hh.data_age_s + max(0, ctx.now - h.reported_at)) // 60} min" if h else "—"
        shown_rows.append(el(
            "tr", el("td", sites[site].name if site in sites else site or "—"),
            el("td", gate or "—"), el("td", k.label or k.key_id), el("td", state),
            el("td", _ops.cst_time(h.reported_at) if h else "—"),
            el("td", str(hh.list_version) if hh else "—"), el("td", age),
            el("td", hh.reader if hh else "—"), el("td", hh.camera if hh else "—"),
            el("td", ", ".join(hh.clock_warnings) or "ok" if hh else "—"),
            el("td", str(hh.queue_depth) if hh else "—"),
            el("td", hh.app_version if hh else "—")))
    kiosk_table = el("table", el("caption", t("闸机与终端", "Sites and gates")), el(
        "tr", *[el("th", t(zh, en)) for zh, en in (
            ("场所", "Site"), ("闸机", "Gate"), ("终端", "Kiosk"), ("状态", "State"),
            ("最后上报", "Last upload"), ("名单版本", "List version"),
            ("数据时长", "Data age"), ("读卡器", "Reader"), ("摄像头", "Camera"),
            ("时钟", "Clock"), ("待上传", "Queue"), ("软件版本", "App version"))]),
        shown_rows)

    wanted = [s for s in sites if not city or sites[s].city == city]
    filtered_sites = None if not (city or site_f) else [
        s for s in ({r[1] for r in rows} | set(sites))
        if (not site_f or s == site_f) and (not city or s in wanted)]
    counts = _ops.site_counts(rows, filtered_sites)
    # The key colours are classes (the CSP allows no inline style); see _ops.BAR_COLOURS.
    legend = el("p", [frag(el("span", class_=f"key k-{outcome}"),
                           t(*_ops.OUTCOME_TEXT[outcome]))
                      for outcome in _ops.OUTCOMES], class_="legend")
    count_cards = [el("div", el("h4", sites[sc.site].name if sc.site in sites else sc.site),
                      el("table", el("tr", *[el("th", t(*_ops.OUTCOME_TEXT[o]))
                                             for o in _ops.OUTCOMES]),
                         el("tr", *[el("td", str(sc.totals[o]), data_outcome=o)
                                    for o in _ops.OUTCOMES])),
                      raw(_ops.hourly_svg(sc)), class_="card", data_site=sc.site)
                   for sc in counts.values()]

    alerts = [a for a in store.alerts() if a.key_id in shown_ids]
    labels = {k.key_id: k.label or k.key_id for k in kiosks}
    can_ack = ctx.session is not None and "ack" in PERMISSIONS[ctx.session.role]
    alert_rows = [el("tr", el("td", el("span", t("告警", "alert"), class_="badge s-alert")),
                     el("td", labels.get(a.key_id, a.key_id)),
                     el("td", t(*_ops.ALERT_TEXT.get(a.kind, (a.kind, a.kind)))),
                     el("td", a.detail), el("td", _ops.cst_time(a.raised_at)),
                     el("td", _form(ctx, "ops/ack",
                                    el("input", type="hidden", name="alert", value=str(a.id)),
                                    button=t("确认", "Acknowledge"), class_="inline")
                        if can_ack else ""))
                  for a in alerts]
    alert_block = el("table", el("caption", t("未确认的告警", "Unacknowledged alerts")),
                     el("tr", el("th", ""), el("th", t("终端", "Kiosk")),
                        el("th", t("告警", "Alert")), el("th", t("详情", "Detail")),
                        el("th", t("发生时间", "Raised")), el("th", t("操作", "Action"))),
                     alert_rows, id="alerts") if alert_rows else el(
        "p", t("没有未确认的告警", "No unacknowledged alerts"), id="alerts")

    # Someone working the page by keyboard or screen reader can stop the reloads (WCAG 2.2.1).
    paused = ctx.query.get("refresh") == "0"
    keep = {k: v for k, v in (("city", city), ("site", site_f)) if v}
    toggle = el("a", t("恢复自动刷新", "Resume auto-refresh") if paused
                else t("暂停自动刷新", "Pause auto-refresh"),
                href=PREFIX + "ops?" + urllib.parse.urlencode(
                    keep if paused else {**keep, "refresh": "0"}))
    cities = sorted({s.city for s in sites.values()})
    filters = el("form", _select("城市", "City", "city",
                                 [("", "全部 / all")] + [(cy, cy) for cy in cities], city),
                 _select("场所", "Site", "site",
                         [("", "全部 / all")] + [(code, f"{s.name} ({code})")
                                               for code, s in sites.items()], site_f),
                 el("input", type="hidden", name="refresh", value="0") if paused else None,
                 el("button", t("筛选", "Filter"), type="submit"),
                 method="get", action=PREFIX + "ops", class_="filters")
    stamp = el("p", t("更新于", "Updated"), f" {_ops.cst_time(ctx.now)} CST · ",
               t("自动刷新已暂停", "auto-refresh paused") if paused else
               t(f"每{ctx.console.config.refresh_s}秒自动刷新",
                 f"refreshes every {ctx.console.config.refresh_s} s"), " · ", toggle)
    return _page(ctx, "运行总览", "Operations", el("div", filters, stamp, class_="toolbar"),
                 el("div", el("section", el("h3", t("告警", "Alerts")), alert_block,
                              kiosk_table),
                    el("section", el("h3", t("今日通行统计", "Today's checks per site")), legend,
                       el("div", count_cards, class_="grid") if count_cards else el(
                           "p", t("今日尚无记录", "No records today"))),
                    class_="ops-grid"),
                 refresh=None if paused else ctx.console.config.refresh_s)


def ack(ctx: Ctx) -> web.Response:
    try:
        alert_id = int(ctx.field("alert", max_len=20))
    except ValueError:
        raise _Refusal(400, "告警编号不正确", "alert: expected a number") from None
    if ctx.console.store.ack_alert(alert_id, ctx.who, ctx.now):
        ctx.console.store.audit(ctx.who, "ack-alert", f"alert {alert_id}", ctx.now)
    return _redirect("ops")


# -- admin --------------------------------------------------------------------------------------


def _user_name(text: str) -> str:
    try:
        return check_user_name(text)
    except AccountError:
        raise _Refusal(400, "用户名应为3-32个小写字母、数字或 _.-",
                       "user name: expected 3..32 of a-z, 0-9, _ . -") from None


def admin_users(ctx: Ctx, note: Markup | None = None, status: int = 200) -> web.Response:
    store = ctx.console.store
    rows = []
    for u in store.users():
        state = t("已停用", "disabled") if u.disabled else t("已锁定", "locked") \
            if u.locked_until > ctx.now else t("正常", "active")
        actions = frag(
            _form(ctx, "admin/users/set", el("input", type="hidden", name="user", value=u.name),
                  el("input", type="hidden", name="op", value="enable" if u.disabled
                     else "disable"),
                  button=t("启用", "Enable") if u.disabled else t("停用", "Disable"),
                  class_="inline"),
            _form(ctx, "admin/users/set", el("input", type="hidden", name="user", value=u.name),
                  el("input", type="hidden", name="op", value="unlock"),
                  button=t("解锁", "Unlock"), class_="inline")
            if u.locked_until > ctx.now else None)
        rows.append(el("tr", el("td", u.name), el("td", t(*ROLE_TEXT[u.role])), el("td", state),
                       el("td", actions)))
    table = el("table", el("tr", el("th", t("用户名", "User")), el("th", t("角色", "Role")),
                           el("th", t("状态", "State")), el("th", t("操作", "Actions"))), rows)
    form = _form(ctx, "admin/users",
                 _field("用户名", "User name", "user", maxlength=32),
                 _select("角色", "Role", "role",
                         [(r, tt(*ROLE_TEXT[r])) for r in ROLES]),
                 _field("初始密码（至少10位）", "Initial password (10+ characters)", "password",
                        type_="password", autocomplete="new-password"),
                 button=t("添加用户", "Add user"), class_="card")
    change = _form(ctx, "admin/users/change",
                   _select("用户", "User", "user", [(u.name, u.name) for u in store.users()],
                           id_="f-cu-user"),
                   _select("新角色", "New role", "role",
                           [("", "不变 / unchanged")] + [(r, tt(*ROLE_TEXT[r])) for r in ROLES],
                           id_="f-cu-role"),
                   el("label", t("新密码（不改则留空）", "New password (empty: unchanged)"),
                      for_="f-cu-password"),
                   el("input", id="f-cu-password", name="password", type="password",
                      autocomplete="new-password", maxlength="200"),
                   button=t("修改用户", "Change user"), class_="card")
    return _page(ctx, "用户与角色", "Users and roles", note, table,
                 el("div", el("section", el("h3", t("添加用户", "Add a user")), form),
                    el("section", el("h3", t("修改角色或重设密码",
                                             "Change a role or reset a password")), change),
                    class_="grid"), status=status)


def change_user(ctx: Ctx) -> web.Response:
    store = ctx.console.store
    name = _user_name(ctx.field("user", max_len=32))
    role_text = ctx.field("role", max_len=16, required=False)
    password = ctx.form.get("password", [""])[0]
    try:
        role = check_role(role_text) if role_text else None
        pw_hash = hash_password(password) if password else None
    except AccountError as e:
        return admin_users(ctx, _msg("error", "角色或密码不符合要求", str(e)), 400)
    if role is None and pw_hash is None:
        return admin_users(ctx, _msg("error", "没有要修改的内容", "Nothing to change"), 400)
    if role is not None and name == ctx.who and role != "admin":
        return admin_users(ctx, _msg("error", "不能取消自己的管理员角色",
                                     "You cannot take your own admin role away"), 400)
    if not store.set_user(name, role=role, pw_hash=pw_hash):
        raise _Refusal(404, "用户不存在", "expected an existing user")
    if pw_hash is not None:
        store.end_sessions(name)  # a reset password logs the user out everywhere
    what = ", ".join(x for x in (f"role {role}" if role else "",
                                 "password reset" if pw_hash else "") if x)
    store.audit(ctx.who, "change-user", f"{name}: {what}", ctx.now)
    return admin_users(ctx, _msg("ok", f"已修改用户 {name}", f"User {name}: {what}"))


def add_user_post(ctx: Ctx) -> web.Response:
    name = _user_name(ctx.field("user", max_len=32))
    try:
        role = check_role(ctx.field("role", max_len=16))
    except AccountError:
        raise _Refusal(400, "角色不正确", f"role: expected one of {', '.join(ROLES)}") from None
    try:
        pw = hash_password(ctx.form.get("password", [""])[0])
    except AccountError:
        return admin_users(ctx, _msg("error", "密码至少10位", "Password: at least 10 characters"),
                           400)
    try:
        ctx.console.store.add_user(name, role, pw, ctx.now, ctx.who)
    except AccountError:
        return admin_users(ctx, _msg("error", "用户名已存在", "That user name exists already"),
                           409)
    return admin_users(ctx, _msg("ok", f"已添加用户 {name}", f"User {name} added"))


def set_user(ctx: Ctx) -> web.Response:
    name = _user_name(ctx.field("user", max_len=32))
    op = ctx.field("op", max_len=8)
    if op not in ("enable", "disable", "unlock"):
        raise _Refusal(400, "操作不正确", "op: expected enable, disable or unlock")
    if op == "disable" and name == ctx.who:
        return admin_users(ctx, _msg("error", "不能停用自己", "You cannot disable yourself"), 400)
    found = ctx.console.store.set_user(name, disabled={"enable": False, "disable": True}.get(op),
                                       unlock=op == "unlock")
    if not found:
        raise _Refusal(404, "用户不存在", "expected an existing user")
    ctx.console.store.audit(ctx.who, f"user-{op}", name, ctx.now)
    return admin_users(ctx, _msg("ok", "已更新", f"{name}: {op}"))


def _site_options(ctx: Ctx) -> list[tuple[str, str]]:
    return [(s.code, f"{s.name} ({s.code}) · {s.city}") for s in ctx.console.store.sites()]


def admin_kiosks(ctx: Ctx, note: Markup | None = None, status: int = 200) -> web.Response:
    rows = [el("tr", el("td", k.label or "—"), el("td", k.key_id), el("td", k.site or "—"),
               el("td", k.gate or "—"),
               el("td", t("已停用", "disabled") if k.disabled else t("已登记", "enrolled")),
               el("td", "" if k.disabled else _form(
                   ctx, "admin/kiosks/disable",
                   el("input", type="hidden", name="key_id", value=k.key_id),
                   button=t("停用（丢失）", "Disable (lost)"), class_="inline",
                   button_class="danger")))
            for k in ctx.console.store.kiosks()]
    table = el("table", el("tr", *[el("th", t(zh, en)) for zh, en in (
        ("名称", "Label"), ("密钥编号", "Key id"), ("场所", "Site"), ("闸机", "Gate"),
        ("状态", "State"), ("操作", "Action"))]), rows)
    fid = "f-pubkey"
    form = _form(ctx, "admin/kiosks",
                 el("label", t("终端公钥（粘贴）", "Kiosk public key (paste)"), for_=fid),
                 el("textarea", id=fid, name="pubkey", rows="2", cols="50", required=True,
                    maxlength="100"),
                 _field("名称", "Label", "label", maxlength=64),
                 _select("场所", "Site", "site", _site_options(ctx)),
                 _field("闸机", "Gate", "gate", maxlength=MAX_GATE),
                 button=t("登记终端", "Enrol kiosk"), class_="card")
    return _page(ctx, "闸机终端", "Kiosks", note, table,
                 el("h3", t("登记新终端", "Enrol a kiosk")), form, status=status)


def enrol(ctx: Ctx) -> web.Response:
    store = ctx.console.store
    key = ctx.field("pubkey", max_len=100)
    label = ctx.field("label", max_len=64)
    site = ctx.field("site", max_len=MAX_SITE)
    gate = ctx.field("gate", max_len=MAX_GATE)
    if site not in {s.code for s in store.sites()}:
        raise _Refusal(400, "请先添加场所", "site: expected a site added under Sites")
    try:
        check_place_code("gate", gate, MAX_GATE)
        key_id = store.uploads.enroll(key, label, now=ctx.now)
    except (RecordError, DeviceError) as e:
        return admin_kiosks(ctx, _msg("error", "公钥或名称不正确", str(e)[:200]), 400)
    store.place_kiosk(key_id, site, gate, key)
    store.audit(ctx.who, "enrol-kiosk", f"{key_id} {label} at {site}/{gate}", ctx.now)
    return admin_kiosks(ctx, _msg("ok", f"已登记终端 {key_id}", f"Kiosk {key_id} enrolled"))


def disable_kiosk(ctx: Ctx) -> web.Response:
    key_id = ctx.field("key_id", max_len=32)
    gone = ctx.console.store.disable_kiosk(key_id, ctx.now)
    ctx.console.store.audit(ctx.who, "disable-kiosk", key_id, ctx.now)
    note = _msg("ok", f"已停用终端 {key_id}，其上传将被拒绝",
                f"Kiosk {key_id} disabled; its uploads are refused") if gone else _msg(
        "error", "该终端未登记", "That kiosk is not enrolled")
    return admin_kiosks(ctx, note, 200 if gone else 404)


def admin_sites(ctx: Ctx, note: Markup | None = None, status: int = 200) -> web.Response:
    rows = [el("tr", el("td", s.code), el("td", s.name), el("td", s.city))
            for s in ctx.console.store.sites()]
    table = el("table", el("tr", el("th", t("代码", "Code")), el("th", t("名称", "Name")),
                           el("th", t("城市", "City"))), rows)
    form = _form(ctx, "admin/sites",
                 _field("场所代码", "Site code", "code", maxlength=MAX_SITE),
                 _field("名称", "Name", "name", maxlength=64),
                 _field("城市", "City", "city", maxlength=32),
                 button=t("保存场所", "Save site"), class_="card")
    return _page(ctx, "场所", "Sites", note, table, el("h3", t("添加或修改场所",
                                                            "Add or change a site")),
                 form, status=status)


def put_site(ctx: Ctx) -> web.Response:
    code = ctx.field("code", max_len=MAX_SITE)
    name = ctx.field("name", max_len=64)
    city = ctx.field("city", max_len=32)
    try:
        check_place_code("site", code, MAX_SITE)
        check_free_text("site name", name)
        check_free_text("city", city, 32)
    except RecordError as e:
        return admin_sites(ctx, _msg("error", "场所信息不正确", str(e)[:200]), 400)
    ctx.console.store.put_site(code, name, city)
    ctx.console.store.audit(ctx.who, "put-site", f"{code} {name} {city}", ctx.now)
    return admin_sites(ctx, _msg("ok", f"已保存场所 {code}", f"Site {code} saved"))


def audit_page(ctx: Ctx) -> web.Response:
    rows = [el("tr", el("td", _ops.cst_time(at)), el("td", who), el("td", action),
               el("td", detail)) for at, who, action, detail in ctx.console.store.audit_log()]
    return _page(ctx, "审计日志", "Audit log", el("table", el(
        "tr", el("th", t("时间", "When")), el("th", t("用户", "Who")),
        el("th", t("操作", "Action")), el("th", t("内容", "What"))), rows))


# -- plumbing ------------------------------------------------------------------------------------

_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


async def _read_form(request: web.Request, config: ConsoleConfig) -> dict[str, list[str]]:
    if request.content_type != "application/x-www-form-urlencoded":
        raise _Refusal(415, "表单格式不正确", "expected an HTML form "
                                             "(application/x-www-form-urlencoded)")
    cap = config.max_form_bytes
    if request.content_length is not None and request.content_length > cap:
        raise _Refusal(413, "表单过大", f"expected a form of at most {cap} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(config.form_timeout_s):
            while chunk := await request.content.read(16 * 1024):
                size += len(chunk)
                if size > cap:
                    raise _Refusal(413, "表单过大", f"expected a form of at most {cap} bytes")
                chunks.append(chunk)
    except (TimeoutError, RequestPayloadError, ConnectionError):
        raise _Refusal(408, "表单未完整送达", "expected the whole form in time") from None
    try:
        return urllib.parse.parse_qs(b"".join(chunks).decode("utf-8"), keep_blank_values=True,
                                     max_num_fields=400)
    except (UnicodeDecodeError, ValueError):
        raise _Refusal(400, "表单内容不正确", "expected UTF-8 form fields") from None


def _client(request: web.Request) -> str:
    # The service listens on 127.0.0.1 behind nginx, which sets X-Forwarded-For to the address
    # it saw (docs/console.md); without nginx the peer is the client.
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    return forwarded[:45] or (request.remote or "")[:45]


def _secure(request: web.Request, config: ConsoleConfig) -> bool:
    if config.secure_cookies is not None:
        return config.secure_cookies
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


Handler = Callable[[Ctx], web.Response]


def add_console_routes(app: web.Application, data_dir: Path, *, storage: Storage,
                       db: str | None = None, config: ConsoleConfig | None = None,
                       clock: Callable[[], float] = time.time) -> Console:
    """Serve the console under ``/console/`` over the service's storage and data folder."""
    cfg = config or ConsoleConfig()
    console = Console(data_dir, storage, db, cfg)

    def run(handler: Handler, perm: str | None, post: bool, request: web.Request,
            form: dict[str, list[str]]) -> web.StreamResponse:
        now = clock()
        ctx = Ctx(console, None, form, {k: v for k, v in request.query.items()},
                  dict(request.match_info), dict(request.cookies), int(now), now,
                  _secure(request, cfg), _client(request))
        try:
            if perm is not None:
                token = request.cookies.get(COOKIE, "")
                session = console.store.session(token_hash(token), int(now),
                                                cfg.idle_timeout_s, cfg.max_session_s) \
                    if token else None
                if session is None:
                    if post:
                        raise _Refusal(401, "登录已过期，请重新登录",
                                       "expected a live session; log in again")
                    return _redirect("login")
                ctx.session = session
                if post:
                    sent = form.get("csrf", [""])[0]
                    if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                        console.store.audit(session.name, "csrf-refused", request.path[:60],
                                            int(now))
                        raise _Refusal(403, "表单已失效，请刷新页面后重试",
                                       "expected the form's CSRF token, got none or a wrong one")
                if perm != "any" and perm not in PERMISSIONS[session.role]:
                    console.store.audit(session.name, "forbidden", request.path[:60], int(now))
                    raise _Refusal(403, "您的角色无权进行此操作",
                                   "Your role may not do this")
            return handler(ctx)
        except _Refusal as r:
            return _page(ctx, "无法完成", "Not done", _msg("error", r.zh, r.en), status=r.status)
        except (TokenError, DeviceError) as e:
            # StorageError is a DeviceError: the database or a file the page needs failed.
            log.error("console %s: %s", request.path[:60], e)
            return _page(ctx, "暂时无法完成", "Not done", _msg(
                "error", "服务暂时不可用，请稍后再试", "The service could not do this now; "
                                                 "try again shortly"), status=503)

    def route(method: str, path: str, handler: Handler, perm: str | None) -> None:
        post = method == "POST"

        async def serve(request: web.Request) -> web.StreamResponse:
            try:
                form = await _read_form(request, cfg) if post else {}
            except _Refusal as r:
                return web.Response(text=f"{r.zh} / {r.en}", status=r.status)
            resp = await asyncio.to_thread(run, handler, perm, post, request, form)
            resp.headers.update(_SECURITY_HEADERS)
            return resp

        app.router.add_route(method, PREFIX.rstrip("/") + "/" + path.lstrip("/"), serve)

    async def css(_: web.Request) -> web.Response:
        return web.Response(text=CSS, content_type="text/css",
                            headers={"Cache-Control": "max-age=3600"})

    async def bare(_: web.Request) -> web.Response:
        return web.Response(status=301, headers={"Location": PREFIX})

    app.router.add_get(PREFIX + "console.css", css)
    app.router.add_get(PREFIX.rstrip("/"), bare)
    route("GET", "", home, "any")
    route("GET", "login", login_page, None)
    route("POST", "login", login, None)
    route("POST", "logout", logout, "any")
    route("GET", "worker", worker, "lookup")
    route("POST", "worker/lookup", lookup, "lookup")
    route("GET", "worker/resident/{ref}", resident, "lookup")
    route("POST", "worker/consent", consent, "consent")
    route("POST", "worker/issue", issue, "issue")
    route("GET", "worker/print/{job}.pdf", print_pdf, "issue")
    route("GET", "worker/renewals", renewals, "renew")
    route("POST", "worker/renew", renew, "renew")
    route("GET", "health", health, "status")
    route("POST", "health/status", set_status, "status")
    route("POST", "health/revoke", revoke, "status")
    route("POST", "health/publish", publish, "publish")
    route("GET", "ops", ops, "ops")
    route("POST", "ops/ack", ack, "ack")
    route("GET", "admin/users", admin_users, "admin")
    route("POST", "admin/users", add_user_post, "admin")
    route("POST", "admin/users/set", set_user, "admin")
    route("POST", "admin/users/change", change_user, "admin")
    route("GET", "admin/kiosks", admin_kiosks, "admin")
    route("POST", "admin/kiosks", enrol, "admin")
    route("POST", "admin/kiosks/disable", disable_kiosk, "admin")
    route("GET", "admin/sites", admin_sites, "admin")
    route("POST", "admin/sites", put_site, "admin")
    route("GET", "admin/audit", audit_page, "admin")

    async def close(_: web.Application) -> None:
        console.close()

    app.on_cleanup.append(close)
    return console
