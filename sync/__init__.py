"""sync: everything the kiosk keeps on disk and moves over the wire.

- ``Store``: the kiosk's SQLite store (site config, entry records, upload queue, audit log,
  retention), ``SiteConfig``, ``StoreError``; ``TrustedClock``: clock sanity.
- ``pull``/``KioskLists``/``SyncError``: the signed lists over TUF (python-tuf ngclient);
  ``SyncedVerifier``: the gate's verifier over them, with the stale-data policy.
- ``push_pending``: signed entry-record upload with the kiosk's ``DeviceKey``.
- ``SyncScheduler``/``background_sync``: both in a background thread with backoff.
- ``fix_mmap_threshold``: keeps a long-running kiosk's C heap from holding big freed blocks.

The record and list formats it shares with the service are in ``codes.wire``.
"""

from typing import TYPE_CHECKING

__all__ = [
    "DEFAULT_MAX_AGE",
    "ROLLBACK_TOLERANCE_S",
    "AuditChainReport",
    "AuditEntry",
    "ClockReading",
    "DeviceKey",
    "KioskLists",
    "ListState",
    "PullResult",
    "PushError",
    "PushResult",
    "RecordCounts",
    "RevocationFileError",
    "SiteConfig",
    "Store",
    "StoreError",
    "SyncError",
    "SyncScheduler",
    "SyncStatus",
    "SyncedVerifier",
    "TrustedClock",
    "apply_delta_file",
    "apply_stale_policy",
    "assess_clock",
    "background_sync",
    "backoff_delay",
    "build_index_file",
    "device_public_key",
    "fix_mmap_threshold",
    "kv_get_in",
    "kv_set_in",
    "load_or_create_device_key",
    "open_index_file",
    "pull",
    "push_pending",
    "resolve_data_dir",
    "write_index_file",
]

# Every name is imported on first access (PEP 562): the pull side loads tuf, securesystemslib
# and numpy (~0.6 s), the push side http.client; a one-shot `passkiosk verify --data` or
# `from sync import Store` loads only the module it names.
if TYPE_CHECKING:
    from sync._background import background_sync
    from sync._clock import ROLLBACK_TOLERANCE_S, ClockReading, TrustedClock, assess_clock
    from sync._devicekey import DeviceKey, device_public_key, load_or_create_device_key
    from sync._heap import fix_mmap_threshold
    from sync._kiosklists import KioskLists
    from sync._lists import DEFAULT_MAX_AGE, ListState, apply_stale_policy
    from sync._pull import PullResult, SyncError, pull
    from sync._push import PushError, PushResult, push_pending
    from sync._reports import AuditChainReport, AuditEntry, RecordCounts
    from sync._revfile import (
        RevocationFileError,
        apply_delta_file,
        build_index_file,
        open_index_file,
        write_index_file,
    )
    from sync._scheduler import SyncScheduler, SyncStatus, backoff_delay
    from sync._store import (
        SiteConfig,
        Store,
        StoreError,
        kv_get_in,
        kv_set_in,
        resolve_data_dir,
    )
    from sync._verifier import SyncedVerifier

_MODULES = {
    "sync._background": ["background_sync"],
    "sync._clock": ["ROLLBACK_TOLERANCE_S", "ClockReading", "TrustedClock", "assess_clock"],
    "sync._devicekey": ["DeviceKey", "device_public_key", "load_or_create_device_key"],
    "sync._heap": ["fix_mmap_threshold"],
    "sync._kiosklists": ["KioskLists"],
    "sync._lists": ["DEFAULT_MAX_AGE", "ListState", "apply_stale_policy"],
    "sync._pull": ["PullResult", "SyncError", "pull"],
    "sync._push": ["PushError", "PushResult", "push_pending"],
    "sync._revfile": ["RevocationFileError", "apply_delta_file", "build_index_file",
                      "open_index_file", "write_index_file"],
    "sync._scheduler": ["SyncScheduler", "SyncStatus", "backoff_delay"],
    "sync._reports": ["AuditChainReport", "AuditEntry", "RecordCounts"],
    "sync._store": ["SiteConfig", "Store", "StoreError", "kv_get_in", "kv_set_in",
                    "resolve_data_dir"],
    "sync._verifier": ["SyncedVerifier"],
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sync' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
