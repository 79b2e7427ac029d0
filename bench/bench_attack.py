"""The service under two attacks that need no key, before and after the hardening.

    .venv/bin/python bench/bench_attack.py [--before COMMIT] [--after COMMIT]
        [--out docs/performance/attack.md]

1. A deflate bomb: ``GET /healthz`` with ``Content-Encoding: deflate`` and a 1 MiB body that
   inflates to 1 GiB, sent by ``--attackers`` clients in a loop; meanwhile the time to serve
   ``/metadata/timestamp.json`` is sampled.
2. Slow connections: the service runs with ``RLIMIT_NOFILE`` 256; 300 connections each send
   half a request line and stay; meanwhile ``/healthz`` is probed, and the service's log size
   and traceback count are read afterwards.

Each scenario runs against ``--before`` and ``--after`` (commits checked out with
``git worktree`` into a temporary folder; without ``--after``, this checkout), each in its own
``python -m kiosk service`` process on 127.0.0.1. Results go to ``--out`` (then run
``bench/merge_performance.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BEFORE = "1dbf5c6"  # main just before the service hardening


def bomb() -> bytes:
    c = zlib.compressobj(9)
    zeros = b"\0" * (1 << 20)
    return b"".join(c.compress(zeros) for _ in range(1024)) + c.flush()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(port: int, path: str, timeout: float = 60.0) -> float:
    """Seconds to get a whole answer for ``path`` (a fresh connection each time)."""
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        while s.recv(65536):
            pass
    return time.perf_counter() - t0


class Service:
    def __init__(self, root: Path, work: Path, nofile: int | None = None) -> None:
        self.root, self.work, self.nofile = root, work, nofile
        self.port = free_port()
        self.log = work / "service.log"

    def __enter__(self) -> Service:
        env = {**os.environ, "PYTHONPATH": str(self.root)}
        data = self.work / "svc"
        subprocess.run([sys.executable, "-m", "kiosk", "service", "init", "--data", str(data)],
                       env=env, check=True, capture_output=True, cwd=self.root, timeout=120)
        limit = self.nofile

        def lower_limit() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kiosk", "service", "--data", str(data), "--listen",
                 f"127.0.0.1:{self.port}"], env=env, stdout=log, stderr=log, cwd=self.root,
                preexec_fn=lower_limit)
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(self.port, "/healthz", timeout=2)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def bomb_scenario(root: Path, attackers: int, seconds: float) -> dict[str, float]:
    body = bomb()
    with tempfile.TemporaryDirectory() as tmp, Service(root, Path(tmp)) as svc:
        quiet = [fetch(svc.port, "/metadata/timestamp.json") for _ in range(20)]
        stop = threading.Event()

        def attack() -> None:
            head = (f"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Encoding: deflate\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
            while not stop.is_set():
                with contextlib.suppress(OSError), \
                        socket.create_connection(("127.0.0.1", svc.port), timeout=30) as s:
                    s.sendall(head + body)
                    while s.recv(65536):
                        pass

        threads = [threading.Thread(target=attack, daemon=True) for _ in range(attackers)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        loud: list[float] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            loud.append(fetch(svc.port, "/metadata/timestamp.json"))
        stop.set()
        for t in threads:
            t.join(60)
    return {"quiet_median_ms": statistics.median(quiet) * 1000,
            "attack_median_ms": statistics.median(loud) * 1000,
            "attack_max_ms": max(loud) * 1000, "samples": len(loud)}


def slow_scenario(root: Path, conns: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, Service(root, Path(tmp), nofile=256) as svc:
        held: list[socket.socket] = []
        for i in range(conns):
            with contextlib.suppress(OSError):
                s = socket.create_connection(("127.0.0.1", svc.port), timeout=5,
                                             source_address=(f"127.0.0.{2 + i % 50}", 0))
                s.sendall(b"GET /healthz HTT")
                held.append(s)
        probes: list[float] = []
        failures = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                probes.append(fetch(svc.port, "/healthz", timeout=30))
            except OSError:
                failures += 1
                time.sleep(0.2)
        open_now = 0
        for s in held:
            s.setblocking(False)
            try:
                open_now += s.recv(1) != b""
            except BlockingIOError:
                open_now += 1
            except OSError:
                pass
            s.close()
        log = svc.log.read_text(errors="replace")
    return {"held_after_s": open_now, "probe_median_ms": statistics.median(probes) * 1000
            if probes else float("nan"), "probe_max_ms": max(probes) * 1000 if probes else
            float("nan"), "probe_failures": failures, "log_bytes": len(log),
            "tracebacks": log.count("Traceback")}


@contextlib.contextmanager
def checkout(commit: str | None) -> Iterator[Path]:
    """This checkout when commit is None, else that commit in a temporary git worktree."""
    if commit is None:
        yield ROOT
        return
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           check=False, capture_output=True)


def run_all(root: Path, args: argparse.Namespace) -> tuple[dict[str, float], dict[str, float]]:
    return (bomb_scenario(root, args.attackers, args.seconds),
            slow_scenario(root, args.connections, args.seconds))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", default=DEFAULT_BEFORE)
    p.add_argument("--after", help="a commit to measure instead of this checkout")
    p.add_argument("--attackers", type=int, default=1)
    p.add_argument("--connections", type=int, default=300)
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    with checkout(args.before) as old:
        before = run_all(old, args)
    with checkout(args.after) as new:
        after = run_all(new, args)
    rows = [
        ("timestamp.json, no attack, median ms", "quiet_median_ms", 0),
        (f"timestamp.json under {args.attackers} bomb sender(s), median ms",
         "attack_median_ms", 0),
        ("timestamp.json under the bombs, worst ms", "attack_max_ms", 0),
        (f"slow connections still open after {args.seconds:.0f} s (of {args.connections})",
         "held_after_s", 1),
        ("/healthz beside them, median ms", "probe_median_ms", 1),
        ("/healthz beside them, worst ms", "probe_max_ms", 1),
        ("/healthz probes refused or failed", "probe_failures", 1),
        ("service log, bytes", "log_bytes", 1),
        ("tracebacks in the log", "tracebacks", 1),
    ]
    after_name = f"commit `{args.after}`" if args.after else "this checkout"
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    lines = [
        "## service/: attacks without a key (deflate bomb, slow connections)", "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"- Command: `.venv/bin/python bench/bench_attack.py {' '.join(sys.argv[1:])}`",
        f"- Before: commit `{args.before}`; after: {after_name}. Each service is a real "
        "`passkiosk service` process on 127.0.0.1; the slow-connection runs have "
        f"`RLIMIT_NOFILE` 256 and {args.connections} connections from 50 loopback addresses.",
        "- After, the slow connections fill the connection budget (the file limit less 64) "
        "until their 10 s header deadline cuts them: probes meanwhile are turned away at once "
        "instead of hanging, and are served again as soon as the deadline passes.", "",
        "| measure | before | after |", "|---|---:|---:|",
    ]

    def cell(v: float) -> str:
        if v != v:  # nan: no probe was answered at all
            return "none answered"
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"

    for label, key, which in rows:
        lines.append(f"| {label} | {cell(before[which][key])} | {cell(after[which][key])} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
