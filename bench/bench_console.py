"""Web console response times over real HTTP (the service on 127.0.0.1, SQLite default).

    .venv/bin/python bench/bench_console.py [--kiosks 200] [--records 200000] [--rounds 20]
        [--markdown docs/performance/console.md]

Sets up a service with ``--kiosks`` enrolled kiosks in 20 sites, each with a health report,
and ``--records`` entry records today; then times, per request: login (one scrypt check), a
resident lookup (one subject hash, PK1 §5 scrypt) with its resident page, issuing a printed
code with its card PDF, a renewal batch of 50 cards into one PDF, the operations view (every
kiosk, today's counts per site and hour, alert evaluation), and the view filtered to one city.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

from codes.wire import EntryRecord, KioskHealth  # noqa: E402
from service import BackgroundService, open_storage  # noqa: E402
from service._console import add_user  # noqa: E402
from service._console._store import ConsoleStore, open_console_db  # noqa: E402
from service._console._web import ConsoleConfig  # noqa: E402
from service._state import open_state_db  # noqa: E402
from tests.service.console.conftest import PASSWORD, USERS, Web, make_service, valid_id  # noqa: E402

OUTCOMES = ("pass", "pass", "pass", "pass", "attention", "deny", "invalid")


def seed(data: Path, kiosks: int, records: int, now: int) -> None:
    """Kiosks with health, sites, and today's records (straight into the storage)."""
    storage = open_storage(None, data)
    console = ConsoleStore(open_console_db(data, None), storage, lambda: open_state_db(data, None))
    for s in range(20):
        console.put_site(f"S-{s:02d}", f"社区{s:02d}", ["广州", "深圳", "佛山", "东莞"][s % 4])
    ids = []
    for k in range(kiosks):
        raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw,
                                                                     PublicFormat.Raw)
        key = base64.b64encode(raw).decode()
        kid = storage.enroll(key, f"gate {k}", now=now)
        console.place_kiosk(kid, f"S-{k % 20:02d}", f"G{k // 20}", key)
        storage.record_health(kid, KioskHealth("0.1.0", 3, 60, "ok" if k % 50 else "error",
                                               "ok"), now - 30)
        ids.append(kid)
    start = now - (now + 8 * 3600) % 86_400  # midnight CST
    batch: list[EntryRecord] = []
    for n in range(records):
        at = start + (n * 7919) % max(1, now - start)
        batch.append(EntryRecord(str(uuid.uuid4()), at, f"S-{n % kiosks % 20:02d}",
                                 f"G{n % kiosks // 20}", OUTCOMES[n % 7], "ok", "PK1",
                                 "ab" * 16, None))
        if len(batch) == 5000:
            storage.store_batch(ids[n % kiosks], batch, now)
            batch = []
    if batch:
        storage.store_batch(ids[0], batch, now)
    console.close()
    storage.close()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def row(what: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"| {what} | {statistics.median(ms):.1f} | {p95:.1f} | {ms[-1]:.1f} | {len(ms)} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiosks", type=int, default=200)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--markdown", type=Path, help="write the report here too")
    args = ap.parse_args()
    rounds = min(args.rounds, 25)  # below the lookup limit (30 at once per worker)
    now = int(time.time())
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        data = Path(tmp) / "svc"
        make_service(data, now)
        t0 = time.perf_counter()
        seed(data, args.kiosks, args.records, now)
        seed_s = time.perf_counter() - t0
        add_user(data, None, "bench.worker", "worker", PASSWORD)
        rows = []
        with BackgroundService(data) as svc:
            rows.append(row("login (scrypt check, session, first page)", timed(
                lambda: Web(svc.url).login(USERS["health"]), rounds)))
            w = Web(svc.url).as_role("worker")
            counter = iter(range(10_000))

            def lookup() -> None:
                r = w.post("/console/worker/lookup", {"id18": valid_id(next(counter)),
                                                      "name": "张三明"})
                assert r.status == 200, r.status

            rows.append(row("lookup + resident page", timed(lookup, rounds)))
            ref = w.post("/console/worker/lookup", {"id18": valid_id(9_999),
                                                    "name": "张三明"}).url.rsplit("/", 1)[1]

            def issue() -> None:
                r = w.post("/console/worker/issue", {"ref": ref})
                link = re.search(r'href="(/console/worker/print/[^"]+)"', r.text)
                assert link
                assert w.get(link.group(1)).body.startswith(b"%PDF")

            rows.append(row("issue a printed code + fetch its card PDF", timed(issue, rounds)))
            b = Web(svc.url)
            assert b.login("bench.worker").status == 200
            refs = []
            for n in range(25):
                r = b.post("/console/worker/lookup", {"id18": valid_id(20_000 + n),
                                                      "name": "李四"})
                refs.append(r.url.rsplit("/", 1)[1])
                b.post("/console/worker/consent", {"ref": refs[-1], "proxy_name": "王工",
                                                   "relation": "worker"})

            def renew() -> None:
                r = b.post("/console/worker/renew", [("ref", x) for x in refs * 2])
                link = re.search(r'href="(/console/worker/print/[^"]+)"', r.text)
                assert link and b.get(link.group(1)).body.startswith(b"%PDF")

            rows.append(row("renewal batch of 50 cards into one PDF", timed(renew, 3)))
            o = Web(svc.url).as_role("ops")
            scale = f"{args.kiosks} kiosks, {args.records} records today"

            def cold() -> None:
                time.sleep(ConsoleConfig().counts_ttl_s + 0.5)  # not timed: the cache expires
                t0 = time.perf_counter()
                o.get("/console/ops")
                cold_ms.append((time.perf_counter() - t0) * 1000)

            cold_ms: list[float] = []
            for _ in range(3):
                cold()
            rows.append(row(f"operations view, counts scanned ({scale})", cold_ms))
            rows.append(row(f"operations view, counts cached ({scale})",
                            timed(lambda: o.get("/console/ops"), rounds)))
            rows.append(row("operations view, one city (counts cached)", timed(
                lambda: o.get("/console/ops?city=%E5%B9%BF%E5%B7%9E"), rounds)))
    load_after = os.getloadavg()[0]
    cpu = cpu_name()
    text = "\n".join([
        "# Web console response times (service/_console over HTTP, SQLite)",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores (shared); "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()}. "
        f"Command: `.venv/bin/python bench/bench_console.py --kiosks {args.kiosks} "
        f"--records {args.records} --rounds {args.rounds}`. 1-minute load average "
        f"before/after: {load_before:.1f} / {load_after:.1f}. Seeding took {seed_s:.0f} s.",
        "",
        "| request | median ms | p95 ms | max ms | n |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "Notes:",
        "- Times are the client's: request, server work, response (a redirect followed where "
        "the console answers one), on 127.0.0.1.",
        "- A lookup computes the PK1 subject hash (scrypt) once; a login checks one scrypt "
        "password hash; issuing renders the A6 card PDF (reportlab, font subset).",
        "- The renewal batch lists 25 residents twice (a batch of 50 cards): 50 tokens "
        "signed, 50 A6 pages in one PDF.",
        "- The operations view groups today's records by kiosk, site, gate, outcome and hour "
        "in SQL (index on the record time) and evaluates every kiosk's alert rules. The scan "
        f"is shared for {ConsoleConfig().counts_ttl_s:g} s by every screen a replica serves "
        "(\"scanned\": the first request after that; \"cached\": the others).",
        "",
    ])
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
