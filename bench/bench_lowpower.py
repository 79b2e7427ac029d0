"""Low-power gate box: idle camera CPU, first tap, memory, one-shot commands (before/after).

    .venv/bin/python bench/bench_lowpower.py --before /tmp/h14-before --out \
        docs/performance/lowpower.md
    .venv/bin/python bench/bench_lowpower.py --parts camera-idle,verify-data   # a subset

``--before DIR`` is an export of the commit to compare with (``git archive <commit> | tar -x -C
DIR``); its code runs in child interpreters with DIR first on ``sys.path``, the current tree's
the same way, interleaved round by round, so both meet the same load (other jobs share the
box). Parts:

- camera-idle: a 1280x720 30 fps MJPG video of an empty gate (a cluttered background, fresh
  sensor noise every frame) played in real time through ``CameraScanner``; process CPU time
  (all threads: capture, MJPG decoding, the decode worker) over wall time, after a 2 s warm-up.
  "capture only" reads and converts the frames and decodes nothing: the floor.
- camera-reads: bench_qr's presentation video (a gap of empty gate, then 1 s of a degraded code,
  families in turn) with and without the scene watch: presentations read within their 1 s, and
  latency. With 0.6 s gaps the scene never falls still; with 2.5 s gaps it does, so the source
  is thinned and a code's first frame may be passed over. Single frames are not affected
  (``FrameDecoder`` decodes every frame it is given).
- first-sync: peak RSS (``VmHWM``) of a fresh process that imports the sync (python-tuf, numpy)
  and installs a 10 M-entry full snapshot (260 MB PKRL) as the first sync does.
- first-tap: a fresh process opens the synced folder with ``SyncedVerifier`` and times card
  checks (``check_card``, which includes the card-number scrypt, ~0.1 s by design) while the camera
  scanner runs on the empty-gate video: the first after start, the steady state, and the first
  after a 100,000-record delta was installed by the sync.
- memory: a fresh process with the kiosk's heavy imports (PySide6 QtWidgets with a
  QApplication, OpenCV, zxing-cpp, the sync with python-tuf) opens the 10 M index and does
  1,000,000 random lookups, reading it with ``pread`` as ``SyncedVerifier`` does, or over a map
  of the file whose touched pages are released never, every 32 lookups or after each
  (``MADV_DONTNEED``); VmRSS, RssAnon and RssFile at the end.
- delta: a 100,000-record delta applied to the 10 M index on a thread of a fresh process with
  the sync loaded: wall and CPU time, peak VmRSS, and the anonymous memory it leaves after
  ``malloc_trim``.
- verify-data: ``passkiosk verify --data DIR TOKEN`` against ``python -c pass``, paired runs.
- kiosk-app: the real ``passkiosk run`` assembly with the camera on the empty-gate video and the
  10 M index: card event → verdict painted (first after start, steady, first after a delta the
  sync installs on its thread), process CPU once the scene is still, and VmRSS during a million
  lookups in the kiosk process (current tree only: the app itself changed since ``--before``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
WORK = Path(tempfile.gettempdir()) / "pk-lowpower"
N_BIG = 10_000_000


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def child(root: Path, code: str, *args: str, timeout: float = 900) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter with ``root`` first on sys.path; its last stdout line
    is a JSON object."""
    prelude = f"import sys\nsys.path.insert(0, {str(root)!r})\n"
    p = subprocess.run([PY, "-c", prelude + textwrap.dedent(code), *args], cwd=root,
                       capture_output=True, text=True, timeout=timeout, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"child failed ({root}): {p.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(p.stdout.strip().splitlines()[-1])
    return result


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


# -- data ------------------------------------------------------------------------------------


def empty_gate_video(path: Path, seconds: int) -> None:
    import cv2
    import numpy as np

    from tests.readers.degrade import _background

    rng = np.random.default_rng(11)
    bg = _background(rng, 1280, 720)
    base = np.repeat(bg[:, :, None], 3, axis=2)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30, (1280, 720))
    noise = [rng.normal(0, 2.0, base.shape).astype(np.float32) for _ in range(16)]
    for i in range(30 * seconds):
        writer.write(np.clip(base + noise[i % 16] * (1 + (i % 5) / 5), 0, 255).astype(np.uint8))
    writer.release()


def snapshot_files(work: Path) -> tuple[Path, Path]:
    """A 10 M-entry full snapshot (version 2) and a 100,000-record delta on it (version 3)."""
    full, delta = work / "full-10m.pkrl", work / "delta-100k.pkrl"
    if full.exists() and delta.exists():
        return full, delta
    import numpy as np

    from codes.wire import encode_header
    from sync._revwire import RECORD_DTYPE, _check

    rng = np.random.default_rng(2026)
    parts = []
    kinds = ((0, int(N_BIG * 0.2)), (1, int(N_BIG * 0.7)), (2, N_BIG - int(N_BIG * 0.9)))
    for t, n in kinds:
        keys = np.unique(rng.integers(0, 256, (n, 16), dtype=np.uint8).view("V16")[:, 0])
        rec = np.zeros(keys.shape[0], RECORD_DTYPE)
        rec["type"] = t
        rec["key"] = keys
        if t == 0:
            rec["status"] = 3
        else:
            rec["status"] = rng.integers(1, 3, keys.shape[0])
            rec["since"] = rng.integers(1_700_000_000, 1_800_000_000, keys.shape[0])
        parts.append(rec)
    # concatenate promotes the fields to native byte order: back to the wire's big-endian.
    snap = np.concatenate(parts).astype(RECORD_DTYPE)
    # np.unique on V16 sorts by bytes (memcmp), which is the wire order of the keys.
    _check(snap, delta=False)
    assert snap.dtype == RECORD_DTYPE
    full.write_bytes(encode_header("full", 0, 2, snap.shape[0]) + snap.tobytes())
    pick = np.sort(rng.choice(snap.shape[0], 50_000, replace=False))
    old = snap[pick].copy()
    old["status"] = np.where(old["type"] == 0, 0, rng.integers(0, 3, old.shape[0]))
    new = np.zeros(50_000, RECORD_DTYPE)
    new["type"] = rng.integers(0, 3, 50_000)
    new["key"] = rng.integers(0, 256, (50_000, 16), dtype=np.uint8).view("V16")[:, 0]
    new["status"] = np.where(new["type"] == 0, 3, rng.integers(1, 3, 50_000))
    new["since"] = np.where(new["type"] == 0, 0, 1_790_000_000)
    d = np.concatenate([old, new]).astype(RECORD_DTYPE)
    halves = np.ascontiguousarray(d["key"]).view(">u8").reshape(-1, 2)
    order = np.lexsort((halves[:, 1], halves[:, 0], d["type"]))
    d = d[order]
    keep = np.ones(d.shape[0], bool)
    keep[1:] = (d["type"][1:] != d["type"][:-1]) | (d["key"][1:] != d["key"][:-1])
    d = d[keep]
    _check(d, delta=True)
    delta.write_bytes(encode_header("delta", 2, 3, d.shape[0]) + d.tobytes())
    return full, delta


_INSTALL = """
import json, os, time
from pathlib import Path
import sync._pull  # what the kiosk's sync has loaded (tuf, urllib3)
from sync._pull import KioskLists
full, data = Path(sys.argv[1]), Path(sys.argv[2])
lists = KioskLists(data)
t0 = time.perf_counter()
lists.revocations.install_full(full, expect_version=2)
wall = time.perf_counter() - t0
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would report the parent's.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status")
           if line.startswith("VmHWM:"))
print(json.dumps({"peak_mb": hwm / 1024, "wall_s": wall}))
"""


def data_folder(root: Path, name: str, full: Path) -> tuple[Path, dict[str, Any]]:
    """A kiosk data folder with the 10 M index installed by ``root``'s code (fresh process)."""
    import shutil

    data = WORK / name
    shutil.rmtree(data, ignore_errors=True)
    result = child(root, _INSTALL, str(full), str(data))
    from sync._kiosklists import KioskLists
    from sync._lists import ListState

    now = int(time.time())
    lists = KioskLists(data)
    (lists.lists_dir / "trust-list.json").write_bytes(trust_json(now))
    lists.save_state(ListState(revocation_version=2, verified_at=now, last_attempt_at=now))
    return data, result


def trust_json(now: int) -> bytes:
    from tests.codes import helpers as h

    return h.trust_json([h.entry(h.ED_KEY, not_before=now - 10**6, not_after=now + 10**7)])


# -- parts -----------------------------------------------------------------------------------

_IDLE = """
import json, threading, time
import cv2
from readers import CameraScanner, CvFrameSource
mode, video, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
if mode == "capture":
    src = CvFrameSource(video, realtime=True)
    src.open()
    stop = threading.Event()
    def loop():
        from readers._qr import to_gray
        while not stop.is_set():
            f = src.read()
            if f is None:
                src.open()
                continue
            to_gray(f)
    t = threading.Thread(target=loop, daemon=True)
    t.start()
    stats = None
else:
    kw = {"scene": None} if mode == "off" else {}  # "before" runs the old code's defaults
    sc = CameraScanner(CvFrameSource(video, realtime=True), lambda e: None, **kw)
    sc.start()
time.sleep(2.0)
c0, w0 = time.process_time(), time.perf_counter()
time.sleep(seconds)
cpu, wall = time.process_time() - c0, time.perf_counter() - w0
if mode == "capture":
    stop.set()
    t.join(5.0)
    src.close()
else:
    st = sc.stats
    sc.stop()
    stats = [st.captured, st.decoded, st.dropped, getattr(st, "first_pass_only", 0),
             getattr(st, "skipped", 0), getattr(st, "thinned", 0)]
print(json.dumps({"cpu_pct": 100 * cpu / wall, "stats": stats}))
"""


def camera_idle(before: Path | None, rounds: int, seconds: float) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    video = WORK / "empty-gate.avi"
    if not video.exists():
        empty_gate_video(video, int(seconds) + 6)
    runs: dict[str, list[float]] = {}
    stats: dict[str, Any] = {}
    modes = [("before: every frame in full", before or ROOT, "off"),
             ("after: scene watch (default)", ROOT, "after"),
             ("capture and grey conversion only", ROOT, "capture")]
    if before is not None:
        modes[0] = ("before (previous commit)", before, "before")
    loads = [load()]
    for _ in range(rounds):
        for label, root, mode in modes:
            r = child(root, _IDLE, mode, str(video), str(seconds))
            runs.setdefault(label, []).append(float(r["cpu_pct"]))
            stats[label] = r["stats"]
    loads.append(load())
    lines = [f"Empty gate, 1280x720 MJPG at 30 fps in real time, {seconds:g} s per run, "
             f"{rounds} interleaved rounds; 1/5/15-min load before: {loads[0]}, after: "
             f"{loads[1]}.", "",
             "| what runs | CPU, % of one core (median) | min | max | last run: captured / "
             "taken / dropped / first pass only / skipped / passed over undecoded |",
             "|---|---:|---:|---:|---|"]
    for label, values in runs.items():
        st = stats[label]
        st_text = " / ".join(str(x) for x in st) if isinstance(st, list) else "-"
        lines.append(f"| {label} | {med(values):.1f} | {min(values):.1f} | {max(values):.1f} | "
                     f"{st_text} |")
    return "\n".join(lines)


def camera_reads(segments: int) -> str:
    import bench_qr  # type: ignore[import-not-found,unused-ignore]

    from readers import SceneConfig

    loads = [load()]
    rows = []
    # 0.6 s gaps keep the scene changing (every frame decoded in full); 2.5 s gaps let it fall
    # still, so the source is thinned and the code's first frame may be passed over.
    for gap, n in ((0.6, segments), (2.5, segments // 2)):
        for label, scene in (("every frame in full", None), ("scene watch", SceneConfig())):
            _, summary = bench_qr.latency(n, scene=scene, seed=0, gap_s=gap)
            rows.append((label, gap, n, summary))
    loads.append(load())
    lines = [f"bench_qr's presentation video (presentations of 1 s after a gap of empty gate, "
             f"degraded families in turn, 30 fps 1280x720, played in real time); load "
             f"before/after: {loads[0]} / {loads[1]}.", "",
             "| decoding | gap | read within 1 s | latency p50 | p95 | max | missed (family) |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for label, gap, n, s in rows:
        lines.append(f"| {label} | {gap:g} s | {s['scanned']:.0f} of {n} | {s['p50_ms']:.0f} ms "
                     f"| {s['p95_ms']:.0f} ms | {s['max_ms']:.0f} ms | {s['missed'] or 'none'} |")
    return "\n".join(lines)


_TAP = """
import json, os, threading, time
from pathlib import Path
data, video, delta = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
from readers import CameraScanner, CardPresented, CvFrameSource
import sync._pull  # the kiosk runs the background sync in-process
from sync._kiosklists import KioskLists
from sync._verifier import SyncedVerifier
cam = CameraScanner(CvFrameSource(video, realtime=True), lambda e: None)
cam.start()
v = SyncedVerifier(data, clock=lambda: int(time.time()))
time.sleep(3.0)  # a gate's first tap comes seconds after the start: the scene has fallen still
card = CardPresented(serial="0123456789ABCDEF")
def tap():
    t0 = time.perf_counter()
    v.check_card(card)
    return (time.perf_counter() - t0) * 1000
first = tap()
steady = [tap() for _ in range(int(sys.argv[4]))]
KioskLists(data).revocations.apply_delta(Path(delta), expect_version=3)
after_update = tap()
steady2 = [tap() for _ in range(3)]
cam.stop()
v.close()
print(json.dumps({"first": first, "steady": steady + steady2, "after_update": after_update}))
"""


def first_tap(before: Path | None, rounds: int, taps: int) -> tuple[str, str]:
    import shutil

    WORK.mkdir(parents=True, exist_ok=True)
    full, delta = snapshot_files(WORK)
    video = WORK / "empty-gate.avi"
    if not video.exists():
        empty_gate_video(video, 20)
    sides = [("after", ROOT)] + ([("before", before)] if before is not None else [])
    install: dict[str, list[dict[str, Any]]] = {}
    taps_by: dict[str, dict[str, list[float]]] = {}
    loads = [load()]
    for _ in range(rounds):
        for label, root in sides:
            data, res = data_folder(root, f"data-{label}", full)
            install.setdefault(label, []).append(res)
            r = child(root, _TAP, str(data), str(video), str(delta), str(taps))
            t = taps_by.setdefault(label, {"first": [], "steady": [], "after_update": []})
            t["first"].append(float(r["first"]))
            t["after_update"].append(float(r["after_update"]))
            t["steady"].extend(float(x) for x in r["steady"])
            shutil.rmtree(data, ignore_errors=True)
    loads.append(load())
    sync_lines = [f"First sync of {N_BIG:,} entries (full snapshot {full.stat().st_size / 1e6:.0f}"
                  f" MB) in a fresh process that has the sync loaded; {rounds} rounds; load "
                  f"before/after: {loads[0]} / {loads[1]}.", "",
                  "| code | peak RSS (median) | max | install wall time (median) |",
                  "|---|---:|---:|---:|"]
    for label, results in install.items():
        peaks = [float(x["peak_mb"]) for x in results]
        walls = [float(x["wall_s"]) for x in results]
        sync_lines.append(f"| {label} | {med(peaks):.0f} MB | {max(peaks):.0f} MB | "
                          f"{med(walls):.1f} s |")
    tap_lines = [f"Card checks (`SyncedVerifier.check_card`, scrypt included) on the 10 M index "
                 f"with the camera scanner running on the empty-gate video in the same process; "
                 f"{rounds} fresh processes per side, {taps} steady checks each; load "
                 f"before/after: {loads[0]} / {loads[1]}.", "",
                 "| code | first check after start (median, max) | steady p50 | steady p95 | "
                 "first check after a 100 k delta (median, max) |", "|---|---:|---:|---:|---:|"]
    for label, t in taps_by.items():
        tap_lines.append(
            f"| {label} | {med(t['first']):.0f} ms, {max(t['first']):.0f} ms | "
            f"{pct(t['steady'], 50):.0f} ms | {pct(t['steady'], 95):.0f} ms | "
            f"{med(t['after_update']):.0f} ms, {max(t['after_update']):.0f} ms |")
    return "\n".join(sync_lines), "\n".join(tap_lines)


_MEM = """
import json, os, random, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
import cv2, zxingcpp, numpy
import readers._camera
import mmap
import sync._pull
from sync._kiosklists import KioskLists
from sync._revfile import open_index_file
def rss():
    out = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
            out[k] = int(v.split()[0]) / 1024
    return out
start = rss()
# pread: as the kiosk reads it (RevocationState.open); mapped: over a map of the file, whose
# touched pages are released every `trim` lookups (0: never) with MADV_DONTNEED.
mode, trim = sys.argv[2], int(sys.argv[3])
index = (KioskLists(Path(sys.argv[1])).revocations.open() if mode == "pread" else
         open_index_file(KioskLists(Path(sys.argv[1])).revocations.path, mapped=True))
rnd = random.Random(7)
keys = [rnd.randbytes(16) for _ in range(100_000)]
# Releasing after every lookup costs ~0.1 ms each: a tenth of the lookups for that one.
count = 100_000 if trim == 1 else 1_000_000
t0 = time.perf_counter()
sampled = 0.0
for i in range(count):
    k = keys[i % 100_000]
    if i % 32 == 31:  # the worst moment: just before a release
        sampled = max(sampled, rss()["VmRSS"])
    if trim and i % trim == 0:
        index.buffer.madvise(mmap.MADV_DONTNEED)
    m = i % 3
    if m == 0:
        index.token_revoked(k)
    elif m == 1:
        index.subject_entries(k)
    else:
        index.card_entries(k)
wall = time.perf_counter() - t0
print(json.dumps({"start": start, "end": rss(), "max": sampled, "count": count,
                  "us_per_lookup": wall * 1e6 / count}))
"""


def memory(rounds: int) -> str:
    import shutil

    WORK.mkdir(parents=True, exist_ok=True)
    full, _ = snapshot_files(WORK)
    data, _ = data_folder(ROOT, "data-mem", full)
    loads = [load()]
    res: dict[str, list[dict[str, Any]]] = {}
    for _ in range(rounds):
        for label, mode, trim in (("mapped, pages never released", "mapped", 0),
                                  ("mapped, released every 32 lookups", "mapped", 32),
                                  ("mapped, released after every lookup", "mapped", 1),
                                  ("read with pread (the kiosk now)", "pread", 0)):
            res.setdefault(label, []).append(child(ROOT, _MEM, str(data), mode, str(trim)))
    loads.append(load())
    shutil.rmtree(data, ignore_errors=True)
    lines = [f"Kiosk-sized process (PySide6 QApplication offscreen, OpenCV, zxing-cpp, the sync "
             f"with python-tuf loaded), the 10 M index opened, 1,000,000 random lookups (a third "
             f"each token, subject, card; 100,000 distinct random keys); {rounds} rounds; load "
             f"before/after: {loads[0]} / {loads[1]}.", "",
             "| index read | lookups | VmRSS at start | VmRSS after | highest VmRSS seen "
             "| RssAnon after | RssFile after | µs per lookup (incl. sampling) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, rs in res.items():
        ends = [r["end"] for r in rs]
        starts = [r["start"] for r in rs]
        lines.append(
            f"| {label} | {rs[0]['count']:,} | {med([s['VmRSS'] for s in starts]):.0f} MB "
            f"| {med([e['VmRSS'] for e in ends]):.0f} MB "
            f"| {max(float(r['max']) for r in rs):.0f} MB "
            f"| {med([e['RssAnon'] for e in ends]):.0f} MB "
            f"| {med([e['RssFile'] for e in ends]):.0f} MB "
            f"| {med([float(r['us_per_lookup']) for r in rs]):.2f} |")
    return "\n".join(lines)


_DELTA = """
import ctypes, json, threading, time
from pathlib import Path
import cv2, numpy  # what the kiosk has loaded
import sync._pull
from sync._kiosklists import KioskLists
def status():
    out = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "VmHWM"):
            out[k] = int(v.split()[0]) / 1024
    return out
data, delta = Path(sys.argv[1]), Path(sys.argv[2])
start = status()
def apply():
    KioskLists(data).revocations.apply_delta(delta, expect_version=3)
t0, c0 = time.perf_counter(), time.process_time()
worker = threading.Thread(target=apply)  # the background sync's own thread, as in the kiosk
worker.start()
worker.join()
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
after = status()
ctypes.CDLL("libc.so.6").malloc_trim(0)  # as pull() does after installing
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "start": start, "after": after,
                  "trimmed": status()}))
"""


def delta_merge(before: Path | None, rounds: int) -> str:
    import shutil

    WORK.mkdir(parents=True, exist_ok=True)
    full, delta = snapshot_files(WORK)
    base, _ = data_folder(ROOT, "data-delta-base", full)
    sides = [("after", ROOT)] + ([("before", before)] if before is not None else [])
    res: dict[str, list[dict[str, Any]]] = {}
    loads = [load()]
    for _ in range(rounds):
        for label, root in sides:
            data = WORK / f"data-delta-{label}"
            shutil.rmtree(data, ignore_errors=True)
            shutil.copytree(base, data)
            res.setdefault(label, []).append(child(root, _DELTA, str(data), str(delta)))
            shutil.rmtree(data, ignore_errors=True)
    loads.append(load())
    shutil.rmtree(base, ignore_errors=True)
    lines = [f"A 100,000-record delta applied by the sync to the 10 M-entry index, on a thread of "
             f"a fresh process that has the sync, OpenCV and numpy loaded; {rounds} rounds; load "
             f"before/after: {loads[0]} / {loads[1]}.", "",
             "| code | wall (median) | CPU (median) | peak VmRSS (VmHWM, max) | RssAnon added, "
             "after `malloc_trim` (median, max) |", "|---|---:|---:|---:|---:|"]
    for label, rs in res.items():
        kept = [r["trimmed"]["RssAnon"] - r["start"]["RssAnon"] for r in rs]
        lines.append(f"| {label} | {med([r['wall_s'] for r in rs]):.2f} s "
                     f"| {med([r['cpu_s'] for r in rs]):.2f} s "
                     f"| {max(r['after']['VmHWM'] for r in rs):.0f} MB "
                     f"| {med(kept):.0f} MB, {max(kept):.0f} MB |")
    return "\n".join(lines)


_KIOSK = """
import json, os, random, threading, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from kiosk._gate import Phase
from kiosk._run import Kiosk, RunOptions
from readers import CardPresented
from sync._kiosklists import KioskLists
data, video, delta, n = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
kiosk = Kiosk(RunOptions(data_dir=data, pcsc=False, camera=video))
kiosk.start()
kiosk.window.resize(1920, 1080)
kiosk.window.show()
page = kiosk.window.page
marks = {}
class Paints(QObject):
    def eventFilter(self, obj, ev):
        if (obj is page and ev.type() == QEvent.Type.Paint and "painted" not in marks
                and kiosk.controller.state.phase is Phase.VERDICT):
            marks["painted"] = time.perf_counter()
        return False
paints = Paints()
page.installEventFilter(paints)
def spin(until, limit_s=10.0):
    deadline = time.monotonic() + limit_s
    while not until() and time.monotonic() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(1, loop.quit)
        loop.exec()
def wait(seconds):
    # One event loop for the whole spell: polling every 1 ms would charge this harness's own
    # ~5 % of a core to the kiosk process it measures (bench_kiosk_app's polled row).
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
count = [0]
def tap():
    kiosk.controller.acknowledge()
    spin(lambda: kiosk.controller.state.phase is Phase.IDLE)
    marks.clear()
    count[0] += 1
    start = time.perf_counter()
    kiosk.bridge.sink(CardPresented(serial=f"{0x8A3F1C0077E20000 + count[0]:016X}",
                                    source="bench"))
    spin(lambda: "painted" in marks)
    return (marks["painted"] - start) * 1000
def rss():
    out = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile"):
            out[k] = int(v.split()[0]) / 1024
    return out
wait(3.0)  # the camera is running on the empty gate, fallen still
out = {"first": tap()}
out["rss_start"] = rss()
out["steady"] = [tap() for _ in range(n)]
# A list update as the background sync makes it (its own thread), then the next tap.
from sync._heap import release_free_heap
def apply():
    KioskLists(data).revocations.apply_delta(Path(delta), expect_version=3)
    release_free_heap()  # as pull() does after installing
sync = threading.Thread(target=apply)
sync.start()
spin(lambda: not sync.is_alive(), 120)
out["after_update"] = tap()
out["steady"] += [tap() for _ in range(5)]
kiosk.controller.acknowledge()
spin(lambda: kiosk.controller.state.phase is Phase.IDLE)
wait(3.0)  # the scene falls still
c0, w0 = time.process_time(), time.monotonic()
wait(15.0)
out["idle_cpu_pct"] = 100 * (time.process_time() - c0) / (time.monotonic() - w0)
out["rss_idle"] = rss()
# A million lookups on the index in this process, read as the verifier reads it.
index = KioskLists(data).revocations.open()
rnd = random.Random(7)
keys = [rnd.randbytes(16) for _ in range(100_000)]
peak = 0.0
for i in range(1_000_000):
    if i % 32 == 31:
        peak = max(peak, rss()["VmRSS"])
    (index.token_revoked, index.subject_entries, index.card_entries)[i % 3](keys[i % 100_000])
out["rss_lookups_peak"] = peak
out["rss_lookups_end"] = rss()
index.close()
kiosk.close()
print(json.dumps(out))
"""


def kiosk_app(taps: int) -> str:
    import shutil

    WORK.mkdir(parents=True, exist_ok=True)
    full, delta = snapshot_files(WORK)
    video = WORK / "empty-gate-60s.avi"
    if not video.exists():
        empty_gate_video(video, 60)
    data, _ = data_folder(ROOT, "data-kiosk", full)
    loads = [load()]
    r = child(ROOT, _KIOSK, str(data), str(video), str(delta), str(taps), timeout=900)
    loads.append(load())
    shutil.rmtree(data, ignore_errors=True)
    steady = [float(x) for x in r["steady"]]
    return "\n".join([
        "The real `passkiosk run` assembly (`kiosk._run.Kiosk`, Qt offscreen, 1920x1080) on a "
        "data folder with the 10 M-entry index, the camera reading the 60 s empty-gate video in "
        f"real time (1280x720 MJPG, 30 fps); load before/after: {loads[0]} / {loads[1]}.", "",
        "| measure | result |", "|---|---|",
        f"| card event → verdict painted, first tap after start | {float(r['first']):.0f} ms |",
        f"| card event → verdict painted, p50 / p95 / max ({len(steady)} taps, camera running; "
        f"incl. scrypt and the entry record) | {pct(steady, 50):.0f} / {pct(steady, 95):.0f} / "
        f"{max(steady):.0f} ms |",
        f"| first tap after a 100 k delta was installed | {float(r['after_update']):.0f} ms |",
        f"| process CPU, shown, camera on an empty gate (15 s after it fell still) | "
        f"{float(r['idle_cpu_pct']):.1f} % of one core |",
        f"| VmRSS after the first tap (RssAnon / RssFile) | {r['rss_start']['VmRSS']:.0f} MB "
        f"({r['rss_start']['RssAnon']:.0f} / {r['rss_start']['RssFile']:.0f}) |",
        f"| VmRSS idle, after the delta and {len(steady) + 2} taps (RssAnon / RssFile) | "
        f"{r['rss_idle']['VmRSS']:.0f} MB ({r['rss_idle']['RssAnon']:.0f} / "
        f"{r['rss_idle']['RssFile']:.0f}) |",
        f"| VmRSS during 1,000,000 lookups in the kiosk process (index read as the verifier "
        f"does), "
        f"highest / at the end | {float(r['rss_lookups_peak']):.0f} / "
        f"{r['rss_lookups_end']['VmRSS']:.0f} MB |",
    ])


_VERIFY = """
import json, subprocess, time
cmd = json.loads(sys.argv[1])
t0 = time.perf_counter()
subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
"""


def verify_data(before: Path | None, rounds: int) -> str:
    import shutil

    from tests.sync.datafolder import make_data_folder

    data = WORK / "data-verify"
    shutil.rmtree(data, ignore_errors=True)
    token = make_data_folder(data)
    wrapper = "import sys; sys.path.insert(0, sys.argv.pop(1)); from kiosk.cli import main; " \
              "sys.exit(main())"
    cmds = {"python -c pass": [PY, "-c", "pass"],
            "passkiosk verify --data DIR TOKEN": [str(Path(PY).parent / "passkiosk"), "verify",
                                                  "--data", str(data), token],
            "same, after (current tree)": [PY, "-c", wrapper, str(ROOT), "verify", "--data",
                                           str(data), token]}
    if before is not None:
        cmds["same, before (previous commit)"] = [PY, "-c", wrapper, str(before), "verify",
                                                  "--data", str(data), token]
    times: dict[str, list[float]] = {k: [] for k in cmds}
    loads = [load()]
    for c in cmds.values():  # warm the caches (pyc, page cache) once
        subprocess.run(c, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    for _ in range(rounds):
        for k, c in cmds.items():
            t0 = time.perf_counter()
            subprocess.run(c, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            times[k].append((time.perf_counter() - t0) * 1000)
    loads.append(load())
    base = med(times["python -c pass"])
    lines = [f"Wall time of whole processes, {rounds} interleaved rounds (median, min); load "
             f"before/after: {loads[0]} / {loads[1]}.", "",
             "| command | median | min | × python -c pass (median) |", "|---|---:|---:|---:|"]
    for k, v in times.items():
        lines.append(f"| {k} | {med(v):.0f} ms | {min(v):.0f} ms | {med(v) / base:.1f} |")
    shutil.rmtree(data, ignore_errors=True)
    return "\n".join(lines)


def machine() -> str:
    model = "unknown"
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        if line.startswith("Model name"):
            model = line.split(":", 1)[1].strip()
    return (f"Machine: {model}, {os.cpu_count()} cores (shared with other jobs), Python "
            f"{platform.python_version()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.")


PARTS = ("camera-idle", "camera-reads", "first-tap", "memory", "delta", "verify-data",
         "kiosk-app")


def main() -> int:
    global WORK
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, help="an export of the commit to compare with")
    ap.add_argument("--parts", default=",".join(PARTS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=12.0, help="camera-idle: per run")
    ap.add_argument("--segments", type=int, default=44,
                    help="camera-reads: presentations with 0.6 s gaps (half as many with 2.5 s)")
    ap.add_argument("--taps", type=int, default=20, help="first-tap: steady checks per process")
    ap.add_argument("--out", type=Path, help="write the markdown report here")
    ap.add_argument("--work", type=Path, default=WORK,
                    help="scratch folder for the generated lists, videos and data folders")
    args = ap.parse_args()
    WORK = args.work
    sys.path.insert(0, str(ROOT / "bench"))
    parts = [p for p in args.parts.split(",") if p]
    sections = ["# Low-power gate box: idle camera, first tap, memory, one-shot commands",
                machine(),
                f"Command: `.venv/bin/python bench/bench_lowpower.py {' '.join(sys.argv[1:])}`"]
    for part in parts:
        print(f"== {part} (load {load()})", file=sys.stderr)
        if part == "camera-idle":
            sections += ["## Camera on, empty gate", camera_idle(args.before, args.rounds,
                                                                 args.seconds)]
        elif part == "camera-reads":
            sections += ["## Reads with the scene watch", camera_reads(args.segments)]
        elif part == "first-tap":
            sync_text, tap_text = first_tap(args.before, args.rounds, args.taps)
            sections += ["## First sync of 10 M entries", sync_text,
                         "## First card check after start and after a list update", tap_text]
        elif part == "delta":
            sections += ["## A list update merged in the kiosk process",
                         delta_merge(args.before, args.rounds)]
        elif part == "memory":
            sections += ["## Kiosk memory with a 10 M-entry index", memory(args.rounds)]
        elif part == "kiosk-app":
            sections += ["## The kiosk app with the camera on and a 10 M index",
                         kiosk_app(args.taps * 2)]
        elif part == "verify-data":
            sections += ["## passkiosk verify --data", verify_data(args.before,
                                                                    5 * args.rounds + 5)]
        else:
            raise SystemExit(f"unknown part {part!r}; expected some of {PARTS}")
        print(sections[-1], file=sys.stderr)
    report = "\n\n".join(sections)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
