"""``passkiosk service``: run the provincial service or administer its data folder.

    passkiosk service --data DIR --listen 127.0.0.1:PORT        run the service
    passkiosk service migrate --data DIR --db postgresql://...  create or update the schema
    passkiosk service init --data DIR [--iss CN-44]             role keys, issuer key, first publish
    passkiosk service issue --data DIR --id ID18 --name NAME --status S --kind K [--proxy]
    passkiosk service revoke --data DIR (--token HEX | --id ID18 | --card-serial HEX16) --status S
    passkiosk service publish --data DIR [--only-expiring]      new delta + fresh TUF metadata
                                                                (one publisher at a time)
    passkiosk service rotate-key --data DIR --role ROLE         new root/targets/snapshot/
                                                                timestamp/issuer key
                                                                [--revoke-old: issuer only]
    passkiosk service enroll-kiosk --data DIR PUBKEY            allow a kiosk's uploads
    passkiosk service prune-records --data DIR --keep-days N    retention of entry records
    passkiosk service kiosk-health --data DIR [--history KEY]   kiosks' latest health reports
    passkiosk service print-card --data DIR --id ID18 --name NAME --out card.pdf
    passkiosk service add-user --data DIR --role admin NAME   web console user (password: stdin)

Every command takes ``--db URL``: ``sqlite:///FOLDER`` (the default: the SQLite files in --data)
or ``postgresql://...`` (state shared by several replicas; keys and the TUF repository stay in
--data). The kiosk's ``passkiosk`` command finds this module through the ``passkiosk.commands``
entry point, so a kiosk installed without the service simply has no ``service`` subcommand.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import codes
from codes import DeviceError, EntryKind, Kind, Severity, TokenError, parse_time
from service._httpconfig import HttpConfig
from service._ledger import enroll_kiosk
from service._printcard import render_offline_card
from service._publish_lock import file_publish_lock, pg_publish_lock
from service._sql import is_postgres_url, sqlite_folder
from service._state import DB_FILE, ServiceState, migrate_state
from service._store import open_storage
from service._store_pg import MIGRATIONS as PG_UPLOAD_MIGRATIONS

_STATUS = {"green": 0, "yellow": 1, "red": 2}
_DB_HELP = ("database: sqlite:///FOLDER (default: SQLite in --data) or postgresql://USER@HOST/DB "
            "(run `migrate` first)")
Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A command-line argument the handler cannot use; shown as one line, exit 2."""


def _time_arg(text: str) -> int:
    try:
        return parse_time(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text[:20]!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected 0 < S <= 3600, got {text[:20]}")
    return value


def build_parser(prog: str = "passkiosk service") -> argparse.ArgumentParser:
    svc = argparse.ArgumentParser(
        prog=prog, description="Run the provincial service (no subcommand) or administer its "
                               "data folder.")
    svc.add_argument("--data", dest="service_data", metavar="DIR", help="service data folder")
    svc.add_argument("--db", dest="service_db", metavar="URL", help=_DB_HELP)
    svc.add_argument("--listen", default="127.0.0.1:8443", metavar="HOST:PORT",
                     help="address to serve on (default 127.0.0.1:8443)")
    defaults = HttpConfig()
    svc.add_argument("--header-timeout", type=_seconds, default=defaults.header_timeout,
                     metavar="S", help="close a connection whose request headers take longer "
                                       f"(default {defaults.header_timeout:g})")
    svc.add_argument("--body-timeout", type=_seconds, default=defaults.body_timeout, metavar="S",
                     help=f"answer 408 to an upload body slower than this "
                          f"(default {defaults.body_timeout:g})")
    svc.add_argument("--max-connections-per-peer", type=int,
                     default=defaults.max_connections_per_peer, metavar="N",
                     help="connections one address may hold open "
                          f"(default {defaults.max_connections_per_peer})")
    svc.add_argument("--kiosk-rate", type=float, default=defaults.kiosk_per_minute,
                     metavar="PER_MIN", help="signed requests one kiosk may make a minute, "
                     f"shared by all replicas (default {defaults.kiosk_per_minute:g})")
    svc.add_argument("--kiosk-burst", type=int, default=defaults.kiosk_burst, metavar="N",
                     help=f"requests one kiosk may make at once (default {defaults.kiosk_burst})")
    svc.set_defaults(handler=_serve)
    admin = svc.add_subparsers(dest="service_command", metavar="ADMIN")

    def admin_parser(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        p = admin.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--data", metavar="DIR", help="service data folder")
        p.add_argument("--db", metavar="URL", help=_DB_HELP)
        p.add_argument("--now", metavar="TIME", type=_time_arg,
                       help="epoch seconds or ISO 8601 (default: clock)")
        p.set_defaults(handler=handler)
        return p

    admin_parser("migrate", "create or update the database schema (run before the replicas "
                            "start after an upgrade)", _migrate)

    p = admin_parser("init", "create the data folder: TUF role keys, PK1 issuer key, first publish",
                     _init)
    p.add_argument("--iss", default="CN-44", help="PK1 issuer code (default CN-44)")

    p = admin_parser("issue", "issue a PK1 token; its text is the last line printed", _issue)
    p.add_argument("--id", required=True, metavar="ID18", dest="id18")
    p.add_argument("--name", required=True)
    p.add_argument("--status", required=True, choices=sorted(_STATUS))
    p.add_argument("--kind", required=True, choices=["phone", "offline"])
    p.add_argument("--proxy", action="store_true", help="issued on the holder's behalf")
    p.add_argument("--hours", type=float, help="lifetime (default: 24 phone, 168 offline)")

    p = admin_parser("revoke", "revoke a token or set a subject's/card's status (next publish)",
                     _revoke)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--token", metavar="CTI_HEX")
    which.add_argument("--id", metavar="ID18", dest="id18")
    which.add_argument("--card-serial", metavar="HEX16")
    p.add_argument("--status", required=True, choices=["red", "yellow", "green", "revoked"],
                   help="revoked for --token; red/yellow (or green to lift) for --id/--card-serial")

    p = admin_parser("publish", "publish pending changes as a new delta with fresh metadata",
                     _publish)
    p.add_argument("--only-expiring", action="store_true",
                   help="cut no new list: only re-sign metadata nearing expiry (for a timer)")

    p = admin_parser("rotate-key", "replace a signing key; kiosks follow at their next sync",
                     _rotate_key)
    p.add_argument("--role", required=True,
                   choices=["root", "targets", "snapshot", "timestamp", "issuer"],
                   help="a TUF role (a new root version names the new key) or the PK1 issuer "
                        "(a new trust-list entry; tokens of the old key stay valid)")
    p.add_argument("--revoke-old", action="store_true",
                   help="with --role issuer: the old key is compromised, mark it revoked so "
                        "kiosks refuse its tokens after their next sync")

    p = admin_parser("enroll-kiosk", "allow uploads signed by this kiosk key", _enroll)
    p.add_argument("pubkey", metavar="PUBKEY", help="the kiosk's public key (base64 text)")
    p.add_argument("--label", default="kiosk")

    p = admin_parser("prune-records", "retention: delete entry records older than N days "
                                      "(PostgreSQL drops whole day partitions)", _prune)
    p.add_argument("--keep-days", type=int, required=True, metavar="N")

    p = admin_parser("kiosk-health", "each kiosk's latest health report, one JSON line each",
                     _kiosk_health)
    p.add_argument("--history", metavar="KEY_ID", help="that kiosk's reports, newest first")

    p = admin_parser("add-user", "create a web console user (the first admin, say); the "
                                 "password is read from stdin", _add_user)
    p.add_argument("name", metavar="NAME", help="user name: 3-32 of a-z 0-9 _ . -")
    p.add_argument("--role", required=True, choices=["worker", "health", "ops", "admin"])

    p = admin_parser("print-card", "issue an offline token and render an A6 card PDF", _print_card)
    p.add_argument("--id", required=True, metavar="ID18", dest="id18")
    p.add_argument("--name", required=True)
    p.add_argument("--status", default="green", choices=sorted(_STATUS))
    p.add_argument("--out", required=True, metavar="card.pdf")
    return svc


def main(argv: Sequence[str] | None = None, prog: str = "passkiosk service") -> int:
    """Run one service command; our errors become one line on stderr and exit 2."""
    args = build_parser(prog).parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except (DeviceError, TokenError, UsageError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2


# -- helpers ----------------------------------------------------------------------------------


def _now(args: argparse.Namespace) -> int:
    now: int | None = getattr(args, "now", None)
    return int(time.time()) if now is None else now


def _data(args: argparse.Namespace) -> Path:
    value: str | None = getattr(args, "data", None) or getattr(args, "service_data", None)
    if not value:
        raise UsageError("expected --data DIR (the service data folder)")
    return Path(value).expanduser().resolve()


def _db(args: argparse.Namespace) -> str | None:
    value: str | None = getattr(args, "db", None) or getattr(args, "service_db", None)
    return value


def _state(args: argparse.Namespace) -> ServiceState:
    return ServiceState(_data(args), db=_db(args))


# -- handlers ---------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from service._http import serve  # aiohttp: only the server needs it

    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--listen: expected HOST:PORT, got {args.listen!r}")
    if not (0 < args.kiosk_rate <= 1e6 and 1 <= args.kiosk_burst <= 10**6):
        raise UsageError(f"--kiosk-rate/--kiosk-burst: expected 0 < PER_MIN <= 1e6 and "
                         f"1 <= N <= 1e6, got {args.kiosk_rate:g} and {args.kiosk_burst}")
    data = _data(args)
    ServiceState(data, db=_db(args)).close()  # fail early and clearly if not initialised
    print(f"passkiosk service: serving {data} on http://{host}:{port}", file=sys.stderr)
    if args.max_connections_per_peer < 1:
        raise UsageError("--max-connections-per-peer: expected at least 1, got "
                         f"{args.max_connections_per_peer}")
    serve(data, host, int(port), config=HttpConfig(
        header_timeout=args.header_timeout, body_timeout=args.body_timeout,
        max_connections_per_peer=args.max_connections_per_peer,
        kiosk_per_minute=args.kiosk_rate, kiosk_burst=args.kiosk_burst), db=_db(args))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    url = _db(args)
    if not is_postgres_url(url):
        # SQLite databases bring themselves up to date when opened.
        data = _data(args)
        with open_storage(url, data):
            pass
        if (sqlite_folder(url, data) / DB_FILE).is_file():
            ServiceState(data, db=url).close()
        out: dict[str, object] = {"db": "sqlite", "data": str(data)}
    else:
        assert url is not None
        state = migrate_state(url)
        with open_storage(url, _data_or_none(args), migrate=True):
            pass
        from service._console import open_console_db

        open_console_db(_data_or_none(args), url).close()  # the web console's tables
        out = {"db": "postgresql", "state": state, "uploads": len(PG_UPLOAD_MIGRATIONS)}
    print(json.dumps({"migrated": out}))
    return 0


def _data_or_none(args: argparse.Namespace) -> Path:
    value: str | None = getattr(args, "data", None) or getattr(args, "service_data", None)
    return Path(value or ".")


def _init(args: argparse.Namespace) -> int:
    data = _data(args)
    with ServiceState.init(data, iss=args.iss, now=_now(args), db=_db(args)) as st:
        root = st.repo.metadata_dir / "1.root.json"
        entry = st.trust_entries()[0]
        print(json.dumps({"data": str(data), "iss": entry.iss, "kid": entry.kid,
                          "root": str(root), "versions": st.repo.versions()}))
    print(f"Copy {root} to each kiosk and pass it once as `passkiosk sync --root FILE`.",
          file=sys.stderr)
    return 0


def _issue(args: argparse.Namespace) -> int:
    kind = Kind.PRINTED if args.kind == "offline" else Kind.PHONE
    lifetime = None if args.hours is None else int(args.hours * 3600)
    with _state(args) as st:
        tok = st.issue(id18=args.id18, name=args.name, status=_STATUS[args.status], kind=kind,
                       proxy=args.proxy, now=_now(args), lifetime=lifetime)
    print(f"token id {tok.cti}, {tok.name_masked} {tok.id_masked}, valid until {tok.exp}")
    print(tok.text)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    now = _now(args)
    status = {"red": Severity.RED, "yellow": Severity.YELLOW, "green": Severity.GREEN,
              "revoked": Severity.REVOKED}[args.status]
    if args.token is not None:
        try:
            key = bytes.fromhex(args.token)
        except ValueError:
            key = b""
        if len(key) != 16:
            raise UsageError(f"--token: expected 32 hex characters, got {args.token[:40]!r}")
        etype, shown = EntryKind.TOKEN, f"token {key.hex()}"
    elif args.id18 is not None:
        if not codes.check_id18(args.id18, now):
            raise UsageError("--id: expected a valid 18-character ID number")
        key = codes.subject_hash(args.id18)
        etype, shown = EntryKind.SUBJECT, f"subject {key.hex()}"
    else:
        try:
            key = codes.card_hash(args.card_serial)
        except TokenError:
            raise UsageError(f"--card-serial: expected 16 hex characters, "
                             f"got {args.card_serial[:40]!r}") from None
        etype, shown = EntryKind.CARD, f"card {key.hex()}"
    with _state(args) as st:
        st.revoke(etype, key, status, now=now)
    print(f"{shown}: {args.status} from {now}; run `passkiosk service publish` to ship it")
    return 0


def _publish(args: argparse.Namespace) -> int:
    # Timers on several hosts may start this at once: one publishes, the others skip (the
    # winner ships everything pending). Exit 0 either way; the JSON says which.
    with _state(args) as st, _publish_lock(args) as mine:  # the state first: a clear error
        if not mine:
            print(json.dumps({"skipped": "another publisher holds the publish lock"}))
            return 0
        if args.only_expiring:
            roles = st.repo.refresh_expiring(now=datetime.fromtimestamp(_now(args), UTC))
            print(json.dumps({"resigned": roles, "versions": st.repo.versions()}))
            return 0
        res = st.publish(now=_now(args))
        print(json.dumps({"list_version": res.version, "delta_records": res.delta_records,
                          "full_records": res.full_records, "versions": st.repo.versions(),
                          "counts": st.counts()}))
    return 0


@contextlib.contextmanager
def _publish_lock(args: argparse.Namespace) -> Iterator[bool]:
    url = _db(args)
    if url and is_postgres_url(url):
        import psycopg  # only a PostgreSQL deployment needs it

        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as e:
            raise DeviceError(f"publish lock: expected to reach PostgreSQL, got {e}") from e
        with conn, pg_publish_lock(conn) as mine:
            yield mine
    else:
        with file_publish_lock(_data(args)) as mine:
            yield mine


def _rotate_key(args: argparse.Namespace) -> int:
    now = _now(args)
    with _state(args) as st:
        if args.revoke_old and args.role != "issuer":
            raise UsageError(f"--revoke-old: expected --role issuer, got --role {args.role} "
                             "(a TUF role's old key is out of the root as soon as it rotates)")
        if args.role == "issuer":
            entry = st.rotate_issuer_key(now=now, revoke_old=args.revoke_old)
            shown = {"kid": entry.kid, "not_before": entry.not_before,
                     "not_after": entry.not_after}
        else:
            root = st.repo.rotate_key(args.role, now=datetime.fromtimestamp(now, UTC))
            shown = {"root_version": root}
            st.audit("rotate-key", f"{args.role}: root version {root}", now)
        print(json.dumps({"rotated": args.role, **shown, "versions": st.repo.versions()}))
    return 0


def _prune(args: argparse.Namespace) -> int:
    if not 1 <= args.keep_days <= 36_500:
        raise UsageError(f"--keep-days: expected 1..36500, got {args.keep_days}")
    now = _now(args)
    before = datetime.fromtimestamp(now - args.keep_days * 86_400, UTC).date()
    with open_storage(_db(args), _data(args)) as storage:
        gone = storage.drop_records_before(before)
        storage.audit("prune-records", f"before {before.isoformat()}: {gone} records", now)
    print(json.dumps({"dropped_before": before.isoformat(), "records": gone}))
    return 0


def _kiosk_health(args: argparse.Namespace) -> int:
    with open_storage(_db(args), _data(args)) as storage:
        rows = (storage.health_history(args.history) if args.history
                else storage.latest_health())
    for row in rows:
        print(json.dumps({"key_id": row.key_id, "reported_at": row.reported_at,
                          **asdict(row.health)}, ensure_ascii=False))
    return 0


def _enroll(args: argparse.Namespace) -> int:
    _state(args).close()
    key_id = enroll_kiosk(_data(args), args.pubkey, args.label, db_url=_db(args))
    print(json.dumps({"enrolled": key_id, "label": args.label}))
    return 0


def _print_card(args: argparse.Namespace) -> int:
    with _state(args) as st:
        tok = st.issue(id18=args.id18, name=args.name, status=_STATUS[args.status],
                       kind=Kind.PRINTED, proxy=False, now=_now(args))
    render_offline_card(Path(args.out), token_text=tok.text, name_masked=tok.name_masked,
                        id_masked=tok.id_masked, valid_from=tok.iat, valid_until=tok.exp)
    print(f"card for {tok.name_masked} {tok.id_masked} (token {tok.cti}) written to {args.out}")
    return 0


def _add_user(args: argparse.Namespace) -> int:
    from service._console import add_user

    # From stdin, never argv: a password on the command line shows in ps and shell history.
    password = sys.stdin.readline().rstrip("\r\n")
    name = add_user(_data(args), _db(args), args.name, args.role, password, now=_now(args))
    print(json.dumps({"user": name, "role": args.role}))
    return 0
