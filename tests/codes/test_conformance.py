"""Conformance against ../shared: the PK1 vectors and the EU DCC test data (skips without it)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from codes import (
    TrustStore,
    card_hash,
    check_id18,
    lookup_card,
    lookup_id,
    parse_revocation_list,
    parse_trust_list,
    subject_hash,
    verify,
)

_DGC_KEYS = (
    "EXPECTEDUNPREFIX",
    "EXPECTEDB45DECODE",
    "EXPECTEDCOMPRESSION",
    "EXPECTEDDECODE",
    "EXPECTEDVERIFY",
    "EXPECTEDKEYUSAGE",
    "EXPECTEDEXPIRATIONCHECK",
)


@pytest.fixture(scope="module")
def pk1(shared_dir: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((shared_dir / "conformance/pk1/vectors.json").read_text())
    doc["_trust"] = parse_trust_list(json.dumps(doc["trust"]).encode())
    doc["_revocation"] = parse_revocation_list(json.dumps(doc["revocation"]).encode())
    return doc


def test_pk1_vectors(pk1: dict[str, Any]) -> None:
    failures = []
    for v in pk1["vectors"]:
        got = verify(v["text"], pk1["_trust"], pk1["_revocation"], v["now"])
        expected = (v["expected"]["outcome"], v["expected"]["reason"])
        if (str(got.outcome), got.reason) != expected:
            failures.append((v["name"], str(got.outcome), got.reason, expected))
    assert not failures
    assert len(pk1["vectors"]) >= 80


def test_pk1_interchange_files_match_vectors(shared_dir: Path, pk1: dict[str, Any]) -> None:
    base = shared_dir / "conformance/pk1"
    assert len(parse_trust_list((base / "trust.json").read_bytes()).keys) == len(pk1["_trust"].keys)
    assert len(parse_revocation_list((base / "revocation.json").read_bytes())) == len(
        pk1["_revocation"]
    )


def test_pk1_lookups(pk1: dict[str, Any]) -> None:
    for case in pk1["lookups"]:
        if "id18" in case:
            got = lookup_id(case["id18"], pk1["_revocation"], case["now"])
        else:
            got = lookup_card(case["serial"], pk1["_revocation"], case["now"])
        expected = (case["expected"]["outcome"], case["expected"]["reason"])
        assert (str(got.outcome), got.reason) == expected, case["name"]


def test_pk1_hashes(pk1: dict[str, Any]) -> None:
    for case in pk1["hashes"]:
        if "id18" in case:
            assert subject_hash(case["id18"]).hex() == case["sh"]
        else:
            assert card_hash(case["serial"]).hex() == case["ch"]


def test_pk1_bad_id_numbers(pk1: dict[str, Any]) -> None:
    for case in pk1["bad_id_numbers"]:
        assert not check_id18(case["id18"], case["now"])
        v = lookup_id(case["id18"], pk1["_revocation"], case["now"])
        assert (str(v.outcome), v.reason) == ("invalid", "bad_id_number")


def _dgc_cases(root: Path) -> list[tuple[str, dict[str, Any], bool]]:
    """(relative path, case, excused) for every scored case of the EU DCC test data."""
    with open(root / "known_issues.csv", newline="") as f:
        known = {(row["country"], row["test_set"]) for row in csv.DictReader(f)}
    out = []
    for path in sorted(root.rglob("*.json")):
        case = json.loads(path.read_text())
        expected = case.get("EXPECTEDRESULTS", {})
        if not any(k in expected for k in _DGC_KEYS):
            continue
        rel = path.relative_to(root)
        country, test_set = rel.parts[0], path.stem
        excused = (country, "") in known or (country, test_set) in known
        out.append((str(rel), case, excused))
    return out


def _clock(text: str) -> int:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.replace(microsecond=0).timestamp())


def test_dgc(shared_dir: Path) -> None:
    cases = _dgc_cases(shared_dir / "conformance/dgc")
    assert len(cases) >= 170
    failures, scored = [], 0
    for rel, case, excused in cases:
        ctx, expected = case["TESTCTX"], case["EXPECTEDRESULTS"]
        want = "invalid" if any(expected.get(k) is False for k in _DGC_KEYS) else "pass"
        cert = ctx.get("CERTIFICATE")
        trust = TrustStore(certificates=[base64.b64decode(cert)] if cert else [])
        got = verify(case["PREFIX"], trust, None, _clock(ctx["VALIDATIONCLOCK"]))
        if excused:
            continue
        scored += 1
        if str(got.outcome) != want:
            failures.append((rel, want, str(got.outcome), got.reason))
    assert not failures
    assert scored >= 170
