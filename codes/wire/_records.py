"""Entry records (出入登记): one row per person at the gate, and their wire form.

A record says *that* someone was checked, when, where and with what result. It never holds a
raw ID number or a photo (PK1 spec §5: subjects are identified by their subject hash only).
:func:`validate_record` enforces that at every boundary: the kiosk store refuses to write such a
record, and the service refuses to receive one.

The wire form is JSON lines (one object per record), gzip-compressed; :func:`decode_batch` has
caps on compressed size, inflated size, line count and line length, so a hostile or broken
upload costs the service bounded memory.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from codes._errors import DeviceError
from codes._verdict import REASONS, Outcome, Verdict


class RecordError(DeviceError):
    """An entry record (or a batch of them) is not acceptable: malformed, too large, or it
    carries something that looks like a raw ID number."""


# Resident ID numbers: 18 characters (17 digits and a check character, GB 11643-1999) or the
# legacy 15 digits (GB 11643-1989), possibly written with spaces, dashes or dots between the
# digits, or in full-width digits (folded by NFKC first). We reject anything that merely *looks*
# like one, checksum or not: a false refusal of odd text is cheap, a leaked ID number is not.
_ID_LIKE = re.compile(r"\d(?:[ \-.]?\d){14,}(?:[ \-.]?[Xx])?", re.ASCII)
_HEX32 = re.compile(r"[0-9a-f]{32}")
_FORMATS = frozenset({"PK1", "HC1", "ID", "CARD"})
_OUTCOMES = frozenset(o.value for o in Outcome)
# Site and gate codes: letters of any script, ASCII digits, spaces, '-', '_' and '.', with at
# most MAX_DIGIT_RUN digits in a row, and nothing ID-like in either or in both read together (as
# they sit side by side in a database row): an ID number cannot be written into them, whole,
# spaced out or split between the two.
MAX_DIGIT_RUN = 6
MAX_SITE = 32
MAX_GATE = 16
_PLACE_PUNCTUATION = frozenset("0123456789 -_.")
_DIGIT_RUN = re.compile(rf"[0-9]{{{MAX_DIGIT_RUN + 1},}}")

MAX_TEXT = 64  # labels and other short free text
MAX_LINE = 1024  # one JSON line; a valid record is ~300 bytes
MAX_BATCH_RECORDS = 5000
MAX_BATCH_COMPRESSED = 2 * 1024 * 1024
MAX_BATCH_INFLATED = MAX_BATCH_RECORDS * MAX_LINE
# Records from before 2020 or after 2100 are clock faults, not entries.
_MIN_TIME = 1_577_836_800
_MAX_TIME = 4_102_444_800


def looks_like_id_number(text: str) -> bool:
    """True when text holds something shaped like an ID number (15 or 18 characters, also
    spaced, dashed, dotted or in full-width digits)."""
    return _ID_LIKE.search(unicodedata.normalize("NFKC", text)) is not None


def check_place_pair(site: str, gate: str) -> None:
    """A site and a gate code must not make an ID number when read together."""
    if looks_like_id_number(site + gate) or looks_like_id_number(f"{site} {gate}"):
        raise RecordError("site and gate: expected no ID number between them, got one split "
                          "across the two")


def check_place_code(what: str, text: object, max_len: int) -> str:
    """A site or gate code in the site alphabet (see ``MAX_DIGIT_RUN``), or RecordError."""
    if not isinstance(text, str) or not 1 <= len(text) <= max_len:
        raise RecordError(f"{what}: expected 1..{max_len} characters, got {shown(text)}")
    bad = [c for c in text if not (c.isalpha() or c in _PLACE_PUNCTUATION)]
    if bad:
        raise RecordError(f"{what}: expected letters, digits 0-9, space, '-', '_' or '.', "
                          f"got {bad[0]!r}")
    if _DIGIT_RUN.search(text) or looks_like_id_number(text):
        raise RecordError(f"{what}: expected at most {MAX_DIGIT_RUN} digits in a row and no ID "
                          "number, got more")
    return text


def shown(value: object, limit: int = 40) -> str:
    """A value for an error message that can never echo an ID number into a log."""
    if isinstance(value, str):
        if looks_like_id_number(value):
            return f"text of {len(value)} characters holding an ID-like number"
        return repr(value[:limit]) + ("..." if len(value) > limit else "")
    if isinstance(value, bool | int | float | None):
        return repr(value)
    return type(value).__name__


def check_free_text(what: str, text: str, max_len: int = MAX_TEXT) -> None:
    """Raise RecordError unless text is short, printable and holds no ID-like run."""
    if not isinstance(text, str) or not 1 <= len(text) <= max_len:
        raise RecordError(f"{what}: expected 1..{max_len} characters, got {shown(text)}")
    if not text.isprintable():
        raise RecordError(f"{what}: expected printable text, got control characters")
    if looks_like_id_number(text):
        raise RecordError(f"{what}: expected no ID number, got text that looks like one")


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """One gate check. ``at`` is epoch seconds; hashes and token id are 32 lower-case hex."""

    record_id: str  # canonical UUID text
    at: int
    site: str
    gate: str
    outcome: str  # an Outcome value
    reason: str  # the spec's reason code, e.g. "ok", "revoked_subject"
    format: str  # "PK1" | "HC1" | "ID" | "CARD"
    subject_hash: str | None = None
    token_id: str | None = None


def validate_record(rec: EntryRecord) -> EntryRecord:
    """Return rec when every field is well-formed; raise RecordError (saying which) otherwise."""
    # uuid is imported where records are handled: importing it loads `platform` (~2 ms), which a
    # one-shot `passkiosk verify`, importing this module with the store, does not need.
    import uuid

    try:
        canonical = str(uuid.UUID(rec.record_id))
    except (ValueError, TypeError, AttributeError) as e:
        raise RecordError(f"record_id: expected a UUID, got {shown(rec.record_id)}") from e
    if canonical != rec.record_id:
        raise RecordError(
            f"record_id: expected canonical lower-case UUID, got {shown(rec.record_id)}"
        )
    if type(rec.at) is not int or not _MIN_TIME <= rec.at < _MAX_TIME:
        raise RecordError(f"at: expected epoch seconds in 2020..2100, got {shown(rec.at)}")
    check_place_code("site", rec.site, MAX_SITE)
    check_place_code("gate", rec.gate, MAX_GATE)
    check_place_pair(rec.site, rec.gate)
    if rec.outcome not in _OUTCOMES:
        raise RecordError(f"outcome: expected one of {sorted(_OUTCOMES)}, got {shown(rec.outcome)}")
    if rec.reason not in REASONS:
        raise RecordError(f"reason: expected one of the reason codes, got {shown(rec.reason)}")
    if rec.format not in _FORMATS:
        raise RecordError(f"format: expected one of {sorted(_FORMATS)}, got {shown(rec.format)}")
    # Hash fields are exactly 32 hex characters. Random hex may hold long digit runs, so they are
    # not run through the ID-like check; instead storage keeps them (and the record id) as
    # 16-byte blobs (``record_to_row``), where no run of ASCII digits can sit.
    for name, value in (("subject_hash", rec.subject_hash), ("token_id", rec.token_id)):
        if value is not None and (not isinstance(value, str) or not _HEX32.fullmatch(value)):
            raise RecordError(f"{name}: expected 32 lower-case hex characters, got {shown(value)}")
    return rec


def new_record_id() -> str:
    """A fresh random record id (UUID4); uploads de-duplicate on it."""
    import uuid

    return str(uuid.uuid4())


def record_from_verdict(verdict: Verdict, *, at: int, site: str, gate: str) -> EntryRecord:
    """The entry record for one verdict. Only the verdict's hashes travel; names and masked IDs
    stay on screen (they are not needed to account for who passed the gate)."""
    return validate_record(
        EntryRecord(
            record_id=new_record_id(),
            at=at,
            site=site,
            gate=gate,
            outcome=str(verdict.outcome.value),
            reason=verdict.reason,
            format=verdict.format,
            subject_hash=verdict.subject_hash,
            token_id=verdict.token_id,
        )
    )


# The storage row of a record (both sides' SQLite tables, in this column order): the record
# id and the two hashes as 16-byte blobs, the rest as on the wire.
ROW_COLUMNS = ("record_id", "at", "site", "gate", "outcome", "reason", "format",
               "subject_hash", "token_id")
Row = tuple[bytes, int, str, str, str, str, str, bytes | None, bytes | None]


def record_id_blob(record_id: str) -> bytes:
    """The 16 stored bytes of a canonical record id (RecordError if it is not one)."""
    import uuid

    try:
        return uuid.UUID(record_id).bytes
    except (ValueError, TypeError, AttributeError) as e:
        raise RecordError(f"record_id: expected a UUID, got {shown(record_id)}") from e


def record_to_row(rec: EntryRecord) -> Row:
    """The storage row of a validated record."""
    validate_record(rec)
    return (record_id_blob(rec.record_id), rec.at, rec.site, rec.gate, rec.outcome, rec.reason,
            rec.format, None if rec.subject_hash is None else bytes.fromhex(rec.subject_hash),
            None if rec.token_id is None else bytes.fromhex(rec.token_id))


def row_from_text_row(row: tuple[object, ...]) -> tuple[object, ...]:
    """A storage row whose id and hashes are still text (the first schemas) in today's form;
    columns after the nine record columns are kept as they are."""
    rid, *middle, sh, tid = row[:len(ROW_COLUMNS)]
    return (record_id_blob(str(rid)), *middle,
            None if sh is None else bytes.fromhex(str(sh)),
            None if tid is None else bytes.fromhex(str(tid)), *row[len(ROW_COLUMNS):])


def record_from_row(row: tuple[object, ...]) -> EntryRecord:
    """The record of a storage row, validated again (a damaged row is a RecordError)."""
    if len(row) != len(ROW_COLUMNS):
        raise RecordError(f"record row: expected {len(ROW_COLUMNS)} columns, got {len(row)}")
    rid, at, site, gate, outcome, reason, fmt, sh, tid = row
    import uuid

    def blob(value: object, what: str) -> bytes:
        if not isinstance(value, bytes) or len(value) != 16:
            raise RecordError(f"stored {what}: expected 16 bytes, got {type(value).__name__}")
        return value

    return validate_record(EntryRecord(
        record_id=str(uuid.UUID(bytes=blob(rid, "record_id"))),
        at=at,  # type: ignore[arg-type]  # checked by validate_record
        site=site, gate=gate, outcome=outcome, reason=reason,  # type: ignore[arg-type]
        format=fmt,  # type: ignore[arg-type]
        subject_hash=None if sh is None else blob(sh, "subject_hash").hex(),
        token_id=None if tid is None else blob(tid, "token_id").hex(),
    ))


_FIELDS = ("record_id", "at", "site", "gate", "outcome", "reason", "format",
           "subject_hash", "token_id")


def record_to_dict(rec: EntryRecord) -> dict[str, Any]:
    """JSON-ready form (the field names are the wire names)."""
    return {name: getattr(rec, name) for name in _FIELDS}


def record_from_dict(obj: Mapping[str, Any]) -> EntryRecord:
    """Parse and validate one wire object; unknown or missing keys are errors."""
    if not isinstance(obj, Mapping):
        raise RecordError(f"record: expected a JSON object, got {type(obj).__name__}")
    keys = set(obj)
    required = set(_FIELDS) - {"subject_hash", "token_id"}
    if not required <= keys or not keys <= set(_FIELDS):
        raise RecordError(
            f"record: expected keys {sorted(_FIELDS)}, "
            f"got {[shown(str(k), 20) for k in sorted(keys)[:12]]}"
        )
    return validate_record(
        EntryRecord(
            record_id=obj["record_id"],
            at=obj["at"],
            site=obj["site"],
            gate=obj["gate"],
            outcome=obj["outcome"],
            reason=obj["reason"],
            format=obj["format"],
            subject_hash=obj.get("subject_hash"),
            token_id=obj.get("token_id"),
        )
    )


def encode_batch(records: Iterable[EntryRecord]) -> bytes:
    """gzip(JSON lines), one compact object per record."""
    lines = [
        json.dumps(record_to_dict(r), ensure_ascii=False, separators=(",", ":")) for r in records
    ]
    raw = ("\n".join(lines) + "\n").encode() if lines else b""
    # mtime=0 keeps the body (and so its signed digest) a pure function of the records.
    return gzip.compress(raw, compresslevel=6, mtime=0)


def decode_batch(
    body: bytes,
    *,
    max_records: int = MAX_BATCH_RECORDS,
    max_compressed: int = MAX_BATCH_COMPRESSED,
) -> list[EntryRecord]:
    """Inverse of :func:`encode_batch`, with caps; raises RecordError saying which limit hit."""
    if len(body) > max_compressed:
        raise RecordError(f"batch: expected at most {max_compressed} bytes, got {len(body)}")
    cap = max_records * MAX_LINE
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing only
    try:
        raw = inflater.decompress(body, cap + 1)
        if len(raw) > cap or inflater.unconsumed_tail:
            raise RecordError(f"batch: expected at most {cap} bytes inflated, got more")
        if not inflater.eof:
            raise RecordError("batch: expected a complete gzip stream, got a truncated one")
    except zlib.error as e:
        raise RecordError(f"batch: expected gzip, got undecodable data ({e})") from e
    if inflater.unused_data:
        raise RecordError("batch: expected one gzip member, got trailing data")
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) > max_records:
        raise RecordError(f"batch: expected at most {max_records} records, got {len(lines)}")
    out: list[EntryRecord] = []
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            raise RecordError(f"batch line {n}: expected at most {MAX_LINE} bytes, got {len(line)}")
        try:
            obj = json.loads(line)
        except (ValueError, UnicodeDecodeError) as e:
            raise RecordError(f"batch line {n}: expected JSON, got invalid text ({e})") from e
        try:
            out.append(record_from_dict(obj))
        except RecordError as e:
            raise RecordError(f"batch line {n}: {e}") from e
    return out
