"""A small load test run (bench/loadtest.py): 50 kiosks for 20 s at ten times real speed, through
nginx and two replicas over PostgreSQL, with one replica killed and PostgreSQL restarted.

Nothing the kiosks wrote may be lost or stored twice. No timing is asserted here: the figures
are measured by ``./dev.sh loadtest`` and written to docs/performance/loadtest.md.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _loadtest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("loadtest", BENCH / "loadtest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["loadtest"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_a_small_fleet_loses_and_doubles_nothing_through_a_replica_kill_and_a_db_restart(
        ) -> None:
    loadtest = _loadtest()
    args = loadtest.parse_args(["--kiosks", "50", "--seconds", "20", "--speed", "10",
                                "--drain", "90", "--replica-down-s", "3", "--threads", "8"])
    summary = loadtest.run(args)
    assert summary["store"] == "postgresql"
    assert summary["records_sent"] > 0
    assert summary["records_stored"] == summary["records_sent"]
    assert (summary["lost"], summary["duplicated"], summary["unsent"]) == (0, 0, 0)
    faults = [f["fault"] for f in summary["faults"]]
    assert len(faults) == 2 and any("PostgreSQL" in f for f in faults)
    assert summary["uploads_per_s"] > 0 and summary["polls"] > 0
