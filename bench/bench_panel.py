"""Benchmark of the staff panel, the config file and the store's outcome counts.

    .venv/bin/python bench/bench_panel.py [--records 700000] [--out FILE.md]

(default output: docs/performance/staff-panel.md)

Config: ``load_config`` and ``save_config`` (atomic, fsynced) of a full file. Panel (Qt
offscreen): build, show and paint a ``StaffPanel`` at 1280x800 and 1920x1080 (what opening it
costs if the kiosk builds it on demand), and ``set_status``. Store: ``outcome_counts`` and
``hourly_outcome_counts`` for one day, and ``export_today_counts``, on a store holding
``--records`` entry records spread over 14 days (the default retention; 700k is a busy station's
50k people a day).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DAY = 86_400
T0 = 1_790_000_000 - 1_790_000_000 % DAY


def machine() -> str:
    model = "unknown"
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name"):
            model = line.split(":", 1)[1].strip()
    import PySide6

    return (
        f"{model}, {os.cpu_count()} cores (shared), {dt.date.today().isoformat()}, "
        f"Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}, "
        f"SQLite {__import__('sqlite3').sqlite_version}"
    )


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, round(q * (len(values) - 1)))]


def row(name: str, values: list[float], unit: float = 1e3, suffix: str = "ms") -> str:
    return (f"| {name} | {statistics.median(values) * unit:.2f} {suffix} | "
            f"{pct(values, 0.95) * unit:.2f} {suffix} | {len(values)} |")


def bench_config(work: Path) -> list[str]:
    from kiosk._config import KioskConfig, ReadersConfig, VerdictPolicy, load_config, save_config

    cfg = KioskConfig(site="GZ South", gate="3", service_url="https://pass.example.cn/kiosk",
                      readers=ReadersConfig(False, "/dev/ttyUSB0", None, "0"),
                      policy=VerdictPolicy("hospital", True, 4.0, 10.0, True))
    path = work / "config.toml"
    save_config(path, cfg)
    return [
        row("load_config (full file)", timed(lambda: load_config(path), 500)),
        row("save_config (atomic, fsync)", timed(lambda: save_config(path, cfg), 50)),
    ]


def bench_panel() -> list[str]:
    from PySide6.QtWidgets import QApplication

    from kiosk import _panel_model as M
    from kiosk._app import application, install_language
    from kiosk._panel import StaffPanel

    app = application(headless=True)
    install_language(app, "zh_CN")
    lines = []
    for w, h in ((1280, 800), (1920, 1080)):
        def build(w: int = w, h: int = h) -> None:
            panel = StaffPanel()
            panel.resize(w, h)
            panel.show()
            panel.grab()  # painted
            panel.deleteLater()
            QApplication.processEvents()

        build()  # first build loads fonts and styles
        lines.append(row(f"StaffPanel build + show + paint at {w}x{h}", timed(build, 30)))
    panel = StaffPanel()
    panel.show()
    status = M.PanelStatus(lists=(M.ListInfo("trust", 12, 300.0), M.ListInfo("revocation", 88,
                                                                              7200.0)),
                           counts={"pass": 120, "attention": 4, "deny": 1, "invalid": 7},
                           readers=("pcsc ✓  camera ✓",), pending_acks=2, last_sync="10:42")
    lines.append(row("set_status", timed(lambda: panel.set_status(status), 500), 1e6, "µs"))
    return lines


def bench_store(records: int, work: Path) -> list[str]:
    from codes.wire import ROW_COLUMNS, EntryRecord, new_record_id, record_to_row
    from kiosk._panel_model import export_today_counts
    from sync import Store

    rng = random.Random(1)
    outcomes = ["pass"] * 90 + ["attention"] * 4 + ["deny"] * 2 + ["invalid"] * 4
    reason = {"pass": "ok", "attention": "status_yellow", "deny": "status_red",
              "invalid": "malformed"}
    store = Store(work / "kiosk")
    try:
        rows = []
        for i in range(records):
            o = rng.choice(outcomes)
            rows.append(record_to_row(EntryRecord(
                new_record_id(), T0 + i * (14 * DAY) // records, "S1", "G1", o, reason[o],
                "PK1", "ab" * 16, None)))
        with store.transaction() as tx:
            tx.executemany(f"INSERT INTO entry_records ({', '.join(ROW_COLUMNS)}) "
                           f"VALUES ({', '.join('?' * len(ROW_COLUMNS))})", rows)
        day = T0 + 13 * DAY
        now = day + 12 * 3600
        return [
            row("outcome_counts (one day)", timed(lambda: store.outcome_counts(day, day + DAY),
                                                  20)),
            row("hourly_outcome_counts (24 h)",
                timed(lambda: store.hourly_outcome_counts(day, day + DAY), 20)),
            row("export_today_counts (query + CSV + atomic write)",
                timed(lambda: export_today_counts(store, work / "exports", now, "S1", "G1"), 20)),
        ]
    finally:
        store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=700_000)
    ap.add_argument("--out", type=Path, default=ROOT / "docs/performance/staff-panel.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = bench_config(work)
        panel = bench_panel()
        store = bench_store(args.records, work)
    cmd = "`.venv/bin/python bench/bench_panel.py" + (
        f" --records {args.records}`" if args.records != 700_000 else "`")
    text = "\n".join([
        "# Staff panel, config file and daily counts",
        "",
        f"Machine: {machine()}. Command: {cmd}.",
        "",
        "| step | median | p95 | runs |",
        "|---|---|---|---|",
        *config,
        *panel,
        *store,
        "",
        f"Store: {args.records} entry records over 14 days ({args.records // 14} a day). The",
        "counts scan the records table (its index is on the upload queue), so they grow with",
        "the retained records: the kiosk asks for them when the panel opens and after an",
        "action, not on a timer.",
        "",
    ])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
