"""A kiosk's health report, sent with its uploads for the operations view. Pure: bytes in, bytes
out.

Wire form: one compact JSON object (UTF-8, sorted keys) of exactly the fields of
:class:`KioskHealth`, at most :data:`MAX_HEALTH` bytes. It travels as the body of its own signed
request (``HEALTH_PATH``, signed like an upload batch), so the service checks the signature
before it parses a byte of it. Free text (the app version, the last error) is short, printable
and never holds anything shaped like an ID number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from codes.wire._records import RecordError, check_free_text, shown

HEALTH_PATH = "/upload/v1/health"
MAX_HEALTH = 2048
MAX_ERROR_TEXT = 200
# What a reader or camera can be doing; "none" when the kiosk has no such device.
DEVICE_STATES = frozenset({"ok", "absent", "error", "none"})
CLOCK_WARNINGS = frozenset({"rolled_back", "unsynced", "skewed"})
# Counts and ages beyond this (over 30 years of seconds) are broken values, not reports.
_MAX_COUNT = 2**30


class HealthError(RecordError):
    """A kiosk health report is not acceptable: malformed, too large or carrying an ID-like
    number."""


@dataclass(frozen=True, slots=True)
class KioskHealth:
    """What a kiosk says about itself with each upload.

    ``data_age_s`` is how old its lists are (None: it never synced); ``clock_warnings`` names the
    trusted clock's complaints (``CLOCK_WARNINGS``); ``queue_depth`` is the records still
    waiting to be uploaded; ``last_error`` the last sync or device error, if any.
    """

    app_version: str
    list_version: int
    data_age_s: int | None
    reader: str
    camera: str
    clock_warnings: tuple[str, ...] = ()
    queue_depth: int = 0
    last_error: str | None = None


def _count(name: str, value: object, *, none: bool = False) -> None:
    if value is None and none:
        return
    if type(value) is not int or not 0 <= value <= _MAX_COUNT:
        raise HealthError(f"health {name}: expected a non-negative integer, got {shown(value)}")


def validate_health(h: KioskHealth) -> KioskHealth:
    """Return h when every field is well-formed; HealthError saying which otherwise."""
    try:
        check_free_text("health app_version", h.app_version, 32)
        if h.last_error is not None:
            check_free_text("health last_error", h.last_error, MAX_ERROR_TEXT)
    except RecordError as e:
        raise HealthError(str(e)) from None
    _count("list_version", h.list_version)
    _count("data_age_s", h.data_age_s, none=True)
    _count("queue_depth", h.queue_depth)
    for name, value in (("reader", h.reader), ("camera", h.camera)):
        if value not in DEVICE_STATES:
            raise HealthError(f"health {name}: expected one of {sorted(DEVICE_STATES)}, "
                              f"got {shown(value)}")
    if not isinstance(h.clock_warnings, tuple) or len(h.clock_warnings) > len(CLOCK_WARNINGS) \
            or any(w not in CLOCK_WARNINGS for w in h.clock_warnings):
        raise HealthError(f"health clock_warnings: expected some of {sorted(CLOCK_WARNINGS)}, "
                          f"got {shown(h.clock_warnings)}")
    return h


def encode_health(h: KioskHealth) -> bytes:
    """The wire bytes of a validated report."""
    obj = asdict(validate_health(h))
    obj["clock_warnings"] = list(h.clock_warnings)
    data = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if len(data) > MAX_HEALTH:
        raise HealthError(f"health: expected at most {MAX_HEALTH} bytes, got {len(data)}")
    return data


_FIELDS = tuple(f.name for f in fields(KioskHealth))


def health_from_dict(obj: Mapping[str, Any]) -> KioskHealth:
    """A report from its JSON object; every field must be there and nothing else."""
    if not isinstance(obj, Mapping) or set(obj) != set(_FIELDS):
        got = sorted(shown(str(k), 20) for k in obj) if isinstance(obj, Mapping) \
            else type(obj).__name__
        raise HealthError(f"health: expected keys {sorted(_FIELDS)}, got {got}")
    warnings = obj["clock_warnings"]
    if not isinstance(warnings, list):
        raise HealthError(f"health clock_warnings: expected a list, got {shown(warnings)}")
    return validate_health(KioskHealth(
        app_version=obj["app_version"], list_version=obj["list_version"],
        data_age_s=obj["data_age_s"], reader=obj["reader"], camera=obj["camera"],
        clock_warnings=tuple(warnings), queue_depth=obj["queue_depth"],
        last_error=obj["last_error"]))


def decode_health(data: bytes) -> KioskHealth:
    """Parse the wire bytes (size-capped first); HealthError saying what is wrong."""
    if len(data) > MAX_HEALTH:
        raise HealthError(f"health: expected at most {MAX_HEALTH} bytes, got {len(data)}")
    try:
        obj = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise HealthError(f"health: expected a JSON object, got invalid text ({e})") from None
    return health_from_dict(obj)
