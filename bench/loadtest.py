"""Load test: thousands of simulated kiosks against PostgreSQL, two replicas and nginx.

    ./dev.sh loadtest [--kiosks 10000] [--seconds 180] [--speed 1] [--out FILE.md]
    .venv/bin/python bench/loadtest.py --kiosks 50 --seconds 20 --speed 10   (a quick one)

It starts a PostgreSQL cluster (initdb in a temp folder, durable settings), initialises a service
data folder on it, enrolls every kiosk key, runs two ``passkiosk service`` replicas on loopback
ports and nginx in front of them (uploads balanced over the replicas; the TUF tree served by
nginx itself as static files), then runs the fleet (``bench/loadtest_fleet.py``: real kiosk
stores, real ``sync.push_pending``, the scheduler's backoff). During the run one replica is
killed with SIGKILL and started again, and PostgreSQL is restarted; kiosks see failed pushes
and their own retry resends. Afterwards every record each kiosk wrote is looked up in
PostgreSQL.

Prints ONE JSON line: kiosks, seconds, records_sent, records_stored, lost, duplicated,
uploads_per_s, records_per_s, p50_ms, p95_ms (pushes outside the fault windows), errors
(failed pushes, each retried), plus details (per-replica CPU, fault windows, polls).
Loopback only; bounded in time (``--seconds`` + ``--drain``) and count (``--kiosks``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from loadtest_fleet import Fleet, FleetResult, percentile  # noqa: E402

from sync import DeviceKey  # noqa: E402
from tests.service.nginxfixture import Nginx, wait_http  # noqa: E402
from tests.service.pgfixture import PostgresCluster, free_port  # noqa: E402

FAULT_SETTLE_S = 2.0  # after a fault ends, pushes still retrying are part of its window


def postgres_cpu(pg: PostgresCluster) -> float:
    """CPU of the cluster's postmaster and all its backends, live and ended."""
    try:
        pid = int((pg.datadir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return cpu_seconds(pid, waited=True)


def _ticks() -> float:
    return float(os.sysconf("SC_CLK_TCK"))


def cpu_seconds(pid: int, *, waited: bool = False) -> float:
    """User + system CPU of a live process and its live child processes (nginx workers);
    with ``waited`` also of its children that ended (PostgreSQL's backends)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / _ticks()
        if waited:
            total += (int(fields[13]) + int(fields[14])) / _ticks()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, IndexError, ValueError):
        return total
    return total + sum(cpu_seconds(int(c)) for c in children)


class TimedNginx(Nginx):
    """The test suite's nginx, plus a log of each upload's time inside nginx (``$request_time``:
    from the request's first byte to the answer's last; the service-side latency)."""

    def config(self) -> str:
        conf = super().config()
        conf = conf.replace("    log_format up ", "    log_format timing '$msec $request_method "
                            "$status $request_time $upstream_addr';\n    log_format up ", 1)
        marker = f"access_log {self.prefix}/access.log up;"
        return conf.replace(marker, f"{marker}\n        access_log {self.prefix}/timing.log "
                                    "timing;", 1)

    def upload_times(self) -> list[tuple[float, float, int, str]]:
        """(end as epoch seconds, seconds inside nginx, status, replica) of every upload."""
        out = []
        try:
            lines = (self.prefix / "timing.log").read_text().splitlines()
        except OSError:
            return []
        for line in lines:
            parts = line.split()
            if len(parts) >= 5 and parts[1] == "POST":
                # A retried request lists every replica tried; the last one answered.
                out.append((float(parts[0]), float(parts[3]), int(parts[2]),
                            parts[-1].rstrip(",")))
        return out


class Replica:
    """One ``passkiosk service`` process on a loopback port; CPU summed over restarts."""

    def __init__(self, data: Path, db_url: str | None, logdir: Path, n: int) -> None:
        self.port = free_port()
        self.data = data
        self.db_url = db_url
        self.log = logdir / f"replica-{n}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.cpu = 0.0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        # nginx is this replica's only peer: the per-address connection cap, meant for kiosks
        # reaching a replica directly, must let all of nginx's upstream connections in.
        argv = [sys.executable, "-c", "import sys, service; sys.exit(service.main())",
                "--data", str(self.data), "--listen", self.address,
                "--max-connections-per-peer", "1024"]
        if self.db_url:
            argv += ["--db", self.db_url]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log, cwd=ROOT)
        wait_http(f"http://{self.address}/healthz", timeout=60)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.cpu += cpu_seconds(self.proc.pid)
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.proc = None

    def cpu_now(self) -> float:
        live = cpu_seconds(self.proc.pid) if self.proc is not None else 0.0
        return self.cpu + live


@dataclass
class Faults:
    """Fault injection in its own thread (a restart blocks; the fleet's clock must not)."""

    actions: list[tuple[float, str, Callable[[], None]]]
    windows: list[dict[str, float | str]] = field(default_factory=list)
    _started: set[int] = field(default_factory=set)
    _threads: list[threading.Thread] = field(default_factory=list)

    def tick(self, elapsed: float) -> None:
        for i, (at, name, action) in enumerate(self.actions):
            if i not in self._started and elapsed >= at:
                self._started.add(i)
                t = threading.Thread(target=self._run, args=(name, action), daemon=True)
                t.start()
                self._threads.append(t)

    def _run(self, name: str, action: Callable[[], None]) -> None:
        start, wall = time.monotonic(), time.time()
        action()
        end = time.monotonic()
        self.windows.append({"fault": name, "start": start, "end": end,
                             "wall_start": wall, "wall_end": wall + end - start})

    def join(self) -> None:
        for t in self._threads:
            t.join(timeout=120)


def _service_cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c",
                           "import sys, service; sys.exit(service.main())", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"passkiosk service {' '.join(args[:1])}: {done.stderr[-2000:]}")
    return done.stdout


def _has_db_option() -> bool:
    return "--db" in _service_cli("--help")


@dataclass
class Setup:
    data: Path
    db_url: str | None
    keys: list[DeviceKey]


def prepare(workdir: Path, db_url: str | None, kiosks: int) -> Setup:
    data = workdir / "service"
    db = ["--db", db_url] if db_url else []
    if db_url:
        _service_cli("migrate", "--data", str(data), *db)
    _service_cli("init", "--data", str(data), *db)
    keys = [DeviceKey(Ed25519PrivateKey.generate()) for _ in range(kiosks)]
    enroll_all(data, db_url, keys)
    return Setup(data, db_url, keys)


def enroll_all(data: Path, db_url: str | None, keys: list[DeviceKey]) -> None:
    """Enroll every kiosk key (what staff do once per kiosk with ``enroll-kiosk``)."""
    from service import UploadLedger

    if db_url is None:
        with UploadLedger(data) as ledger:
            for k in keys:
                ledger.enroll(k.public_text, "loadtest")
        return
    import importlib

    open_storage = importlib.import_module("service").open_storage
    with open_storage(db_url, data) as storage:
        for k in keys:
            storage.enroll(k.public_text, "loadtest")


def stored_records(data: Path, db_url: str | None) -> dict[str, tuple[int, set[str]]]:
    """Per kiosk key id: (rows, distinct record ids) as the service stored them."""
    import uuid

    out: dict[str, tuple[int, set[str]]] = {}
    rows: list[tuple[str, bytes]]
    if db_url is None:
        import sqlite3

        lite = sqlite3.connect(data / "uploads.sqlite3")
        rows = lite.execute("SELECT key_id, record_id FROM received").fetchall()
        lite.close()
    else:
        import psycopg

        with psycopg.connect(db_url) as conn:
            rows = conn.execute("SELECT key_id, record_id FROM entry_records_all").fetchall()

    counts: dict[str, int] = {}
    for key_id, rid in rows:
        ids = out.setdefault(key_id, (0, set()))[1]
        ids.add(str(uuid.UUID(bytes=bytes(rid))))
        counts[key_id] = counts.get(key_id, 0) + 1
    return {k: (counts[k], ids) for k, (_, ids) in out.items()}


def summarise(fleet: FleetResult, stored: dict[str, tuple[int, set[str]]],
              windows: list[dict[str, float | str]], run_s: float,
              nginx_times: list[tuple[float, float, int, str]]) -> dict[str, object]:
    lost = duplicated = records_stored = 0
    for key_id, ids in fleet.sent_ids.items():
        rows, distinct = stored.get(key_id, (0, set()))
        records_stored += len(distinct)
        duplicated += rows - len(distinct)
        lost += len(set(ids) - distinct)

    def in_fault(start: float, end: float) -> bool:
        return any(float(w["start"]) <= end and start <= float(w["end"]) + FAULT_SETTLE_S
                   for w in windows)

    def in_fault_wall(end: float, took: float) -> bool:
        return any(float(w["wall_start"]) <= end and end - took <= float(w["wall_end"])
                   + FAULT_SETTLE_S for w in windows)

    served = [took * 1000 for end, took, status, _ in nginx_times
              if status == 200 and not in_fault_wall(end, took)]
    per_replica: dict[str, int] = {}
    for _, _, status, replica in nginx_times:
        if status == 200:
            per_replica[replica] = per_replica.get(replica, 0) + 1
    ok = [s for s in fleet.pushes if s.ok]
    calm = [(s.end - s.start) * 1000 for s in ok if not in_fault(s.start, s.end)]
    every = [(s.end - s.start) * 1000 for s in ok]
    polls = [(s.end - s.start) * 1000 for s in fleet.polls if s.ok]
    return {
        "kiosks": fleet.kiosks, "seconds": round(fleet.seconds, 1),
        "records_sent": fleet.records_sent, "records_stored": records_stored,
        "lost": lost, "duplicated": duplicated,
        "uploads_per_s": round(len(ok) / run_s, 1),
        "records_per_s": round(records_stored / run_s, 1),
        "p50_ms": round(percentile(calm, 50), 1), "p95_ms": round(percentile(calm, 95), 1),
        "errors": fleet.upload_errors,
        "error_kinds": fleet.error_kinds,
        "nginx_p50_ms": round(percentile(served, 50), 1),
        "nginx_p95_ms": round(percentile(served, 95), 1),
        "uploads_per_s_per_replica": [round(n / run_s, 1) for _, n in sorted(per_replica.items())],
        "p95_ms_all": round(percentile(every, 95), 1),
        "max_ms_all": round(max(every, default=0), 1),
        "polls": fleet.polls_ok, "poll_errors": fleet.poll_errors,
        "poll_p95_ms": round(percentile(polls, 95), 1), "unsent": fleet.unsent,
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix="pk-loadtest-"))
    stores = Path(tempfile.mkdtemp(prefix="pk-loadtest-kiosks-", dir=args.stores))
    use_pg = not args.sqlite and _has_db_option()
    pg = PostgresCluster(fast=False, settings={"max_connections": "300"}) if use_pg else None
    replicas: list[Replica] = []
    nginx: TimedNginx | None = None
    try:
        db_url = None
        if pg is not None:
            pg.start()
            db_url = pg.create_database("loadtest")
        setup = prepare(workdir, db_url, args.kiosks)
        repo = setup.data / "repo"
        replicas = [Replica(setup.data, db_url, workdir, i) for i in range(args.replicas)]
        for r in replicas:
            r.start()
        nginx = TimedNginx([r.address for r in replicas],
                      static={"/metadata/": repo / "metadata", "/targets/": repo / "targets"})
        nginx.start()
        assert nginx.proc is not None
        fleet = Fleet(stores, setup.keys, nginx.url, speed=args.speed,
                      records_per_minute=args.records_per_minute, threads=args.threads,
                      seed=args.seed)

        def kill_and_restart_replica() -> None:
            replicas[0].kill()
            time.sleep(args.replica_down_s)
            replicas[0].start()

        pg_cpu_before_restart = [0.0]

        def restart_postgres() -> None:
            assert pg is not None
            pg_cpu_before_restart[0] = postgres_cpu(pg)
            pg.restart("fast")

        actions: list[tuple[float, str, Callable[[], None]]] = []
        if args.faults:
            actions.append((args.seconds * 0.3, "replica killed (SIGKILL) and restarted",
                            kill_and_restart_replica))
            if pg is not None:
                actions.append((args.seconds * 0.6, "PostgreSQL restarted", restart_postgres))
        faults = Faults(actions)
        cpu0 = [r.cpu_now() for r in replicas]
        nginx_cpu0 = cpu_seconds(nginx.proc.pid)
        pg_cpu0 = postgres_cpu(pg) if pg is not None else 0.0
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        result = fleet.run(args.seconds, drain_s=args.drain, on_tick=faults.tick)
        faults.join()
        run_s = time.monotonic() - t0
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = [round(r.cpu_now() - c, 1) for r, c in zip(replicas, cpu0, strict=True)]
        nginx_cpu = round(cpu_seconds(nginx.proc.pid) - nginx_cpu0, 1)
        pg_cpu = round(pg_cpu_before_restart[0] + (postgres_cpu(pg) if pg is not None else 0.0)
                       - pg_cpu0, 1)
        stored = stored_records(setup.data, db_url)
        summary = summarise(result, stored, faults.windows, run_s, nginx.upload_times())
        summary.update({
            "store": "postgresql" if db_url else "sqlite", "replicas": len(replicas),
            "speed": args.speed, "records_per_kiosk_minute": args.records_per_minute,
            "replica_cpu_s": cpu, "nginx_cpu_s": nginx_cpu, "postgres_cpu_s": pg_cpu,
            "loadgen_cpu_s": round(self1.ru_utime + self1.ru_stime - self0.ru_utime
                                   - self0.ru_stime, 1),
            "faults": [{"fault": w["fault"], "at_s": round(float(w["start"]) - t0, 1),
                        "lasted_s": round(float(w["end"]) - float(w["start"]), 1)}
                       for w in faults.windows],
        })
        fleet.remove_stores()
        return summary
    finally:
        if nginx is not None:
            nginx.stop()
        for r in replicas:
            r.kill(signal.SIGTERM)
        if pg is not None:
            pg.close()
        shutil.rmtree(stores, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


def write_markdown(path: Path, summary: dict[str, object], argv: list[str]) -> None:
    cpu = summary["replica_cpu_s"]
    assert isinstance(cpu, list)
    seconds = float(summary["seconds"])  # type: ignore[arg-type]
    lines = [
        "# Load test: kiosks → nginx → replicas → PostgreSQL",
        "",
        f"Machine: {platform.node()} ({os.cpu_count()} cores, {platform.machine()}), "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}.",
        f"Command: `{' '.join(['bench/loadtest.py', *argv])}`",
        "",
        "| figure | value |", "|---|---|",
    ]
    for k, v in summary.items():
        lines.append(f"| {k} | {v} |")
    lines += ["", f"CPU per replica: {', '.join(f'{c / seconds:.2f}' for c in cpu)} cores "
                  f"(of the run's {seconds:.0f} s).", ""]
    path.write_text("\n".join(lines))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--kiosks", type=int, default=10_000)
    p.add_argument("--seconds", type=float, default=180.0, help="wall time of the run")
    p.add_argument("--speed", type=float, default=1.0,
                   help="time compression: a kiosk minute lasts 60/SPEED s")
    p.add_argument("--records-per-minute", type=float, default=6.0,
                   help="gate entries per kiosk per (simulated) minute, Poisson")
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--threads", type=int, default=64, help="load generator threads")
    p.add_argument("--drain", type=float, default=90.0,
                   help="at most this long after the run for queues to empty")
    p.add_argument("--replica-down-s", type=float, default=5.0)
    p.add_argument("--no-faults", dest="faults", action="store_false")
    p.add_argument("--sqlite", action="store_true", help="the embedded SQLite store instead")
    p.add_argument("--stores", default="/dev/shm" if Path("/dev/shm").is_dir() else None,
                   help="where the simulated kiosks' stores live (default /dev/shm)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, help="also write the figures as Markdown here")
    args = p.parse_args(argv)
    if not 1 <= args.kiosks <= 20_000 or not 1 <= args.seconds <= 1800:
        p.error("expected 1..20000 kiosks and 1..1800 seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary = run(args)
    print(json.dumps(summary), flush=True)
    if args.out:
        write_markdown(args.out, summary, sys.argv[1:] if argv is None else argv)
    return 0 if summary["lost"] == 0 and summary["duplicated"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
