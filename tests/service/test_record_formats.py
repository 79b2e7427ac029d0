"""Nothing free-form reaches storage: every field of an entry record has a strict format, on the
kiosk (``sync.Store``) and on the service (upload batch + ledger), and no run of ID-like digits
sits in either SQLite file."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from codes import REASONS
from codes.wire import (
    EntryRecord,
    RecordError,
    decode_batch,
    looks_like_id_number,
    new_record_id,
    record_to_dict,
    validate_record,
)
from service import UploadLedger
from sync import SiteConfig, Store, StoreError

AT = 1_790_000_000
ID18 = "11010519491231002X"


def rec(**kw: object) -> EntryRecord:
    base = EntryRecord(record_id=new_record_id(), at=AT, site="GZ-South", gate="3",
                       outcome="pass", reason="ok", format="PK1", subject_hash="ab" * 16,
                       token_id="0f" * 16)
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def _raw_batch(*records: dict[str, object]) -> bytes:
    import gzip
    import json

    return gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in records))


def _store_kiosk(tmp_path: Path) -> Callable[[EntryRecord], None]:
    store = Store(tmp_path / "kiosk")
    return store.add_record


def _store_service(tmp_path: Path) -> Callable[[EntryRecord], None]:
    ledger = UploadLedger(tmp_path / "svc")

    def put(r: EntryRecord) -> None:
        # The service sees the wire form first: decode_batch validates every field.
        (decoded,) = decode_batch(_raw_batch(record_to_dict(r)))
        ledger.store_batch("ab11cd22ef334455", [decoded], AT)

    return put


SIDES = {"kiosk": _store_kiosk, "service": _store_service}

GAPS = [
    pytest.param({"reason": "110105194912310020"}, id="id-as-reason"),
    pytest.param({"reason": "11010519491231002x"}, id="id-as-reason-lower-x"),
    pytest.param({"reason": "no_such_reason"}, id="unknown-reason"),
    pytest.param({"site": "110105194", "gate": "91231002X"}, id="id-split-site-gate"),
    pytest.param({"site": "A110105", "gate": "194912 31002X"}, id="id-split-short-runs"),
    pytest.param({"site": "110105 1949 1231 002X"}, id="spaced-id"),
    pytest.param({"site": "110105-19491231-002X"}, id="dashed-id"),
    pytest.param({"site": "1101.0519.4912.3100.2X"}, id="dotted-id"),
    pytest.param({"site": "110105491231002"}, id="legacy-15"),
    pytest.param({"gate": "１１０１０５１９４９"}, id="full-width-digits"),
    pytest.param({"format": "ID 110105"}, id="free-format"),
]


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("change", GAPS)
def test_every_gap_is_refused_on_both_sides(tmp_path: Path, side: str,
                                            change: dict[str, object]) -> None:
    put = SIDES[side](tmp_path)
    with pytest.raises(RecordError):
        put(rec(**change))


@pytest.mark.parametrize("side", SIDES)
def test_legitimate_place_codes_are_kept(tmp_path: Path, side: str) -> None:
    put = SIDES[side](tmp_path)
    for site, gate in (("GZ-South", "3"), ("广州南站", "A12"), ("Hospital 3", "North_2"),
                       ("440106", "12"), ("深圳北站", "东口")):
        put(rec(site=site, gate=gate))


def test_the_reason_list_is_closed_and_covers_the_kiosk() -> None:
    assert {"ok", "expired", "revoked_subject", "stale_data", "no_data", "internal_error",
            "bad_id_number"} <= REASONS
    for reason in REASONS:
        validate_record(rec(reason=reason))
    assert not any(looks_like_id_number(r) for r in REASONS)


@pytest.mark.parametrize("text", [ID18, "11010519491231002x", "110105 19491231 002X",
                                  "110105-1949-1231-002X", "110105491231002",
                                  "１１０１０５１９４９１２３１００２Ｘ",
                                  "id: 1101.0519.4912.3100.2X"])
def test_id_like_text_in_all_its_forms(text: str) -> None:
    assert looks_like_id_number(text)


@pytest.mark.parametrize("text", ["2026-12-03 10:22:33", "GZ-South gate 3", "v1.2.3",
                                  "12345678901234"])
def test_ordinary_text_is_not_id_like(text: str) -> None:
    assert not looks_like_id_number(text)


def test_the_site_config_refuses_what_a_record_could_not_carry(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        for site, gate in (("110105194", "91231002X"), ("Site", "110105 1949 1231 002X")):
            with pytest.raises(RecordError):
                store.save_site_config(SiteConfig(site, gate, None, 3600, 86400))
        store.save_site_config(SiteConfig("广州南站", "A12", None, 3600, 86400))
        with pytest.raises((RecordError, StoreError)):
            store.save_site_config(SiteConfig("Site!", "A", None, 3600, 86400))


_DIGIT_RUN = re.compile(rb"[0-9]{15,}")


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith((".sqlite3", "-wal", "-shm"))]


@pytest.mark.parametrize("side", SIDES)
def test_no_run_of_id_digits_sits_in_the_database_files(tmp_path: Path, side: str) -> None:
    # Hex fields and record ids may hold long digit runs by chance (or by a broken kiosk):
    # storage keeps them as 16-byte blobs, so not one ASCII digit of them reaches the file.
    put = SIDES[side](tmp_path)
    for i in range(20):
        put(rec(record_id=f"11010519-4912-3100-2{i:03d}-000000000000",
                subject_hash="110105194912310020" + f"{i:014d}",
                token_id="440106199001011230" + f"{i:014d}"))
    folder = tmp_path / ("kiosk" if side == "kiosk" else "svc")
    files = _files(folder)
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        assert not _DIGIT_RUN.search(path.read_bytes()), path.name


def test_a_ledger_with_text_ids_is_rewritten_with_blobs(tmp_path: Path) -> None:
    import sqlite3

    r = rec()
    folder = tmp_path / "svc"
    folder.mkdir()
    conn = sqlite3.connect(folder / "uploads.sqlite3")
    conn.execute("CREATE TABLE received (record_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, "
                 "received_at INTEGER NOT NULL, at INTEGER NOT NULL, site TEXT NOT NULL, "
                 "gate TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, "
                 "format TEXT NOT NULL, subject_hash TEXT, token_id TEXT)")
    conn.execute("INSERT INTO received VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                 (r.record_id, "ab11cd22ef334455", AT, r.at, r.site, r.gate, r.outcome,
                  r.reason, r.format, r.subject_hash, r.token_id))
    conn.commit()
    conn.close()
    with UploadLedger(folder) as ledger:
        assert ledger.received_records() == [r]
        assert ledger.received_ids() == {r.record_id}
    conn = sqlite3.connect(folder / "uploads.sqlite3")
    assert conn.execute("SELECT typeof(record_id), typeof(subject_hash) FROM received"
                        ).fetchone() == ("blob", "blob")
    conn.close()
