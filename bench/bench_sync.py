"""Benchmark of signed list sync over loopback (helper E1's area).

    .venv/bin/python bench/bench_sync.py [--entries 10000000] [--delta 100000]
                                         [--out docs/performance/sync.md]

1. A reference service folder gets ``--entries`` random revocation entries (10 % tokens, 80 %
   subjects, 10 % cards) and publishes them (a bulk import: full snapshot only).
2. The service runs as a real ``passkiosk service`` subprocess on 127.0.0.1.
3. A fresh kiosk process does its first sync (TUF refresh, full snapshot download, index
   build): wall time, bytes (targets + metadata), RSS after the sync with the index open and
   1,000 lookups done, and peak RSS.
4. ``--delta`` changes (half new subjects, half status changes of listed ones) are published as
   one delta; the same kiosk syncs again in a new process: time, bytes, RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def machine() -> str:
    model = "unknown"
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name"):
            model = line.split(":", 1)[1].strip()
    return f"{model}, {os.cpu_count()} cores (shared), {dt.date.today().isoformat()}"


def _rows(n: int, seed: int) -> Iterator[tuple[int, bytes, int, int]]:
    """n random entries (10 % tokens, 80 % subjects, 10 % cards) in (type, key) order.

    The keys are random; only the insertion order is sorted, which is how a real bulk import
    would be prepared (random-order inserts into SQLite's B-tree thrash its page cache).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    since = int(time.time()) - 86_400
    for t, share in ((0, 0.1), (1, 0.8), (2, 0.1)):
        k = int(n * share) if t < 2 else n - int(n * 0.1) - int(n * 0.8)
        keys = np.sort(np.frombuffer(rng.bytes(16 * k), dtype="S16"))
        colours = rng.integers(1, 3, size=k).tolist()
        for i, key in enumerate(keys.tolist()):
            yield t, key.ljust(16, b"\0"), 3 if t == 0 else colours[i], since


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(data: str, url: str, root: str) -> None:
    """One kiosk sync in this (fresh) process; prints a JSON result line."""
    import random

    from sync._pull import KioskLists, pull

    bootstrap = Path(root).read_bytes() if root else None
    t0 = time.perf_counter()
    res = pull(Path(data), url, now=int(time.time()), bootstrap_root=bootstrap, timeout=60)
    seconds = time.perf_counter() - t0
    meta = Path(data) / "tuf" / "metadata"
    meta_bytes = sum(p.stat().st_size for p in meta.glob("*.json") if not p.is_symlink())
    lists = KioskLists(Path(data))
    index = lists.revocations.open()
    rnd = random.Random(1)
    for _ in range(1000):
        index.subject_entries(rnd.randbytes(16))
    print(json.dumps({"seconds": seconds, "target_bytes": res.downloaded_bytes,
                      "metadata_bytes": meta_bytes, "applied": list(res.applied),
                      "rss_kb": _status_kb("VmRSS"), "hwm_kb": _status_kb("VmHWM"),
                      "entries": res.state.token_entries + res.state.subject_entries
                      + res.state.card_entries}))
    index.close()


def _sync_in_child(data: Path, url: str, root: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", str(data), url, root],
                         capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=10_000_000)
    ap.add_argument("--delta", type=int, default=100_000)
    ap.add_argument("--out", default=str(ROOT / "docs" / "performance" / "sync.md"))
    ap.add_argument("--child", nargs=3, metavar=("DATA", "URL", "ROOT"))
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return

    from service._state import ServiceState

    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        svc_dir, kiosk = Path(tmp) / "svc", Path(tmp) / "kiosk"
        st = ServiceState.init(svc_dir, iss="CN-44", now=int(time.time()))
        t0 = time.perf_counter()
        st.bulk_load(_rows(args.entries, 1))
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        st.publish(now=int(time.time()))
        publish_full_s = time.perf_counter() - t0
        full_size = st.repo.targets()["revocation/full.pkrl"].length

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "service", "--data",
                                   str(svc_dir), "--listen", f"127.0.0.1:{port}"], cwd=ROOT,
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            root = str(svc_dir / "repo" / "metadata" / "1.root.json")
            first = _sync_in_child(kiosk, url, root)

            # the delta: half listed entries changing colour, half new entries
            first_subject = int(args.entries * 0.1)  # skip the tokens: subjects change colour
            listed = itertools.islice(_rows(args.entries, 1), first_subject,
                                      first_subject + args.delta // 2)
            st.bulk_load((t, k, 3 if t == 0 else 3 - s2, since + 60)
                         for t, k, s2, since in listed)
            st.bulk_load(_rows(args.delta - args.delta // 2, 2))
            t0 = time.perf_counter()
            res = st.publish(now=int(time.time()))
            publish_delta_s = time.perf_counter() - t0
            second = _sync_in_child(kiosk, url, "")
        finally:
            server.terminate()
            server.wait(timeout=30)
        st.close()

    def mb(n: int) -> str:
        return f"{n / 1e6:.1f} MB"

    lines = [
        "# Sync benchmark (bench/bench_sync.py)",
        "",
        f"Machine: {machine()}. Loopback HTTP to the real `passkiosk service` (aiohttp static "
        "files); kiosk in a fresh process each time (python-tuf ngclient, urllib3).",
        "",
        f"Service side: bulk load of {args.entries:,} entries into SQLite {load_s:.1f} s; "
        f"publish of the full snapshot ({mb(full_size)}) {publish_full_s:.1f} s; publish of a "
        f"{res.delta_records:,}-record delta {publish_delta_s:.1f} s.",
        "",
        "| kiosk sync | applied | wall time | target bytes | metadata bytes | RSS after "
        "(index open, 1,000 lookups) | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in ((f"first sync, {first['entries']:,} entries", first),
                    (f"{res.delta_records:,}-record delta", second)):
        lines.append(f"| {name} | {', '.join(r['applied'])} | {r['seconds']:.1f} s | "
                     f"{mb(r['target_bytes'])} | {r['metadata_bytes']:,} B | "
                     f"{r['rss_kb'] / 1024:.0f} MB | {r['hwm_kb'] / 1024:.0f} MB |")
    lines += ["", "Peak RSS of the first sync is the index build (numpy sort of the snapshot "
              "columns); afterwards the index is an mmap and only touched pages stay resident. "
              "A delta rewrites the whole index file (B's atomic swap)."]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
