"""``passkiosk verify`` and ``passkiosk lookup``: the conformance commands of PK1 spec §7.

At import time only argparse and the standard library load; the handlers import ``codes`` (and
``readers`` for ``--image``) lazily. Neither command ever imports Qt.

Where trust and revocation data come from is decided in one place, ``_add_source_options`` and
``_load_sources``: today the §6 interchange files, later also a synced data folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for annotations only; loading codes at import time would slow every command
    from codes import RevocationView, TrustStore, Verdict

# Bigger than any sane file of its kind; the parsers enforce their own, tighter caps.
_MAX_FILE_BYTES = 256 * 1024 * 1024
EXIT_USAGE = 2


class UsageError(Exception):
    """A usage problem or an unreadable/unusable file: message on stderr, exit 2 (§7)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``verify`` and ``lookup``."""
    _register_verify(sub)
    _register_lookup(sub)


def parse_now(text: str) -> int:
    """§7 ``--now`` for argparse: epoch seconds, or ISO 8601 (``codes.parse_time``)."""
    from codes import parse_time

    try:
        return parse_time(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_now(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--now",
        type=parse_now,
        metavar="T",
        help="the time to verify at: epoch seconds or ISO 8601 (no offset means UTC); "
        "required unless --data is given (then the kiosk clock there is the default)",
    )


def _add_source_options(p: argparse.ArgumentParser, *, trust: bool) -> None:
    """Options naming where trust and revocation data come from."""
    if trust:
        p.add_argument(
            "--trust-list", metavar="FILE", help="trust list JSON (PK1 spec §6) with issuer keys"
        )
        p.add_argument(
            "--trust-cert",
            metavar="FILE",
            action="append",
            default=[],
            help="an HC1 signing certificate (X.509, DER or PEM); may be repeated",
        )
    p.add_argument(
        "--revocation", metavar="FILE", help="revocation list JSON (PK1 spec §6); default: empty"
    )
    p.add_argument(
        "--data",
        metavar="DIR",
        help="a kiosk data folder: use the trust and revocation lists synced there by "
        "`passkiosk sync` (instead of --trust-list/--revocation) and report their age",
    )


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path!r}: {exc.strerror or exc}") from None
    if len(data) > _MAX_FILE_BYTES:
        raise UsageError(f"{what} {path!r}: expected at most {_MAX_FILE_BYTES} bytes, got more")
    return data


def _load_sources(
    args: argparse.Namespace, *, trust: bool
) -> tuple[TrustStore | None, RevocationView]:
    """The trust store (when asked for) and the revocation view named by the options."""
    from codes import (
        RevocationList,
        TokenError,
        TrustStore,
        parse_revocation_list,
        parse_trust_list,
    )

    store: TrustStore | None = None
    if getattr(args, "data", None) is not None:
        return _load_synced(args, trust=trust)
    if args.now is None:
        raise UsageError("expected --now T (or --data DIR to use that kiosk's clock)")
    try:
        if trust:
            if args.trust_list is None and not args.trust_cert:
                raise UsageError("expected --trust-list FILE or at least one --trust-cert FILE")
            store = (
                parse_trust_list(_read(args.trust_list, "trust list"))
                if args.trust_list is not None
                else TrustStore()
            )
            if args.trust_cert:
                store = store.with_certificates(
                    [_read(path, "certificate") for path in args.trust_cert]
                )
        revocation = (
            parse_revocation_list(_read(args.revocation, "revocation list"))
            if args.revocation is not None
            else RevocationList()
        )
    except TokenError as exc:
        raise UsageError(str(exc)) from None
    return store, revocation


def _load_synced(
    args: argparse.Namespace, *, trust: bool
) -> tuple[TrustStore | None, RevocationView]:
    """Trust and revocation state of a synced kiosk folder; fills args.now and args.lists."""
    from codes import DeviceError, TokenError
    from sync import Store, TrustedClock
    from sync._pull import KioskLists

    if getattr(args, "trust_list", None) is not None or args.revocation is not None:
        raise UsageError("expected either --data DIR or --trust-list/--revocation files, not both")
    from sync import DEFAULT_MAX_AGE

    lists = KioskLists(Path(args.data))
    try:
        with Store(Path(args.data)) as kiosk_store:
            if args.now is None:
                args.now = TrustedClock(kiosk_store).reading(time.time()).now
            site = kiosk_store.site_config()
        args.max_age = DEFAULT_MAX_AGE if site is None else site.stale_after_s
        store = lists.trust_store() if trust else None
        if store is not None and args.trust_cert:
            store = store.with_certificates([_read(p, "certificate") for p in args.trust_cert])
        args.lists = lists.state()
        return store, lists.revocations.open()
    except (DeviceError, TokenError) as exc:
        raise UsageError(str(exc)) from None


def _with_age(args: argparse.Namespace, out: dict[str, Any]) -> dict[str, Any]:
    """With --data: how old the synced lists are (issue 5: token checks show the age)."""
    state = getattr(args, "lists", None)
    if state is not None:
        out["data_age_s"] = state.age(args.now)
        out["data_stale"] = state.is_stale(args.now, args.max_age)
    return out


def _register_verify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "verify",
        help="verify one PK1 or HC1 code and print the verdict as JSON",
        description=(
            "Verify a PK1 or HC1 code (PK1 spec section 7) and print one JSON object with at "
            "least outcome, reason and format. Exit 0 whenever a verdict was reached, 2 on a "
            "usage error or an unreadable file."
        ),
    )
    _add_source_options(p, trust=True)
    _add_now(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("text", nargs="?", metavar="TEXT", help="the code text (PK1:... or HC1:...)")
    what.add_argument("--image", metavar="PNG", help="a picture holding exactly one QR code")
    p.set_defaults(handler=_verify)


def verdict_json(v: Verdict) -> dict[str, Any]:
    """The verdict as the §7 JSON object; optional details only when known."""
    out: dict[str, Any] = {"outcome": str(v.outcome), "reason": v.reason, "format": v.format}
    extras: dict[str, Any] = {
        "issuer": v.issuer,
        "kid": v.kid,
        "exp": v.expires_at,
        "kind": None if v.kind is None else str(v.kind),
        "name": v.name_masked,
        "id": v.id_masked,
        "proxy": v.proxy if v.kind is not None else None,
        "cert_type": v.cert_type,
        "cti": v.token_id,
        "sh": v.subject_hash,
    }
    out.update((k, val) for k, val in extras.items() if val is not None)
    return out


def _image_text(path: str) -> str:
    from codes import DeviceError
    from readers import decode_image_file

    try:
        texts = decode_image_file(path)
    except DeviceError as exc:
        raise UsageError(f"cannot read the picture {path!r}: {exc}") from None
    if len(texts) != 1:
        raise UsageError(f"expected exactly one QR code in {path!r}, found {len(texts)}")
    return texts[0]


def _fail(command: str, exc: UsageError) -> int:
    print(f"passkiosk {command}: {exc}", file=sys.stderr)
    return EXIT_USAGE


def _verify(args: argparse.Namespace) -> int:
    from codes import verify

    try:
        trust, revocation = _load_sources(args, trust=True)
        text = _image_text(args.image) if args.image is not None else args.text
    except UsageError as exc:
        return _fail("verify", exc)
    assert trust is not None
    print(json.dumps(_with_age(args, verdict_json(verify(text, trust, revocation, args.now)))))
    return 0


def _register_lookup(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lookup",
        help="look up an ID number or card serial on the revocation list",
        description=(
            "Answer the no-token path (PK1 spec section 7): print one JSON object with outcome, "
            "reason and the subject hash sh (for --id) or card hash ch (for --card-serial). "
            "The ID number is hashed at once and never printed or stored."
        ),
    )
    _add_source_options(p, trust=False)
    _add_now(p)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--id", metavar="ID18", help="an 18-character resident ID number")
    who.add_argument("--card-serial", metavar="HEX16", help="a card's 8-byte serial as 16 hex")
    p.set_defaults(handler=_lookup)


def _lookup(args: argparse.Namespace) -> int:
    from codes import Outcome, lookup_card, lookup_id

    try:
        _, revocation = _load_sources(args, trust=False)
    except UsageError as exc:
        return _fail("lookup", exc)
    if args.id is not None:
        v = lookup_id(args.id, revocation, args.now)
        key, value = "sh", v.subject_hash
    else:
        v = lookup_card(args.card_serial, revocation, args.now)
        key, value = "ch", v.card_hash
    if getattr(args, "lists", None) is not None:
        from sync import apply_stale_policy

        # an old list cannot prove "no record" (issue 5; the site config sets how old is old)
        v = apply_stale_policy(v, args.lists, args.now, args.max_age)
    out: dict[str, Any] = {"outcome": str(v.outcome), "reason": v.reason}
    if v.outcome != Outcome.INVALID and value is not None:
        out[key] = value
    print(json.dumps(_with_age(args, out)))
    return 0
