"""Subcommands for sync/ (registered by kiosk.cli): ``sync`` (kiosk side) and ``service``.

Only argparse and the stdlib at import time; the handlers import sync/ (and aiohttp, Qt for
print-card) lazily, so ``passkiosk verify`` stays light.

    passkiosk service --data DIR --listen 127.0.0.1:PORT        run the reference service
    passkiosk service init --data DIR [--iss CN-44]             role keys, issuer key, first publish
    passkiosk service issue --data DIR --id ID18 --name NAME --status S --kind K [--proxy]
    passkiosk service revoke --data DIR (--token HEX | --id ID18 | --card-serial HEX16) --status S
    passkiosk service publish --data DIR                        new delta + fresh TUF metadata
    passkiosk service enroll-kiosk --data DIR PUBKEY            allow a kiosk's uploads
    passkiosk service print-card --data DIR --id ID18 --name NAME --out card.pdf
    passkiosk sync [--data DIR] --service URL [--root FILE]     one pull + push, JSON out
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from kiosk._cmd_codes import parse_now

_STATUS = {"green": 0, "yellow": 1, "red": 2}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``service`` (with its admin subcommands) and ``sync`` to sub."""
    svc = sub.add_parser("service", help="the reference provincial service and its admin commands",
                         description="Run the reference service (no subcommand) or administer "
                                     "its data folder.")
    svc.add_argument("--data", dest="service_data", metavar="DIR", help="service data folder")
    svc.add_argument("--listen", default="127.0.0.1:8443", metavar="HOST:PORT",
                     help="address to serve on (default 127.0.0.1:8443)")
    svc.set_defaults(handler=_serve)
    admin = svc.add_subparsers(dest="service_command", metavar="ADMIN")

    def admin_parser(name: str, help_text: str) -> argparse.ArgumentParser:
        p = admin.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--data", metavar="DIR", help="service data folder")
        p.add_argument("--now", metavar="TIME", type=parse_now,
                       help="epoch seconds or ISO 8601 (default: clock)")
        return p

    p = admin_parser("init", "create the data folder: TUF role keys, PK1 issuer key, first publish")
    p.add_argument("--iss", default="CN-44", help="PK1 issuer code (default CN-44)")
    p.set_defaults(handler=_init)

    p = admin_parser("issue", "issue a PK1 token; its text is the last line printed")
    p.add_argument("--id", required=True, metavar="ID18", dest="id18")
    p.add_argument("--name", required=True)
    p.add_argument("--status", required=True, choices=sorted(_STATUS))
    p.add_argument("--kind", required=True, choices=["phone", "offline"])
    p.add_argument("--proxy", action="store_true", help="issued on the holder's behalf")
    p.add_argument("--hours", type=float, help="lifetime (default: 24 phone, 168 offline)")
    p.set_defaults(handler=_issue)

    p = admin_parser("revoke", "revoke a token or set a subject's/card's status (next publish)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--token", metavar="CTI_HEX")
    which.add_argument("--id", metavar="ID18", dest="id18")
    which.add_argument("--card-serial", metavar="HEX16")
    p.add_argument("--status", required=True, choices=["red", "yellow", "green", "revoked"],
                   help="revoked for --token; red/yellow (or green to lift) for --id/--card-serial")
    p.set_defaults(handler=_revoke)

    p = admin_parser("publish", "publish pending changes as a new delta with fresh metadata")
    p.set_defaults(handler=_publish)

    p = admin_parser("enroll-kiosk", "allow uploads signed by this kiosk key")
    p.add_argument("pubkey", metavar="PUBKEY", help="the kiosk's public key (base64 text)")
    p.add_argument("--label", default="kiosk")
    p.set_defaults(handler=_enroll)

    p = admin_parser("print-card", "issue an offline token and render an A6 card PDF")
    p.add_argument("--id", required=True, metavar="ID18", dest="id18")
    p.add_argument("--name", required=True)
    p.add_argument("--status", default="green", choices=sorted(_STATUS))
    p.add_argument("--out", required=True, metavar="card.pdf")
    p.set_defaults(handler=_print_card)

    k = sub.add_parser("sync", help="one sync with the service (pull lists, push records)",
                       description="Pull the signed trust and revocation lists (TUF), push "
                                   "queued entry records, print JSON. Exit 1 if it failed.")
    k.add_argument("--data", metavar="DIR", help="kiosk data folder (default: platform folder)")
    k.add_argument("--service", metavar="URL", help="e.g. http://127.0.0.1:8443 (required to sync)")
    k.add_argument("--device-key", action="store_true",
                   help="print this kiosk's public key (for `service enroll-kiosk`) and exit")
    k.add_argument("--root", metavar="FILE",
                   help="the service's root.json (trust anchor; needed on the first sync only)")
    k.add_argument("--timeout", type=int, default=10, metavar="S", help="network timeout")
    k.add_argument("--no-push", action="store_true", help="only pull lists")
    k.set_defaults(handler=_sync)


# -- helpers ----------------------------------------------------------------------------------


def _fail(message: str, code: int = 2) -> int:
    print(f"passkiosk: {message}", file=sys.stderr)
    return code


def _now(args: argparse.Namespace) -> int:
    now: int | None = getattr(args, "now", None)
    return int(time.time()) if now is None else now


def _data(args: argparse.Namespace) -> Path:
    value = getattr(args, "data", None) or getattr(args, "service_data", None)
    if not value:
        raise SystemExit(_fail("expected --data DIR (the service data folder)"))
    return Path(value).expanduser().resolve()


def _state(args: argparse.Namespace) -> Any:
    from sync._service import ServiceState

    return ServiceState(_data(args))


def _guard(fn: Any) -> Any:
    """Run a handler; our errors become one line on stderr and exit 2."""

    def run(args: argparse.Namespace) -> int:
        from codes._errors import DeviceError, TokenError

        try:
            return int(fn(args))
        except (DeviceError, TokenError) as e:
            return _fail(str(e))
        except ValueError as e:  # bad --now
            return _fail(f"bad argument: {e}")

    return run


# -- service ----------------------------------------------------------------------------------


@_guard
def _serve(args: argparse.Namespace) -> int:
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        return _fail(f"--listen: expected HOST:PORT, got {args.listen!r}")
    from sync._service import ServiceState, serve

    data = _data(args)
    ServiceState(data).close()  # fail early and clearly if the folder is not initialised
    print(f"passkiosk service: serving {data} on http://{host}:{port}", file=sys.stderr)
    serve(data, host, int(port))
    return 0


@_guard
def _init(args: argparse.Namespace) -> int:
    from sync._service import ServiceState

    data = _data(args)
    with ServiceState.init(data, iss=args.iss, now=_now(args)) as st:
        root = st.repo.metadata_dir / "1.root.json"
        entry = st.trust_entries()[0]
        print(json.dumps({"data": str(data), "iss": entry.iss, "kid": entry.kid,
                          "root": str(root), "versions": st.repo.versions()}))
    print(f"Copy {root} to each kiosk and pass it once as `passkiosk sync --root FILE`.",
          file=sys.stderr)
    return 0


@_guard
def _issue(args: argparse.Namespace) -> int:
    from codes._verdict import Kind

    kind = Kind.PRINTED if args.kind == "offline" else Kind.PHONE
    lifetime = None if args.hours is None else int(args.hours * 3600)
    with _state(args) as st:
        tok = st.issue(id18=args.id18, name=args.name, status=_STATUS[args.status], kind=kind,
                       proxy=args.proxy, now=_now(args), lifetime=lifetime)
    print(f"token id {tok.cti}, {tok.name_masked} {tok.id_masked}, valid until {tok.exp}")
    print(tok.text)
    return 0


@_guard
def _revoke(args: argparse.Namespace) -> int:
    import codes
    from sync._lists import EntryType, WireStatus

    now = _now(args)
    status = {"red": WireStatus.RED, "yellow": WireStatus.YELLOW, "green": WireStatus.REMOVED,
              "revoked": WireStatus.REVOKED}[args.status]
    if args.token is not None:
        try:
            key = bytes.fromhex(args.token)
        except ValueError:
            key = b""
        if len(key) != 16:
            return _fail(f"--token: expected 32 hex characters, got {args.token!r}")
        etype, shown = EntryType.TOKEN, f"token {key.hex()}"
    elif args.id18 is not None:
        if not codes.check_id18(args.id18, now):
            return _fail("--id: expected a valid 18-character ID number")
        key = codes.subject_hash(args.id18)
        etype, shown = EntryType.SUBJECT, f"subject {key.hex()}"
    else:
        try:
            key = codes.card_hash(args.card_serial)
        except codes.TokenError:
            return _fail(f"--card-serial: expected 16 hex characters, got {args.card_serial!r}")
        etype, shown = EntryType.CARD, f"card {key.hex()}"
    with _state(args) as st:
        st.revoke(etype, key, status, now=now)
    print(f"{shown}: {args.status} from {now}; run `passkiosk service publish` to ship it")
    return 0


@_guard
def _publish(args: argparse.Namespace) -> int:
    with _state(args) as st:
        res = st.publish(now=_now(args))
        print(json.dumps({"list_version": res.version, "delta_records": res.delta_records,
                          "full_records": res.full_records, "versions": st.repo.versions(),
                          "counts": st.counts()}))
    return 0


@_guard
def _enroll(args: argparse.Namespace) -> int:
    from sync import enroll_kiosk

    _state(args).close()
    key_id = enroll_kiosk(_data(args), args.pubkey, args.label)
    print(json.dumps({"enrolled": key_id, "label": args.label}))
    return 0


@_guard
def _print_card(args: argparse.Namespace) -> int:
    from codes._verdict import Kind

    with _state(args) as st:
        tok = st.issue(id18=args.id18, name=args.name, status=_STATUS[args.status],
                       kind=Kind.PRINTED, proxy=False, now=_now(args))
    from kiosk._printcard import render_offline_card

    render_offline_card(Path(args.out), token_text=tok.text, name_masked=tok.name_masked,
                        id_masked=tok.id_masked, valid_from=tok.iat, valid_until=tok.exp)
    print(f"card for {tok.name_masked} {tok.id_masked} (token {tok.cti}) written to {args.out}")
    return 0


# -- kiosk ------------------------------------------------------------------------------------


@_guard
def _sync(args: argparse.Namespace) -> int:
    from sync import Store, SyncError, TrustedClock, pull, resolve_data_dir
    from sync._pull import KioskLists

    data = resolve_data_dir(args.data)
    if args.device_key:  # created on first use; the private half never leaves the data folder
        from sync import device_public_key

        print(device_public_key(data))
        return 0
    if not args.service:
        return _fail("sync: expected --service URL (or --device-key)")
    out: dict[str, Any] = {"data": str(data), "service": args.service}
    bootstrap = None
    if args.root:
        try:
            bootstrap = Path(args.root).read_bytes()
        except OSError as e:
            return _fail(f"--root: cannot read {args.root}: {e}")
    ok = True
    with Store(data) as store:
        clock = TrustedClock(store)
        reading = clock.reading(time.time())  # E2's clock sanity: never a rolled-back clock
        now = reading.now
        if reading.rolled_back:
            out["clock_rolled_back_s"] = reading.behind_s
        try:
            res = pull(data, args.service, now=now, bootstrap_root=bootstrap,
                       timeout=args.timeout)
            out["pull"] = {"ok": True, "applied": list(res.applied),
                           "downloaded_bytes": res.downloaded_bytes}
            clock.note_run(time.time())  # a sane clock after a good sync raises the floor
        except SyncError as e:
            ok = False
            out["pull"] = {"ok": False, "status": e.status, "error": str(e)}
            print(f"passkiosk: {e}", file=sys.stderr)
        state = KioskLists(data).state()
        out["lists"] = {"revocation_version": state.revocation_version,
                        "trust_sha256": state.trust_sha256, "trust_keys": state.trust_keys,
                        "entries": {"token": state.token_entries,
                                    "subject": state.subject_entries,
                                    "card": state.card_entries},
                        "verified_at": state.verified_at, "age_s": state.age(now),
                        "stale": state.is_stale(now)}
        if not args.no_push:
            ok = _push(store, data, args, out) and ok
    print(json.dumps(out, ensure_ascii=False))
    return 0 if ok else 1


def _push(store: Any, data: Path, args: argparse.Namespace, out: dict[str, Any]) -> bool:
    from sync import PushError, TrustedClock, load_or_create_device_key, push_pending

    try:
        key = load_or_create_device_key(data)
        res = push_pending(store, args.service, key, timeout_s=float(args.timeout),
                           clock=lambda: TrustedClock(store).reading(time.time()).now)
    except PushError as e:
        out["push"] = {"ok": False, "error": str(e)}
        print(f"passkiosk: {e}", file=sys.stderr)
        return False
    out["push"] = {"ok": True, "sent": res.sent, "new": res.new, "duplicates": res.duplicates,
                   "batches": res.batches, "pending": res.pending}
    return True
