"""``passkiosk sync``: one sync of this kiosk with the provincial service.

    passkiosk sync [--data DIR] --service URL [--root FILE]     one pull + push, JSON out
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sync`` to sub."""
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
        reading = clock.reading(time.time())  # never a rolled-back clock
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
