"""The structures the revocation index was chosen against, measured like bench_revindex.py.

    .venv/bin/python bench/bench_revindex_alternatives.py [--sizes 1000000 10000000]

Same entry mix and seed idea as bench_revindex.py (20 % tokens, 70 % subject entries, 10 %
cards). Each (structure, size) runs in a fresh subprocess; scratch files under /tmp.

  sqlite    one table WITHOUT ROWID, primary key (kind, key, since); lookups with the stdlib
            sqlite3 module; delta = 100,000 upserts/deletes in one transaction (WAL)
  npsearch  one sorted array of 17-byte records (kind byte + key) on an mmap; every lookup is
            a numpy searchsorted call (the "structured array + searchsorted" idea)
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

SEED = 424242
QUERIES = 300_000


def rss_mb() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
            name, value = line.split(":", 1)
            out[name] = int(value.split()[0]) / 1024
    return out


def make(n: int):  # type: ignore[no-untyped-def]
    import numpy as np

    rng = np.random.default_rng(SEED + n)
    nt, nc = n // 5, n // 10
    ns = n - nt - nc
    kinds = np.concatenate([np.zeros(nt, np.uint8), np.ones(ns, np.uint8),
                            np.full(nc, 2, np.uint8)])
    keys = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    since = rng.integers(1_735_689_600, 1_798_761_600, size=n, dtype=np.int64)
    status = rng.integers(1, 3, size=n, dtype=np.uint8)
    return rng, kinds, keys, since, status


def percentiles(lat: list[int]) -> dict[str, float]:
    import numpy as np

    us = np.array(lat) / 1000
    return {"p50_us": float(np.percentile(us, 50)), "p99_us": float(np.percentile(us, 99)),
            "max_us": float(us.max())}


def run_sqlite(n: int, work: Path) -> dict[str, object]:
    import numpy as np

    rng, kinds, keys, since, status = make(n)
    path = work / f"alt-{n}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE rev (kind INTEGER, key BLOB, since INTEGER, status INTEGER, "
               "PRIMARY KEY (kind, key, since)) WITHOUT ROWID")
    order = np.lexsort((since, *(keys[:, i] for i in range(15, -1, -1)), kinds))
    t0 = time.perf_counter()
    with db:
        db.executemany("INSERT INTO rev VALUES (?, ?, ?, ?)",
                       ((int(kinds[i]), keys[i].tobytes(), int(since[i]), int(status[i]))
                        for i in order.tolist()))
    build_s = time.perf_counter() - t0
    db.close()
    size_mb = path.stat().st_size / 2**20
    base = rss_mb()
    db = sqlite3.connect(path)
    q = db.execute
    lat = []
    hit_rows = rng.integers(0, n, size=QUERIES // 2)
    queries = [(int(kinds[i]), keys[i].tobytes()) for i in hit_rows.tolist()]
    queries += [(int(rng.integers(0, 3)), rng.bytes(16)) for _ in range(QUERIES // 2)]
    perf = time.perf_counter_ns
    for kind, key in queries:
        t = perf()
        q("SELECT since, status FROM rev WHERE kind = ? AND key = ?", (kind, key)).fetchall()
        lat.append(perf() - t)
    after = rss_mb()
    ops = [(1, rng.bytes(16), 1_800_000_000 + i, 2) for i in range(70_000)]
    dels = [(int(kinds[i]), keys[i].tobytes()) for i in rng.integers(0, n, 30_000).tolist()]
    t0 = time.perf_counter()
    with db:
        db.executemany("INSERT OR REPLACE INTO rev VALUES (?, ?, ?, ?)", ops)
        db.executemany("DELETE FROM rev WHERE kind = ? AND key = ?", dels)
    delta_s = time.perf_counter() - t0
    db.close()
    return {"structure": "sqlite", "entries": n, "file_mb": size_mb, "build_s": build_s,
            "lookups": len(lat), **percentiles(lat), "rss_before_lookups": base,
            "rss_after_lookups": after, "delta_100k_s": delta_s}


def run_npsearch(n: int, work: Path) -> dict[str, object]:
    import numpy as np

    rng, kinds, keys, _, _ = make(n)
    rec = np.empty((n, 17), np.uint8)
    rec[:, 0] = kinds
    rec[:, 1:] = keys
    flat = np.ascontiguousarray(rec).view("S17")[:, 0]
    flat.sort()
    path = work / f"alt-{n}.s17"
    flat.tofile(path)
    del rec, flat
    base = rss_mb()
    arr = np.memmap(path, dtype="S17", mode="r")
    lat = []
    hit_rows = rng.integers(0, n, size=QUERIES // 2).tolist()
    queries = [bytes([kinds[i]]) + keys[i].tobytes() for i in hit_rows]
    queries += [bytes([int(rng.integers(0, 3))]) + rng.bytes(16) for _ in range(QUERIES // 2)]
    perf = time.perf_counter_ns
    search = np.searchsorted
    for qk in queries:
        t = perf()
        i = int(search(arr, qk))
        _ = i < n and arr[i] == qk  # the lookup's answer
        lat.append(perf() - t)
    return {"structure": "npsearch", "entries": n, "file_mb": path.stat().st_size / 2**20,
            "lookups": len(lat), **percentiles(lat), "rss_before_lookups": base,
            "rss_after_lookups": rss_mb()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--structures", nargs="+", default=["npsearch", "sqlite"])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/pk-revbench"))
    ap.add_argument("--one", nargs=2, metavar=("STRUCTURE", "SIZE"))
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    runners = {"sqlite": run_sqlite, "npsearch": run_npsearch}
    if args.one:
        print(json.dumps(runners[args.one[0]](int(args.one[1]), args.dir)))
        return 0
    for n in args.sizes:
        for s in args.structures:
            out = subprocess.run([sys.executable, __file__, "--one", s, str(n), "--dir",
                                  str(args.dir)], check=True, capture_output=True, text=True,
                                 env={**os.environ, "PYTHONHASHSEED": "0"})
            print(out.stdout.strip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
