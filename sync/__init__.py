"""sync package."""
# E2: local store, entry records, device key, clock sanity, push, scheduler, upload ledger.
# (The service's aiohttp route lives in sync._upload_api.add_routes; it is not imported here so
# that the kiosk and `passkiosk verify` do not load aiohttp.)
from typing import TYPE_CHECKING

from sync._clock import ROLLBACK_TOLERANCE_S, ClockReading, TrustedClock, assess_clock
from sync._devicekey import DeviceKey, device_public_key, load_or_create_device_key
from sync._push import PushError, PushResult, push_pending
from sync._records import (
    EntryRecord,
    RecordError,
    StoreError,
    looks_like_id_number,
    new_record_id,
    record_from_verdict,
)
from sync._revfile import (
    RevocationFileError,
    apply_delta_file,
    build_index_file,
    open_index_file,
    write_index_file,
)
from sync._scheduler import SyncScheduler, SyncStatus, backoff_delay
from sync._store import (
    AuditChainReport,
    AuditEntry,
    RecordCounts,
    SiteConfig,
    Store,
    kv_get_in,
    kv_set_in,
    resolve_data_dir,
)
from sync._upload_ledger import UploadLedger, enroll_kiosk

__all__ = [
    "DEFAULT_MAX_AGE",
    "ROLLBACK_TOLERANCE_S",
    "AuditChainReport",
    "AuditEntry",
    "ClockReading",
    "DeviceKey",
    "EntryRecord",
    "KioskLists",
    "ListState",
    "PullResult",
    "PushError",
    "PushResult",
    "RecordCounts",
    "RecordError",
    "RevocationFileError",
    "SiteConfig",
    "Store",
    "StoreError",
    "SyncError",
    "SyncScheduler",
    "SyncStatus",
    "SyncedVerifier",
    "TrustedClock",
    "UploadLedger",
    "apply_delta_file",
    "apply_stale_policy",
    "assess_clock",
    "background_sync",
    "backoff_delay",
    "build_index_file",
    "device_public_key",
    "enroll_kiosk",
    "kv_get_in",
    "kv_set_in",
    "load_or_create_device_key",
    "looks_like_id_number",
    "new_record_id",
    "open_index_file",
    "pull",
    "push_pending",
    "record_from_verdict",
    "resolve_data_dir",
    "write_index_file",
]

# E1: the pull side loads tuf, securesystemslib and numpy (~0.6 s); `from sync import Store`
# must stay quick, so these names are imported on first access (PEP 562). The reference service
# (sync._service, aiohttp) is imported directly by `passkiosk service` only.
if TYPE_CHECKING:
    from sync._background import background_sync
    from sync._lists import DEFAULT_MAX_AGE, ListState, apply_stale_policy
    from sync._pull import KioskLists, PullResult, SyncError, pull
    from sync._verifier import SyncedVerifier

_LAZY = {
    "DEFAULT_MAX_AGE": "sync._lists",
    "ListState": "sync._lists",
    "apply_stale_policy": "sync._lists",
    "KioskLists": "sync._pull",
    "PullResult": "sync._pull",
    "SyncError": "sync._pull",
    "pull": "sync._pull",
    "background_sync": "sync._background",
    "SyncedVerifier": "sync._verifier",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sync' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
