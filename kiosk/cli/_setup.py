"""``passkiosk setup``: the first run of a new gate kiosk.

It enrols the kiosk with the provincial service in one go, each step safe to repeat:

1. the site config (site, gate, service URL, readers) into the config file and the store;
2. the staff PIN (digits, as the kiosk's keypad enters them), hashed into the store;
3. the device key, created on first use; its public half is printed for the service's operator
   (``passkiosk service enroll-kiosk``), the private half never leaves the data folder;
4. the service's TUF ``root.json`` as trust anchor (a file brought from the service, or fetched
   from it and checked against a SHA-256 the operator read out), then a first pull of the
   trust and revocation lists.

Prints one JSON object. Exit 0 when every step worked; 1 when only the first pull failed
(everything else is saved: run setup again once the service is reachable); 2 on bad input.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from kiosk._config import KioskConfig, ReadersConfig, default_config_path, load_config, save_config
from kiosk.cli._errors import UsageError
from sync import (
    KioskLists,
    SiteConfig,
    Store,
    SyncError,
    TrustedClock,
    load_or_create_device_key,
    pull,
    resolve_data_dir,
)

MAX_ROOT_BYTES = 1024 * 1024  # a TUF root with a handful of keys is a few KiB
MIN_PIN = 4  # sync.Store.set_staff_pin's floor
MAX_PIN = 12  # what the kiosk's PIN page takes (kiosk._pin_view.MAX_PIN)
_MAX_PIN_LINE = 256


def setup(args: argparse.Namespace) -> int:
    data = resolve_data_dir(args.data)
    _refuse_foreign_owner(data)
    root = _root_bytes(args)
    pin = _read_pin(args.pin_stdin)
    config_path = args.config or default_config_path(data_dir=data)
    cfg = load_config(config_path) if config_path.exists() else KioskConfig()
    readers = cfg.readers
    cfg = replace(
        cfg,
        site=args.site,
        gate=args.gate,
        service_url=args.service,
        language=args.lang or cfg.language,
        readers=ReadersConfig(
            pcsc=readers.pcsc if not args.no_pcsc else False,
            sam_port=args.sam or readers.sam_port,
            scanner_port=args.scanner or readers.scanner_port,
            camera=args.camera or readers.camera,
        ),
    )
    out: dict[str, Any] = {"data": str(data), "config": str(config_path)}
    with Store(data) as store:
        stored = store.site_config()
        site = (replace(stored, site_id=args.site, gate_id=args.gate, service_url=args.service)
                if stored else SiteConfig(args.site, args.gate, args.service))
        store.save_site_config(site)  # checks site and gate before anything else is written
        save_config(config_path, cfg)
        store.set_staff_pin(pin)
        store.append_audit(int(time.time()), "setup", "enrol", f"{args.site}/{args.gate}")
        key = load_or_create_device_key(data)
        out.update(site=args.site, gate=args.gate, service=args.service,
                   device_key=key.public_text, key_id=key.key_id)
        lists = KioskLists(data)
        clock = TrustedClock(store)
        try:
            res = pull(data, args.service, now=clock.reading(time.time()).now,
                       bootstrap_root=None if lists.has_anchor() else root,
                       timeout=args.timeout)
        except SyncError as e:
            out["pull"] = {"ok": False, "status": e.status, "error": str(e)}
            print(f"passkiosk setup: first sync failed ({e}); everything else is saved: run "
                  "setup again once the service is reachable", file=sys.stderr)
        else:
            clock.note_run(time.time())
            state = lists.state()
            out["pull"] = {"ok": True, "applied": list(res.applied),
                           "revocation_version": state.revocation_version,
                           "trust_keys": state.trust_keys}
    print(json.dumps(out, ensure_ascii=False))
    print(f"next, on the service: passkiosk service enroll-kiosk --data <service data> "
          f"--label '{args.site}/{args.gate}' {key.public_text}", file=sys.stderr)
    return 0 if out["pull"]["ok"] else 1


def _refuse_foreign_owner(data: Path) -> None:
    """Root must not fill the kiosk user's data folder with files that user cannot read."""
    if os.geteuid() != 0:
        return
    try:
        owner = data.stat().st_uid
    except FileNotFoundError:
        return
    if owner != 0:
        raise UsageError(f"{data} belongs to uid {owner}, not root: run setup as that user "
                         "(sudo -u passkiosk passkiosk setup ...)")


def _root_bytes(args: argparse.Namespace) -> bytes:
    """The trust anchor: ``--root FILE``, or the service's ``metadata/1.root.json`` checked
    against ``--root-sha256``."""
    if args.root is None and args.root_sha256 is None:
        raise UsageError("expected --root FILE or --root-sha256 HEX (the service's root.json)")
    if args.root is not None:
        try:
            with open(args.root, "rb") as f:
                data = f.read(MAX_ROOT_BYTES + 1)
        except OSError as e:
            raise UsageError(f"--root: cannot read {args.root}: {e}") from None
        _check_root_size(len(data))
    else:
        url = f"{args.service.rstrip('/')}/metadata/1.root.json"
        try:
            with urllib.request.urlopen(url, timeout=args.timeout) as resp:
                data = resp.read(MAX_ROOT_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise UsageError(f"cannot fetch {url}: {e}") from None
        _check_root_size(len(data))
    if args.root_sha256 is not None:
        got = hashlib.sha256(data).hexdigest()
        if got != args.root_sha256.lower():
            raise UsageError(f"root.json: expected SHA-256 {args.root_sha256.lower()}, got {got}")
    return data


def _check_root_size(size: int) -> None:
    if size > MAX_ROOT_BYTES:
        raise UsageError(f"root.json: expected at most {MAX_ROOT_BYTES} bytes, got more")


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        pin = sys.stdin.readline(_MAX_PIN_LINE).rstrip("\r\n")
    else:
        pin = getpass.getpass("staff PIN (digits): ")
        if getpass.getpass("staff PIN again: ") != pin:
            raise UsageError("staff PIN: the two entries differ")
    if not (pin.isascii() and pin.isdigit() and MIN_PIN <= len(pin) <= MAX_PIN):
        raise UsageError(f"staff PIN: expected {MIN_PIN} to {MAX_PIN} digits (the kiosk's "
                         f"keypad has only digits), got {len(pin)} characters"
                         f"{'' if pin.isdigit() else ' with non-digits'}")
    return pin
