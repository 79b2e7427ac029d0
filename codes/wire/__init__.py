"""codes.wire: the formats the kiosk and the provincial service exchange, sans-IO.

Both sides import these and nothing of each other:

- entry records (出入登记) and their upload batch: ``EntryRecord``, ``validate_record``,
  ``record_from_verdict``, ``encode_batch``, ``decode_batch``, ``RecordError``, and their
  storage row (``record_to_row``/``record_from_row``: ids and hashes as blobs);
- the upload signature: ``signing_payload``, ``verify_signature``, ``parse_public_key``,
  ``key_id_of``, the ``H_*`` header names, ``UPLOAD_PATH``, ``MAX_SKEW_S``;
- the kiosk's health report sent with its uploads: ``KioskHealth``, ``encode_health``,
  ``decode_health``, ``HealthError``, ``HEALTH_PATH``, ``MAX_HEALTH``;
- the revocation list files (PKRL) and the TUF target names: ``encode_header``,
  ``decode_header``, ``encode_records``, ``TRUST_TARGET``, ``FULL_TARGET``, ``delta_target``
  (their numbers are ``codes.EntryKind`` and ``codes.Severity``: one vocabulary everywhere).

Each name is loaded from its module on first use, so that a reader of one format (the kiosk's
store reads entry records, its revocation state list files) does not load the others'.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codes.wire._health import (
        CLOCK_WARNINGS,
        DEVICE_STATES,
        HEALTH_PATH,
        MAX_ERROR_TEXT,
        MAX_HEALTH,
        HealthError,
        KioskHealth,
        decode_health,
        encode_health,
        health_from_dict,
        validate_health,
    )
    from codes.wire._lists import (
        FULL_TARGET,
        HEADER,
        MAGIC,
        MAX_RECORDS,
        RECORD_SIZE,
        TRUST_TARGET,
        ListHeader,
        decode_header,
        delta_target,
        encode_header,
        encode_records,
    )
    from codes.wire._records import (
        MAX_BATCH_COMPRESSED,
        MAX_BATCH_RECORDS,
        MAX_GATE,
        MAX_SITE,
        ROW_COLUMNS,
        EntryRecord,
        RecordError,
        check_free_text,
        check_place_code,
        check_place_pair,
        decode_batch,
        encode_batch,
        looks_like_id_number,
        new_record_id,
        record_from_dict,
        record_from_row,
        record_from_verdict,
        record_id_blob,
        record_to_dict,
        record_to_row,
        row_from_text_row,
        shown,
        validate_record,
    )
    from codes.wire._upload import (
        H_KEY_ID,
        H_NONCE,
        H_SIGNATURE,
        H_TIME,
        MAX_SKEW_S,
        SIGNATURE_HEADERS,
        UPLOAD_PATH,
        DeviceKeyError,
        key_id_of,
        parse_public_key,
        signing_payload,
        verify_signature,
    )

_MODULES: dict[str, tuple[str, ...]] = {
    "codes.wire._health": (
        "CLOCK_WARNINGS",
        "DEVICE_STATES",
        "HEALTH_PATH",
        "MAX_ERROR_TEXT",
        "MAX_HEALTH",
        "HealthError",
        "KioskHealth",
        "decode_health",
        "encode_health",
        "health_from_dict",
        "validate_health",
    ),
    "codes.wire._lists": (
        "FULL_TARGET",
        "HEADER",
        "MAGIC",
        "MAX_RECORDS",
        "RECORD_SIZE",
        "TRUST_TARGET",
        "ListHeader",
        "decode_header",
        "delta_target",
        "encode_header",
        "encode_records",
    ),
    "codes.wire._records": (
        "MAX_BATCH_COMPRESSED",
        "MAX_BATCH_RECORDS",
        "MAX_GATE",
        "MAX_SITE",
        "ROW_COLUMNS",
        "EntryRecord",
        "RecordError",
        "check_free_text",
        "check_place_code",
        "check_place_pair",
        "decode_batch",
        "encode_batch",
        "looks_like_id_number",
        "new_record_id",
        "record_from_dict",
        "record_from_row",
        "record_from_verdict",
        "record_id_blob",
        "record_to_dict",
        "record_to_row",
        "row_from_text_row",
        "shown",
        "validate_record",
    ),
    "codes.wire._upload": (
        "H_KEY_ID",
        "H_NONCE",
        "H_SIGNATURE",
        "H_TIME",
        "MAX_SKEW_S",
        "SIGNATURE_HEADERS",
        "UPLOAD_PATH",
        "DeviceKeyError",
        "key_id_of",
        "parse_public_key",
        "signing_payload",
        "verify_signature",
    ),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'codes.wire' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups find it without this hook
    return value


__all__ = [
    "CLOCK_WARNINGS",
    "DEVICE_STATES",
    "FULL_TARGET",
    "HEADER",
    "HEALTH_PATH",
    "H_KEY_ID",
    "H_NONCE",
    "H_SIGNATURE",
    "H_TIME",
    "MAGIC",
    "MAX_BATCH_COMPRESSED",
    "MAX_BATCH_RECORDS",
    "MAX_ERROR_TEXT",
    "MAX_GATE",
    "MAX_HEALTH",
    "MAX_RECORDS",
    "MAX_SITE",
    "MAX_SKEW_S",
    "RECORD_SIZE",
    "ROW_COLUMNS",
    "SIGNATURE_HEADERS",
    "TRUST_TARGET",
    "UPLOAD_PATH",
    "DeviceKeyError",
    "EntryRecord",
    "HealthError",
    "KioskHealth",
    "ListHeader",
    "RecordError",
    "check_free_text",
    "check_place_code",
    "check_place_pair",
    "decode_batch",
    "decode_header",
    "decode_health",
    "delta_target",
    "encode_batch",
    "encode_header",
    "encode_health",
    "encode_records",
    "health_from_dict",
    "key_id_of",
    "looks_like_id_number",
    "new_record_id",
    "parse_public_key",
    "record_from_dict",
    "record_from_row",
    "record_from_verdict",
    "record_id_blob",
    "record_to_dict",
    "record_to_row",
    "row_from_text_row",
    "shown",
    "signing_payload",
    "validate_health",
    "validate_record",
    "verify_signature",
]
