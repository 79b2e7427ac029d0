"""The service's upload storage on both engines: records/s for batched, idempotent inserts.

Stores batches of entry records straight through ``service.Storage.store_batch`` (no HTTP):
SQLite (``uploads.sqlite3``, ``synchronous=FULL``) and PostgreSQL (Debian's server, initdb'd in
a temp folder with durable settings: fsync on, ``synchronous_commit=on``). Each engine takes
fresh batches (all new records, spread over three days = three partitions on PostgreSQL), then
the same batches again (all duplicates: the cost of a kiosk resending), from ``--writers``
threads at once (as replicas' worker threads would), then a retention run that drops a day.

Then the same over HTTP, as kiosks meet it: ``--kiosks`` kiosk threads, each with its own
enrolled device key and store, push ``--uploads`` signed batches of ``--per-upload`` records
each with the real ``push_pending``, to one SQLite process and to two replicas over PostgreSQL
behind nginx.

    .venv/bin/python bench/bench_storage.py [--batches 60] [--batch 1000] [--writers 4]
        [--kiosks 16] [--uploads 20] [--per-upload 60] [--out docs/performance/storage.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codes.wire import EntryRecord, new_record_id
from service import BackgroundService, ServiceState, Storage, enroll_kiosk, open_storage
from service import main as service_main
from sync import Store
from sync._devicekey import load_or_create_device_key
from sync._push import push_pending
from tests.service.nginxfixture import Nginx, Replicas
from tests.service.pgfixture import PostgresCluster

DAY = 86_400


def batches(n: int, size: int, t0: int) -> list[list[EntryRecord]]:
    return [[EntryRecord(new_record_id(), t0 - ((b * size + i) % 3) * DAY - i, "Station 1",
                         "East", "pass", "ok", "PK1", "ab" * 16, "cd" * 16)
             for i in range(size)] for b in range(n)]


def run(store: Storage, work: list[list[EntryRecord]], writers: int) -> tuple[float, list[float]]:
    """Seconds for all batches over ``writers`` threads, and each batch's latency (ms)."""
    lat: list[float] = []
    lock = threading.Lock()
    todo = list(work)

    def worker() -> None:
        while True:
            with lock:
                if not todo:
                    return
                batch = todo.pop()
            t = time.perf_counter()
            store.store_batch("k1", batch, int(time.time()))
            with lock:
                lat.append((time.perf_counter() - t) * 1000)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3600)
    return time.perf_counter() - start, sorted(lat)


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(p * len(values)))]


def measure(name: str, opener: Callable[[], Storage], args: argparse.Namespace) -> list[str]:
    t0 = int(time.time())
    work = batches(args.batches, args.batch, t0)
    n = args.batches * args.batch
    rows = []
    with opener() as store:
        for label in ("new records", "all duplicates"):
            secs, lat = run(store, work, args.writers)
            rows.append(f"| {name} | {label} | {n} | {n / secs:,.0f} | {pct(lat, 0.5):.1f} | "
                        f"{pct(lat, 0.95):.1f} |")
        assert store.received_count() == n
        start = time.perf_counter()
        gone = store.drop_records_before(dt.datetime.fromtimestamp(t0 - DAY, dt.UTC).date())
        rows.append(f"| {name} | retention: drop the oldest day ({gone} records) | {gone} | "
                    f"{gone / (time.perf_counter() - start):,.0f} | – | – |")
    return rows


def http_round(url: str, data: Path, db: str | None, work: Path,
               args: argparse.Namespace) -> tuple[float, list[float]]:
    """Seconds for every kiosk's uploads and each upload's latency (ms)."""
    kiosks = []
    for k in range(args.kiosks):
        folder = work / f"kiosk{k}"
        key = load_or_create_device_key(folder)
        enroll_kiosk(data, key.public_text, f"bench {k}", db_url=db)
        kiosks.append((folder, key))
    lat: list[float] = []
    lock = threading.Lock()

    def kiosk(folder: Path, key: object) -> None:
        with Store(folder) as store:
            for _ in range(args.uploads):
                t = int(time.time())
                for i in range(args.per_upload):
                    store.add_record(EntryRecord(new_record_id(), t - i, "Station 1", "East",
                                                 "pass", "ok", "PK1", "ab" * 16, "cd" * 16))
                start = time.perf_counter()
                push_pending(store, url, key, batch_size=args.per_upload,  # type: ignore[arg-type]
                             purge=False)
                with lock:
                    lat.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    threads = [threading.Thread(target=kiosk, args=k) for k in kiosks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3600)
    return time.perf_counter() - start, sorted(lat)


def http_rows(args: argparse.Namespace) -> list[str]:
    rows = []
    n_up = args.kiosks * args.uploads
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sqlite"
        ServiceState.init(data, iss="CN-44", now=int(time.time())).close()
        with BackgroundService(data) as svc:
            secs, lat = http_round(svc.url, data, None, Path(tmp) / "k1", args)
        rows.append(f"| one process, SQLite | {n_up} | {n_up / secs:,.0f} | "
                    f"{n_up * args.per_upload / secs:,.0f} | {pct(lat, 0.5):.1f} | "
                    f"{pct(lat, 0.95):.1f} |")
        with PostgresCluster(fast=False) as pg:
            db = pg.create_database("http")
            data = Path(tmp) / "pg"
            service_main(["migrate", "--data", str(data), "--db", db])
            ServiceState.init(data, iss="CN-44", now=int(time.time()), db=db).close()
            with Replicas(data, db, n=2) as reps, Nginx(reps.addresses) as lb:
                secs, lat = http_round(lb.url, data, db, Path(tmp) / "k2", args)
                used = lb.upstreams_used()
        rows.append(f"| nginx + 2 replicas, PostgreSQL | {n_up} | {n_up / secs:,.0f} | "
                    f"{n_up * args.per_upload / secs:,.0f} | {pct(lat, 0.5):.1f} | "
                    f"{pct(lat, 0.95):.1f} |")
        rows.append("")
        rows.append("Requests per replica (nginx access log: the uploads and nginx's start-up "
                    f"probe): {', '.join(str(v) for v in sorted(used.values()))}.")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=60)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--kiosks", type=int, default=16)
    ap.add_argument("--uploads", type=int, default=20)
    ap.add_argument("--per-upload", type=int, default=60)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows: list[str] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        rows += measure("SQLite", lambda: open_storage(None, Path(tmp)), args)
        with PostgresCluster(fast=False) as pg:
            url = pg.create_database("bench")
            rows += measure("PostgreSQL", lambda: open_storage(url, tmp, migrate=True), args)
    web = http_rows(args)
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    text = "\n".join([
        "# Upload storage: batched idempotent inserts, SQLite and PostgreSQL",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores (shared with other jobs), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; "
        f"PostgreSQL from Debian, durable settings (fsync on, synchronous_commit on). "
        f"Date: {dt.date.today().isoformat()}. 1-minute load average before/after: "
        f"{load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other "
        "engineers' jobs): treat the numbers as lower bounds.",
        "",
        f"Command: `.venv/bin/python bench/bench_storage.py --batches {args.batches} "
        f"--batch {args.batch} --writers {args.writers} --kiosks {args.kiosks} "
        f"--uploads {args.uploads} --per-upload {args.per_upload}`",
        "",
        f"{args.batches} batches of {args.batch} records (three days of record times), stored "
        f"by {args.writers} threads at once through `Storage.store_batch`, no HTTP. Latency is "
        "per batch (one transaction).",
        "",
        "| engine | what | records | records/s | batch p50 ms | batch p95 ms |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"Over HTTP on 127.0.0.1: {args.kiosks} kiosk threads, each pushing {args.uploads} "
        f"signed batches of {args.per_upload} records with `push_pending` (one connection per "
        "push, as a kiosk does); latency is one push (sign, send, store, answer); uploads/s is "
        "over the whole run, which also includes each kiosk writing its records into its own "
        "store. The kiosks, nginx, the replicas and PostgreSQL share the same 2 cores.",
        "",
        "| deployment | uploads | uploads/s | records/s | upload p50 ms | upload p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
        *web,
        "",
    ])
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
