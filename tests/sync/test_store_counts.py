"""The store's outcome counts: the staff panel's "today" numbers and its hourly export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codes.wire import EntryRecord, new_record_id
from sync._store import Store, StoreError

T0 = 1_790_000_000 - 1_790_000_000 % 3600  # on the hour
OUTCOME_REASON = {"pass": "ok", "attention": "status_yellow", "deny": "status_red",
                  "invalid": "malformed"}


def rec(at: int, outcome: str) -> EntryRecord:
    return EntryRecord(new_record_id(), at, "S1", "G1", outcome, OUTCOME_REASON[outcome], "PK1",
                       "ab" * 16, None)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "kiosk")
    yield s
    s.close()


def test_outcome_counts_in_a_half_open_span(store: Store) -> None:
    plan = {"pass": 5, "attention": 2, "deny": 1, "invalid": 3}
    at = T0
    for outcome, n in plan.items():
        for _ in range(n):
            store.add_record(rec(at, outcome))
            at += 7
    store.add_record(rec(T0 - 1, "pass"))  # before the span
    store.add_record(rec(T0 + 3600, "deny"))  # at its end: not inside
    assert store.outcome_counts(T0, T0 + 3600) == plan
    assert store.outcome_counts(T0 - 1, T0 + 3601) == {**plan, "pass": 6, "deny": 2}
    # Counts do not depend on upload state.
    store.mark_uploaded([r.record_id for r in store.pending_records(100)], T0 + 4000)
    assert store.outcome_counts(T0, T0 + 3600) == plan


def test_an_empty_span_names_every_outcome_with_zero(store: Store) -> None:
    assert store.outcome_counts(T0, T0 + 86400) == {"pass": 0, "attention": 0, "deny": 0,
                                                    "invalid": 0}
    assert store.outcome_counts(T0, T0) == {"pass": 0, "attention": 0, "deny": 0, "invalid": 0}


def test_hourly_counts_put_each_record_in_its_hour(store: Store) -> None:
    store.add_record(rec(T0, "pass"))
    store.add_record(rec(T0 + 3599, "pass"))
    store.add_record(rec(T0 + 3600, "deny"))
    store.add_record(rec(T0 + 5 * 3600 + 10, "attention"))
    store.add_record(rec(T0 + 24 * 3600, "pass"))  # tomorrow
    hours = store.hourly_outcome_counts(T0, T0 + 24 * 3600)
    assert len(hours) == 24
    assert hours[0] == {"pass": 2, "attention": 0, "deny": 0, "invalid": 0}
    assert hours[1] == {"pass": 0, "attention": 0, "deny": 1, "invalid": 0}
    assert hours[5]["attention"] == 1
    assert sum(sum(h.values()) for h in hours) == 4
    # A part hour at the end is a slot of its own.
    assert len(store.hourly_outcome_counts(T0, T0 + 3601)) == 2


@pytest.mark.parametrize(("start", "end", "hour_s"), [
    (T0 + 1, T0, 3600),  # reversed
    (T0, T0 + 10, 0),
    (T0, T0 + 400 * 86400, 3600),  # more than a year of hours
])
def test_bad_spans_are_refused(store: Store, start: int, end: int, hour_s: int) -> None:
    with pytest.raises(StoreError, match="count span: expected"):
        store.hourly_outcome_counts(start, end, hour_s)
