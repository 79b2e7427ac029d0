"""``passkiosk sync``: one sync of this kiosk with the provincial service (lists down over
TUF, entry records up, signed), JSON out; exit 1 when either half failed."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.cli._errors import UsageError
from sync import (
    KioskLists,
    PushError,
    Store,
    SyncError,
    TrustedClock,
    device_public_key,
    load_or_create_device_key,
    pull,
    push_pending,
    resolve_data_dir,
)


def sync(args: argparse.Namespace) -> int:
    data = resolve_data_dir(args.data)
    if args.device_key:  # created on first use; the private half never leaves the data folder
        print(device_public_key(data))
        return 0
    if not args.service:
        raise UsageError("expected --service URL (or --device-key)")
    out: dict[str, Any] = {"data": str(data), "service": args.service}
    bootstrap = None
    if args.root:
        try:
            bootstrap = Path(args.root).read_bytes()
        except OSError as e:
            raise UsageError(f"--root: cannot read {args.root}: {e}") from None
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
            print(f"passkiosk sync: {e}", file=sys.stderr)
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


def _push(store: Store, data: Path, args: argparse.Namespace, out: dict[str, Any]) -> bool:
    try:
        key = load_or_create_device_key(data)
        res = push_pending(store, args.service, key, timeout_s=float(args.timeout),
                           clock=lambda: TrustedClock(store).reading(time.time()).now)
    except PushError as e:
        out["push"] = {"ok": False, "error": str(e)}
        print(f"passkiosk sync: {e}", file=sys.stderr)
        return False
    out["push"] = {"ok": True, "sent": res.sent, "new": res.new, "duplicates": res.duplicates,
                   "batches": res.batches, "pending": res.pending}
    return True
