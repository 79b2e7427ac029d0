"""sync package."""
# E2: local store, entry records, device key, clock sanity, push, scheduler, upload ledger.
# (The service's aiohttp route lives in sync._upload_api.add_routes; it is not imported here so
# that the kiosk and `passkiosk verify` do not load aiohttp.)
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
    "ROLLBACK_TOLERANCE_S",
    "AuditChainReport",
    "AuditEntry",
    "ClockReading",
    "DeviceKey",
    "EntryRecord",
    "PushError",
    "PushResult",
    "RecordCounts",
    "RecordError",
    "SiteConfig",
    "Store",
    "StoreError",
    "SyncScheduler",
    "SyncStatus",
    "TrustedClock",
    "UploadLedger",
    "assess_clock",
    "backoff_delay",
    "device_public_key",
    "enroll_kiosk",
    "kv_get_in",
    "kv_set_in",
    "load_or_create_device_key",
    "looks_like_id_number",
    "new_record_id",
    "push_pending",
    "record_from_verdict",
    "resolve_data_dir",
]
