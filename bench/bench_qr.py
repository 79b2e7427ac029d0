"""Camera QR benchmark: decode rate and time per frame, temporal fusion, and scan latency.

    .venv/bin/python bench/bench_qr.py                       # full run (~5 min on 2 cores)
    .venv/bin/python bench/bench_qr.py --per-family 10 --segments 8   # quick look
    .venv/bin/python bench/bench_qr.py --out docs/performance/camera.md
    .venv/bin/python bench/bench_qr.py --video-seeds 0,1,2 --out /tmp/videos.md  # video only

1. Single frames: ``--per-family`` deterministic 1280x720 frames per degraded family
   (tests.readers.degrade.make_sample, seeds 0..N-1; 55 x 11 families = 605 frames, the size
   of the corpus of real gate pictures the decoders were first measured on). Each frame goes
   to zxing-cpp alone, pyzbar alone, and our FrameDecoder (default per-frame budget). Time is
   CPU time of the decoding thread (``time.thread_time``) with OpenCV on one thread: the cost
   on one core, whatever else the machine runs; the decoder's budget is measured on the same
   clock. A false read is any text that is not the payload.
2. Fusion: noise and low-light scenes held still for 4 frames (fresh sensor noise per frame):
   single-frame reads vs reads of the 4-frame temporal fusion.
3. Latency: a 30 fps MJPG video (cv2.VideoWriter) of ``--segments`` presentations (0.6 s
   without a code, then 1 s with a degraded code), played in real time through CvFrameSource
   into a CameraScanner. Latency = CodeScanned delivery minus capture of the first frame that
   shows the code. This one is wall-clock time on the shared machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import queue
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from readers import (
    CameraScanner,
    CodeScanned,
    CvFrameSource,
    DecodeConfig,
    FrameDecoder,
    ReaderEvent,
    SceneConfig,
    TemporalFuser,
)
from readers._qr import DEFAULT, Default, decode_pyzbar, decode_zxing, to_gray
from tests.readers.degrade import (
    DEGRADED_FAMILIES,
    FAMILIES,
    degrade,
    make_sample,
    pk1_like_payload,
    render_look,
)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def single_frames(per_family: int, first_seed: int = 0) -> tuple[str, dict[str, float]]:
    clock = time.thread_time
    ours = FrameDecoder(clock=clock)
    names = ("zxing-cpp", "pyzbar", "ours")
    hits: dict[str, dict[str, int]] = {n: defaultdict(int) for n in names}
    times: dict[str, list[float]] = {n: [] for n in names}
    wrong = {n: 0 for n in names}
    stages: dict[str, int] = defaultdict(int)
    total = 0
    for family in DEGRADED_FAMILIES:
        for seed in range(first_seed, first_seed + per_family):
            s = make_sample(family, seed)
            total += 1
            for name in names:
                t0 = clock()
                if name == "zxing-cpp":
                    texts = decode_zxing(to_gray(s.frame))
                elif name == "pyzbar":
                    texts = decode_pyzbar(to_gray(s.frame))
                else:
                    r = ours.decode(s.frame)
                    texts = list(r.texts)
                    stages[r.stage or "(none)"] += 1
                times[name].append(clock() - t0)
                hits[name][family] += s.payload in texts
                wrong[name] += sum(t != s.payload for t in texts)
        print(f"  {family}: done", file=sys.stderr, flush=True)
    lines = [
        f"Single degraded frames: {total} (1280x720, {per_family} per family, seeds "
        f"{first_seed}..{first_seed + per_family - 1}); CPU time per frame on one core.",
        "",
        "| family | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for family in DEGRADED_FAMILIES:
        row = [f"{100 * hits[n][family] / per_family:.0f} %" for n in names]
        lines.append(f"| {family} | " + " | ".join(row) + " |")
    rate = {n: sum(hits[n].values()) / total for n in names}
    lines.append("| **all** | " + " | ".join(f"**{100 * rate[n]:.1f} %**" for n in names) + " |")
    lines.append("| time p50 | " + " | ".join(f"{pct(times[n], 50):.1f} ms" for n in names) + " |")
    lines.append("| time p95 | " + " | ".join(f"{pct(times[n], 95):.1f} ms" for n in names) + " |")
    lines.append("| time max | " + " | ".join(f"{pct(times[n], 100):.1f} ms" for n in names) + " |")
    lines.append("| false reads | " + " | ".join(str(wrong[n]) for n in names) + " |")
    lines.append("")
    lines.append(
        "Which stage read the frame (ours): "
        + ", ".join(f"{k} {v}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1]))
    )
    summary = {
        "rate": rate["ours"],
        "p95_ms": pct(times["ours"], 95),
        "wrong": float(wrong["ours"]),
    }
    return "\n".join(lines), summary


def lost_finder(per_family: int) -> str:
    """Frames whose code has one finder pattern wiped out (top-left, top-right, bottom-left in
    turn, painted the quiet zone's colour: a highlight or a thumb), seen square on ("clean"),
    at 25-45 degrees ("tilt") or under a highlight ("glare"); seeds 3000.., cards and phones
    alternating."""
    clock = time.thread_time
    ours = FrameDecoder(clock=clock)
    lines = [
        "A finder pattern lost: one of the three finder patterns wiped out (the quiet zone's "
        f"colour), {per_family} frames per view (seeds 3000..), 2.5-6 px per module.",
        "",
        "| view | zxing-cpp | ours | read by roi-grid | false reads | ours p95 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for family in ("clean", "tilt", "glare"):
        zx = got = grid = wrong = 0
        times: list[float] = []
        for seed in range(3000, 3000 + per_family):
            rng = np.random.Generator(np.random.PCG64([seed, 77]))
            text = pk1_like_payload(rng)
            look: Literal["card", "phone"] = "card" if seed % 2 else "phone"
            img, box, modules = render_look(text, look, rng)
            img = img.copy()
            px, n = 8, modules - 8  # render_look draws 8 px per module, 4 modules of quiet zone
            r0, c0 = ((0, 0), (0, n - 8), (n - 8, 0))[seed % 3]
            y0, x0 = box[1] + (4 + r0) * px, box[0] + (4 + c0) * px
            img[y0 : y0 + 8 * px, x0 : x0 + 8 * px] = img[box[1] + 2, box[0] + 2]
            mpx = float(rng.uniform(2.5, 6.0))
            frame = degrade(img, family, seed, focus=box, focus_width_px=mpx * modules)
            zx += text in decode_zxing(to_gray(frame))
            t0 = clock()
            r = ours.decode(frame)
            times.append(clock() - t0)
            got += text in r.texts
            grid += r.stage == "roi-grid"
            wrong += sum(t != text for t in r.texts)
        lines.append(
            f"| {family} | {zx} | {got} | {grid} | {wrong} | {pct(times, 95):.1f} ms |"
        )
    return "\n".join(lines)


def fusion(per_family: int) -> str:
    d = FrameDecoder(DecodeConfig(budget=None))
    lines = [
        "Temporal fusion: a scene held still for 4 frames (fresh sensor noise per frame).",
        "",
        "| family | scenes | any single frame reads | 4-frame fusion reads | fusion only |",
        "|---|---:|---:|---:|---:|",
    ]
    for family in ("noise", "low_light"):
        single = fused_ok = only = 0
        for seed in range(per_family):
            frames = [make_sample(family, seed, noise_seed=k) for k in range(4)]
            payload = frames[0].payload
            fuser = TemporalFuser(depth=4)
            any_single = False
            for f in frames:
                any_single |= payload in d.decode(f.frame).texts
                fuser.push(to_gray(f.frame))
            fused = fuser.fused()
            ok = fused is not None and payload in d.decode(fused).texts
            single += any_single
            fused_ok += ok
            only += ok and not any_single
        lines.append(f"| {family} | {per_family} | {single} | {fused_ok} | {only} |")
    return "\n".join(lines)


class _Recording:
    """Wraps a FrameSource and records the monotonic capture time of every frame index."""

    def __init__(self, inner: CvFrameSource) -> None:
        self.inner = inner
        self.times: list[float] = []

    @property
    def name(self) -> str:
        return self.inner.name

    def open(self) -> None:
        self.inner.open()

    def read(self) -> np.ndarray | None:
        f = self.inner.read()
        if f is not None:
            self.times.append(time.monotonic())
        return f

    def close(self) -> None:
        self.inner.close()


def latency(
    segments: int,
    *,
    scene: SceneConfig | Default | None = DEFAULT,
    seed: int = 0,
    gap_s: float = 0.6,
) -> tuple[str, dict[str, Any]]:
    """scene: the scanner's scene watch (DEFAULT: the scanner's default, None: off); seed: a
    different set of presentations (0: the one in docs/performance/camera.md); gap_s: seconds
    of empty gate before each presentation."""
    fps, show = 30, 30
    gap = round(gap_s * fps)
    rng = np.random.default_rng(5 + seed)
    path = Path(tempfile.mkdtemp()) / "gate.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (1280, 720))
    empty = make_sample("clean", 999).frame.copy()
    empty[:] = cv2.GaussianBlur(empty, (0, 0), 25)  # the gate without a code in view
    starts: dict[str, int] = {}
    families: dict[str, str] = {}
    index = 0
    for k in range(segments):
        family = FAMILIES[k % len(FAMILIES)]
        s = make_sample(family, 2000 + k + 1000 * seed)
        for _ in range(gap):
            writer.write(empty)
            index += 1
        starts[s.payload] = index
        families[s.payload] = family
        for _ in range(show):
            noise = rng.normal(0, 2.0, s.frame.shape)
            writer.write(np.clip(s.frame + noise, 0, 255).astype(np.uint8))
            index += 1
    writer.release()
    events: queue.Queue[tuple[float, ReaderEvent]] = queue.Queue()
    source = _Recording(CvFrameSource(str(path), realtime=True))
    scene_kw: dict[str, Any] = {} if isinstance(scene, Default) else {"scene": scene}
    scanner = CameraScanner(
        source,
        lambda e: events.put((time.monotonic(), e)),
        stall_timeout=0.5,
        max_backoff=0.5,
        **scene_kw,
    )
    scanner.start()
    deadline = time.monotonic() + index / fps + 30
    while len(source.times) < index and time.monotonic() < deadline:
        time.sleep(0.1)  # the video plays in real time; this only waits for its end
    time.sleep(0.3)
    scanner.stop()
    lat: list[float] = []
    got: set[str] = set()
    while not events.empty():
        at, e = events.get()
        if isinstance(e, CodeScanned) and e.text in starts:
            first = starts[e.text]
            if first < len(source.times):
                lat.append(at - source.times[first])
                got.add(e.text)
    path.unlink(missing_ok=True)
    stats = scanner.stats
    missed = sorted(families[p] for p in starts if p not in got)
    lines = [
        f"Scan latency: {segments} presentations in a 30 fps 1280x720 MJPG video played in real "
        f"time, {gap_s:g} s of empty gate before each (wall clock, shared machine).",
        "",
        "| presentations | scanned | latency p50 | latency p95 | max | frames captured / "
        "decoded / dropped |",
        "|---:|---:|---:|---:|---:|---|",
        f"| {segments} | {len(lat)} | {pct(lat, 50):.0f} ms | {pct(lat, 95):.0f} ms | "
        f"{pct(lat, 100):.0f} ms | {stats.captured} / {stats.decoded} / {stats.dropped} |",
        "",
        "Presentations not scanned within their 1 s, by family: "
        + (", ".join(missed) if missed else "none"),
    ]
    # Read within 1 s: the presentation lasts 1 s (30 frames), so a later read is none.
    in_time = sum(1 for x in lat if x <= 1.0)
    summary = {"p95_ms": pct(lat, 95), "p50_ms": pct(lat, 50), "max_ms": pct(lat, 100),
               "scanned": in_time, "missed": ", ".join(missed)}
    return "\n".join(lines), summary


def machine() -> str:
    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    load = os.getloadavg()[0]
    return (
        f"Machine: {model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__}, load average at start {load:.1f}; "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC."
    )


def videos(seeds: list[int], segments: int, head: str, out: Path | None) -> int:
    """The presentation video once per seed: which presentations were read within their 1 s."""
    rows = []
    for seed in seeds:
        load0 = os.getloadavg()[0]
        _, summary = latency(segments, seed=seed)
        load1 = os.getloadavg()[0]
        row = (f"| {seed} | {summary['scanned']} of {segments} | {summary['p50_ms']:.0f} ms | "
               f"{summary['p95_ms']:.0f} ms | {summary['max_ms']:.0f} ms | "
               f"{summary['missed'] or 'none'} | {load0:.1f} / {load1:.1f} |")
        print(row, file=sys.stderr, flush=True)
        rows.append(row)
    report = "\n".join([
        head, "",
        f"{segments} presentations per video (30 fps 1280x720 MJPG played in real time, 0.6 s "
        "of empty gate then 1 s of one degraded frame with fresh sensor noise, families in "
        "turn); wall clock on a shared machine.", "",
        "| video seed | read within 1 s | latency p50 | p95 | max | not read (family) | "
        "load before / after |",
        "|---:|---:|---:|---:|---:|---|---|",
        *rows,
    ])
    print(report)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report + "\n", encoding="utf-8")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--per-family", type=int, default=55)
    ap.add_argument(
        "--holdout",
        type=int,
        default=20,
        help="frames per family from seeds 1000.. never used to tune the cascade order",
    )
    ap.add_argument("--fusion-scenes", type=int, default=30)
    ap.add_argument("--lost-finder", type=int, default=30, help="frames per view (0: skip)")
    ap.add_argument("--segments", type=int, default=30)
    ap.add_argument("--out", type=Path, help="write the markdown report here")
    ap.add_argument(
        "--video-seeds",
        help="only the presentation video, once per seed in this comma-separated list (0 is "
        "the video of the full run; others are different presentations of the same families)",
    )
    args = ap.parse_args()
    cv2.setNumThreads(1)
    head = machine()
    print(head, file=sys.stderr)
    if args.video_seeds:
        return videos([int(x) for x in args.video_seeds.split(",")], args.segments, head,
                      args.out)
    single, s_sum = single_frames(args.per_family)
    print(single, file=sys.stderr)
    held = ""
    if args.holdout > 0:
        held, _ = single_frames(args.holdout, first_seed=1000)
        print(held, file=sys.stderr)
    lost = lost_finder(args.lost_finder) if args.lost_finder > 0 else "(skipped: --lost-finder 0)"
    print(lost, file=sys.stderr)
    fus = fusion(args.fusion_scenes)
    print(fus, file=sys.stderr)
    lat, l_sum = latency(args.segments)
    print(lat, file=sys.stderr)
    verdict = (
        f"Targets: >= 85 % of degraded single frames: {100 * s_sum['rate']:.1f} %; "
        f"p95 <= 30 ms per frame: {s_sum['p95_ms']:.1f} ms; zero false reads: "
        f"{int(s_sum['wrong'])}; scan latency p95 <= 150 ms: {l_sum['p95_ms']:.0f} ms."
    )
    notes = (
        "How to read this: the corpus is tests.readers.degrade.make_sample (deterministic; "
        "families and severities in tests/readers/degrade.py), PK1-like payloads of 200-300 "
        "Base45 characters, EC H on printed cards and EC Q on phones, 2.2-6 px per module. Its "
        "severities were set so that zxing-cpp and pyzbar land near their read rates on real "
        "gate-camera pictures (79 % / 56 %); here zxing-cpp reads a little less, so this corpus "
        "is slightly harder. Decode times are CPU time of the decoding thread, the cost on one "
        "core; the decoder's budget (readers.DecodeConfig.budget) runs on the same clock here "
        "and on the wall clock in the scanner. Latency is wall clock on a machine shared by "
        "several processes."
    )
    report = "\n\n".join(
        [
            "# Camera QR scanning: benchmark (bench/bench_qr.py)",
            head,
            verdict,
            notes,
            "## Single frames",
            single,
            "## Single frames, held-out seeds",
            "The cascade's stage order was tuned on seeds 0..54; these seeds were not looked at.",
            held or "(skipped: --holdout 0)",
            "## A finder pattern lost",
            lost,
            "## Temporal fusion",
            fus,
            "## Scan latency",
            lat,
        ]
    )
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
