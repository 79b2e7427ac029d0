"""The JSON form of revocation deltas and entries (§6 entry shape plus an optional ``op``), used
by the revocation index tests to write deltas by hand. The product's deltas travel as PKRL files
(``codes.wire``); this form exists only here."""

from __future__ import annotations

import json
import re
from typing import Any

from codes._rev import (
    KEY_FIELD,
    DeltaOp,
    EntryKind,
    Put,
    Remove,
    RemoveKey,
    RevocationEntry,
    RevocationIndexError,
    Severity,
    check_since,
)

# 100,000 entries of JSON are ~10 MB.
DEFAULT_MAX_DELTA_BYTES = 64 * 1024 * 1024
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def _json_key(obj: dict[str, Any], field: str, where: str) -> bytes:
    value = obj.get(field)
    if not isinstance(value, str) or _HEX32.fullmatch(value) is None:
        raise RevocationIndexError(f"{where}: expected {field!r} as 32 hex characters, "
                                   f"got {value!r:.60}")
    return bytes.fromhex(value)


def _json_op(obj: object, where: str) -> DeltaOp | None:
    if not isinstance(obj, dict):
        raise RevocationIndexError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    typ = obj.get("type")
    if not isinstance(typ, str):
        raise RevocationIndexError(f"{where}: expected a string 'type', got {typ!r:.60}")
    kind = EntryKind.from_json(typ)
    if kind is None:
        return None  # §6: an entry of another type is ignored (a newer list's kind)
    op = obj.get("op", "put")
    key = _json_key(obj, KEY_FIELD[kind], where)
    if op == "remove_key" or (op == "remove" and kind is EntryKind.TOKEN):
        return RemoveKey(kind, key)
    if kind is EntryKind.TOKEN:
        if op != "put":
            raise RevocationIndexError(f"{where}: expected op put, remove or remove_key, "
                                       f"got {op!r:.60}")
        return Put(RevocationEntry(kind, key))
    since = obj.get("since")
    if not isinstance(since, int) or isinstance(since, bool):
        raise RevocationIndexError(f"{where}: expected an integer 'since', got {since!r:.60}")
    if op == "remove":
        return Remove(kind, key, check_since(since))
    if op != "put":
        raise RevocationIndexError(f"{where}: expected op put, remove or remove_key, "
                                   f"got {op!r:.60}")
    status = obj.get("status")
    if status not in ("yellow", "red"):
        raise RevocationIndexError(f"{where}: expected status 'yellow' or 'red', "
                                   f"got {status!r:.60}")
    sev = Severity.RED if status == "red" else Severity.YELLOW
    return Put(RevocationEntry(kind, key, sev, check_since(since)))


def _json_loads(text: str | bytes, where: str) -> object:
    try:
        return json.loads(text)
    except RecursionError:
        raise RevocationIndexError(f"{where}: expected JSON, got nesting too deep") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, an integer of too many digits
        raise RevocationIndexError(f"{where}: expected JSON, got: {exc}") from None


def parse_delta(data: bytes, *, max_bytes: int = DEFAULT_MAX_DELTA_BYTES) -> list[DeltaOp]:
    """Parse a delta from its JSON form: the §6 entry shape plus an optional ``op``.

    Accepted: a §6 revocation list ``{"entries": [...]}``, a JSON array of entries, or JSON
    lines (one entry object per line). ``op`` is ``put`` (default: add or replace),
    ``remove`` (the entry with that ``since``; for a token, the token) or ``remove_key``
    (everything for that key; ``status``/``since`` not needed). Hex may be upper or lower case.
    Entries of an unknown ``type`` are skipped, as §6 says. Anything else invalid raises
    :class:`RevocationIndexError` naming the entry.
    """
    if not isinstance(data, bytes | bytearray):
        raise RevocationIndexError(f"expected delta bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise RevocationIndexError(f"expected a delta of at most {max_bytes} bytes, "
                                   f"got {len(data)}")
    if not data.strip():
        return []  # an empty JSON-lines delta
    items: list[tuple[str, object]]
    try:
        doc: object = json.loads(data)
    except (ValueError, RecursionError):
        lines = bytes(data).splitlines()
        first = next(ln for ln in lines if ln.strip())
        try:
            json_lines = isinstance(json.loads(first), dict) and len(lines) > 1
        except (ValueError, RecursionError):
            json_lines = False
        if not json_lines:
            _json_loads(data, "delta")  # raises with the parser's own message
        items = [(f"line {n}", _json_loads(ln, f"line {n}"))
                 for n, ln in enumerate(lines, 1) if ln.strip()]
    else:
        if isinstance(doc, dict) and "entries" in doc:
            doc = doc["entries"]
            if not isinstance(doc, list):
                raise RevocationIndexError("expected 'entries' to be a JSON array, "
                                           f"got {type(doc).__name__}")
        if isinstance(doc, list):
            items = [(f"entry {n}", obj) for n, obj in enumerate(doc)]
        elif isinstance(doc, dict):
            items = [("line 1", doc)]
        else:
            raise RevocationIndexError("expected a JSON object, array or JSON lines, "
                                       f"got {type(doc).__name__}")
    ops: list[DeltaOp] = []
    for where, obj in items:
        op = _json_op(obj, where)
        if op is not None:
            ops.append(op)
    return ops


def parse_entries(data: bytes, *, max_bytes: int = DEFAULT_MAX_DELTA_BYTES
                  ) -> list[RevocationEntry]:
    """Entries of a §6 revocation list (or any form :func:`parse_delta` accepts, puts only)."""
    entries: list[RevocationEntry] = []
    for op in parse_delta(data, max_bytes=max_bytes):
        if not isinstance(op, Put):
            raise RevocationIndexError(f"expected only entries to add, got {op!r:.80}")
        entries.append(op.entry)
    return entries

