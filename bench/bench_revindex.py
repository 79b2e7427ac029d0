"""Benchmark of the province-scale revocation index (codes, codes.indexing + sync._revfile).

    .venv/bin/python bench/bench_revindex.py [--sizes 1000000 10000000] [--dir /tmp/pk-revbench]

Each phase runs in a fresh subprocess so its resident memory (VmRSS from /proc/self/status,
which counts the pages of a mapped file it touched) is its own:

  build   deterministic entries (numpy, fixed seed) → index file; also writes the query keys
  lookup  open (with CRC check) → 2 × 1 M random lookups (1/3 tokens, 1/3 subjects, 1/3 cards,
          half of them listed); latency per call with perf_counter_ns. The index is read with
          pread, as the kiosk reads it; ``lookup-mapped`` does the same over a map of the file
  delta   100,000 ops (puts, removes, remove-key, all kinds) → apply_delta_file (new file,
          fsync, atomic rename), timed end to end

Mix per size N: 20 % tokens, 70 % subject entries (one subject in ten has a second entry),
10 % card entries; since values are 2025–2027 epoch seconds. Scratch files go under /tmp.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 20261126
QUERIES = 1_000_000
DELTA = 100_000


def rss_mb() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
            name, value = line.split(":", 1)
            out[name] = int(value.split()[0]) / 1024
    return out


def _counts(n: int) -> tuple[int, int, int]:
    nt = n // 5
    nc = n // 10
    return nt, n - nt - nc, nc


def phase_build(n: int, work: Path) -> dict[str, object]:
    import numpy as np

    from codes.indexing import EntryColumns, encode_columns
    from sync._revfile import write_index_file

    rng = np.random.default_rng(SEED + n)
    nt, ns, nc = _counts(n)
    t0 = time.perf_counter()
    tok = rng.integers(0, 256, size=(nt, 16), dtype=np.uint8)
    n_subj_keys = ns - ns // 11  # one subject in ten carries a second entry
    skeys = rng.integers(0, 256, size=(n_subj_keys, 16), dtype=np.uint8)
    skeys = np.concatenate([skeys, skeys[: ns - n_subj_keys]])
    ckeys = rng.integers(0, 256, size=(nc, 16), dtype=np.uint8)

    def values(m: int) -> tuple[np.ndarray, np.ndarray]:
        return (rng.integers(1, 3, size=m, dtype=np.uint8),
                rng.integers(1_735_689_600, 1_798_761_600, size=m, dtype=np.int64))

    s_status, s_since = values(ns)
    c_status, c_since = values(nc)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    content = encode_columns(EntryColumns(tok), EntryColumns(skeys, s_status, s_since),
                             EntryColumns(ckeys, c_status, c_since), version=1)
    t_encode = time.perf_counter() - t0
    path = work / f"index-{n}.bin"
    t0 = time.perf_counter()
    write_index_file(path, content)
    t_write = time.perf_counter() - t0
    size = content.nbytes
    del content
    # Query keys for the later phases: QUERIES/3 per kind, half listed, half random.
    per = QUERIES // 3 + 1
    qs = []
    for keys in (tok, skeys, ckeys):
        hit = keys[rng.integers(0, keys.shape[0], size=per // 2)]
        miss = rng.integers(0, 256, size=(per - per // 2, 16), dtype=np.uint8)
        both = np.concatenate([hit, miss])
        qs.append(both[rng.permutation(per)])
    np.stack(qs, axis=1).tofile(work / f"queries-{n}.bin")  # (per, 3, 16)
    # Existing subject entries for the delta's removes.
    pick = rng.integers(0, ns, size=DELTA)
    np.save(work / f"existing-{n}.npy", np.concatenate(
        [skeys[pick], s_since[pick, None].view(np.uint8).reshape(-1, 8)], axis=1))
    return {"entries": n, "tokens": nt, "subjects": ns, "cards": nc, "file_mb": size / 2**20,
            "generate_s": t_gen, "encode_s": t_encode, "write_fsync_s": t_write,
            "rss_after_build": rss_mb()}


def phase_lookup(n: int, work: Path, mapped: bool = False) -> dict[str, object]:
    import numpy as np

    from sync._revfile import open_index_file

    lat = np.ones(QUERIES, dtype=np.int64)  # 8 MB, touched before the baseline
    base = rss_mb()
    t0 = time.perf_counter()
    index = open_index_file(work / f"index-{n}.bin", verify=True, mapped=mapped)
    t_open = time.perf_counter() - t0
    after_open = rss_mb()
    t0 = time.perf_counter()
    index_nocrc = open_index_file(work / f"index-{n}.bin", verify=False)
    t_open_nocrc = time.perf_counter() - t0
    index_nocrc.close()
    calls = (index.token_revoked, index.subject_entries, index.card_entries)
    qpath = work / f"queries-{n}.bin"
    perf = time.perf_counter_ns
    results: dict[str, object] = {"loadavg_1m": os.getloadavg()[0], "open_verify_s": t_open,
                                  "open_noverify_s": t_open_nocrc,
                                  "rss_baseline": base, "rss_after_open": after_open}
    hits = 0
    for round_name in ("round1", "round2"):
        i = 0
        # Queries are streamed 48 KB at a time so they do not add to the resident set.
        with qpath.open("rb") as f:
            while i < QUERIES:
                block = f.read(48 * 1000)
                if not block:
                    break
                for j in range(0, len(block), 16):
                    if i >= QUERIES:
                        break
                    call = calls[(j // 16) % 3]  # each 48-byte row: token, subject, card key
                    key = block[j:j + 16]
                    t = perf()
                    r = call(key)
                    lat[i] = perf() - t
                    hits += bool(r)
                    i += 1
        rss_after = rss_mb()  # before the statistics allocate anything
        us = lat[:i] / 1000
        results[round_name] = {
            "lookups": i, "p50_us": float(np.percentile(us, 50)),
            "p99_us": float(np.percentile(us, 99)), "p999_us": float(np.percentile(us, 99.9)),
            "max_us": float(us.max()), "rss_after": rss_after}
    results["hit_fraction"] = hits / (2 * QUERIES)
    index.close()
    return results


def phase_delta(n: int, work: Path) -> dict[str, object]:
    import numpy as np

    from codes import EntryKind, RevocationEntry, Severity
    from codes.indexing import Put, Remove, RemoveKey, apply_delta
    from sync._revfile import apply_delta_file, open_index_file, write_index_file

    rng = np.random.default_rng(SEED + 7 * n)
    existing = np.load(work / f"existing-{n}.npy")
    rand = rng.integers(0, 256, size=(DELTA, 16), dtype=np.uint8)
    since = rng.integers(1_798_761_600, 1_800_000_000, size=DELTA).tolist()
    ops: list[Put | Remove | RemoveKey] = []
    T, S, C = EntryKind.TOKEN, EntryKind.SUBJECT, EntryKind.CARD
    for i in range(DELTA):
        r = i % 10
        if r < 3:
            ops.append(Put(RevocationEntry(S, rand[i].tobytes(), Severity.RED, since[i])))
        elif r < 5:
            row = existing[i]
            ops.append(Remove(S, row[:16].tobytes(), int(row[16:].view(np.int64)[0])))
        elif r < 7:
            ops.append(Put(RevocationEntry(T, rand[i].tobytes())))
        elif r < 8:
            ops.append(RemoveKey(S, existing[i][:16].tobytes()))
        else:
            ops.append(Put(RevocationEntry(C, rand[i].tobytes(), Severity.YELLOW, since[i])))
    # Work on a copy so the other phases can be rerun on the original.
    path = work / f"delta-{n}.bin"
    subprocess.run(["cp", str(work / f"index-{n}.bin"), str(path)], check=True)
    base = rss_mb()
    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    new = apply_delta_file(path, ops, version=2)
    t_apply, c_apply = time.perf_counter() - t0, time.process_time() - c0
    after = rss_mb()
    counts = {k.json: v for k, v in new.counts().items()}
    ok = new.token_revoked(ops[5].entry.key) if isinstance(ops[5], Put) else None
    new.close()
    check = open_index_file(path, verify=True)
    check.close()
    # The same again on a fresh copy, step by step (wall and CPU seconds per step).
    subprocess.run(["cp", str(work / f"index-{n}.bin"), str(path)], check=True)
    steps: dict[str, list[float]] = {}

    def step(name: str, fn: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        steps[name] = [time.perf_counter() - t, time.process_time() - c]
        return out

    old = step("open", lambda: open_index_file(path, verify=False, mapped=True))
    step("crc_old", old.check_body)
    box = [step("merge_encode", lambda: apply_delta(old, ops, version=3))]
    step("write_fsync_rename", lambda: write_index_file(path, box[0]))
    box.clear()  # drops the views into the old mapping
    old.close()
    step("reopen", lambda: open_index_file(path, verify=False).close())
    return {"ops": DELTA, "apply_s": t_apply, "apply_cpu_s": c_apply, "loadavg_1m": load,
            "steps_wall_cpu_s": steps, "rss_before": base, "rss_after": after,
            "counts_after": counts, "spot_check": ok}


def run_phase(phase: str, n: int, work: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--sizes", str(n),
                          "--dir", str(work)], check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/pk-revbench"))
    ap.add_argument("--phase", choices=["build", "lookup", "lookup-mapped", "delta"])
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    if args.phase:
        fn = {"build": phase_build, "lookup": phase_lookup, "delta": phase_delta,
              "lookup-mapped": lambda n, work: phase_lookup(n, work, mapped=True)}[args.phase]
        print(json.dumps(fn(args.sizes[0], args.dir)))
        return 0
    for n in args.sizes:
        for phase in ("build", "lookup", "lookup-mapped", "delta"):
            res = run_phase(phase, n, args.dir)
            print(json.dumps({"size": n, "phase": phase, **res}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
