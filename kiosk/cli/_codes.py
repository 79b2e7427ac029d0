"""``passkiosk verify`` and ``passkiosk lookup``: the conformance commands of PK1 spec §7.

Neither loads Qt. Where trust and revocation data come from is decided in one place,
``_load_sources``: the §6 interchange files, or a kiosk data folder synced by ``passkiosk sync``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from codes import (
    DeviceError,
    Outcome,
    RevocationList,
    RevocationView,
    TokenError,
    TrustStore,
    Verdict,
    lookup_card,
    lookup_id,
    parse_revocation_list,
    parse_trust_list,
    verify,
)
from kiosk.cli._errors import UsageError

# Bigger than any sane file of its kind; the parsers enforce their own, tighter caps.
_MAX_FILE_BYTES = 256 * 1024 * 1024


class _Sources:
    """What one check reads. A plain class: making a dataclass costs a one-shot check ~0.4 ms."""

    __slots__ = ("lists", "max_age", "now", "revocation", "trust")

    def __init__(self, trust: TrustStore | None, revocation: RevocationView, now: int,
                 lists: Any = None, max_age: int = 0) -> None:
        self.trust = trust
        self.revocation = revocation
        self.now = now
        # With --data: the synced lists' state and the site's stale limit (the age is reported).
        self.lists = lists
        self.max_age = max_age


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path!r}: {exc.strerror or exc}") from None
    if len(data) > _MAX_FILE_BYTES:
        raise UsageError(f"{what} {path!r}: expected at most {_MAX_FILE_BYTES} bytes, got more")
    return data


def _load_sources(args: argparse.Namespace, *, trust: bool) -> _Sources:
    """The trust store (when asked for), the revocation view and the time named by the options."""
    if args.data is not None:
        return _load_synced(args, trust=trust)
    if args.now is None:
        raise UsageError("expected --now T (or --data DIR to use that kiosk's clock)")
    store: TrustStore | None = None
    try:
        if trust:
            if args.trust_list is None and not args.trust_cert:
                raise UsageError("expected --trust-list FILE or at least one --trust-cert FILE")
            store = (parse_trust_list(_read(args.trust_list, "trust list"))
                     if args.trust_list is not None else TrustStore())
            if args.trust_cert:
                store = store.with_certificates(
                    [_read(path, "certificate") for path in args.trust_cert])
        revocation = (parse_revocation_list(_read(args.revocation, "revocation list"))
                      if args.revocation is not None else RevocationList())
    except TokenError as exc:
        raise UsageError(str(exc)) from None
    return _Sources(store, revocation, int(args.now))


def _load_synced(args: argparse.Namespace, *, trust: bool) -> _Sources:
    """Trust and revocation state of a synced kiosk folder, on that kiosk's trusted clock."""
    # The synced-list readers live in sync; only this option needs them, so plain
    # `verify --trust-list` does not pay for loading them. Their own modules, not the TUF client
    # or the index builder: this path loads no tuf, urllib3 or numpy.
    from sync._clock import TrustedClock
    from sync._kiosklists import KioskLists
    from sync._lists import DEFAULT_MAX_AGE
    from sync._store import Store

    if getattr(args, "trust_list", None) is not None or args.revocation is not None:
        raise UsageError("expected either --data DIR or --trust-list/--revocation files, not both")
    lists = KioskLists(Path(args.data))
    try:
        with Store(Path(args.data)) as kiosk_store:
            now = args.now if args.now is not None else \
                TrustedClock(kiosk_store).reading(time.time()).now
            site = kiosk_store.site_config()
        store = lists.trust_store() if trust else None
        if store is not None and args.trust_cert:
            store = store.with_certificates([_read(p, "certificate") for p in args.trust_cert])
        return _Sources(store, lists.revocations.open(), int(now), lists.state(),
                        DEFAULT_MAX_AGE if site is None else site.stale_after_s)
    except (DeviceError, TokenError) as exc:
        raise UsageError(str(exc)) from None


def _with_age(src: _Sources, out: dict[str, Any]) -> dict[str, Any]:
    """With --data: how old the synced lists are (token checks show the age beside them)."""
    if src.lists is not None:
        out["data_age_s"] = src.lists.age(src.now)
        out["data_stale"] = src.lists.is_stale(src.now, src.max_age)
    return out


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
    # QR decoding loads OpenCV; only --image needs it.
    from readers import decode_image_file

    try:
        texts = decode_image_file(path)
    except DeviceError as exc:
        raise UsageError(f"cannot read the picture {path!r}: {exc}") from None
    if len(texts) != 1:
        raise UsageError(f"expected exactly one QR code in {path!r}, found {len(texts)}")
    return texts[0]


def verify_command(args: argparse.Namespace) -> int:
    src = _load_sources(args, trust=True)
    text: str = _image_text(args.image) if args.image is not None else args.text
    assert src.trust is not None  # asked for above
    print(json.dumps(_with_age(src, verdict_json(verify(text, src.trust, src.revocation,
                                                        src.now)))))
    return 0


def lookup_command(args: argparse.Namespace) -> int:
    src = _load_sources(args, trust=False)
    if args.id is not None:
        v = lookup_id(args.id, src.revocation, src.now)
        key, value = "sh", v.subject_hash
    else:
        v = lookup_card(args.card_serial, src.revocation, src.now)
        key, value = "ch", v.card_hash
    if src.lists is not None:
        from sync._lists import apply_stale_policy

        # An old list cannot prove "no record" (the site config sets how old is old).
        v = apply_stale_policy(v, src.lists, src.now, src.max_age)
    out: dict[str, Any] = {"outcome": str(v.outcome), "reason": v.reason}
    if v.outcome != Outcome.INVALID and value is not None:
        out[key] = value
    print(json.dumps(_with_age(src, out)))
    return 0
