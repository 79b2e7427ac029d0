"""kill -9 of a kiosk process at random points while it writes records and while it uploads,
100 times: the database always opens cleanly, every record the child reported committed is
there, and after a final upload the service holds each record exactly once (issue 5, "Faults").
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from service._ledger import UploadLedger, enroll_kiosk
from sync._devicekey import load_or_create_device_key
from sync._push import push_pending
from sync._store import Store
from tests.sync._upload_server import UploadServer

ROOT = Path(__file__).resolve().parents[2]
RUNS = 100
RUN_DEADLINE_S = 60.0


class Child:
    """The child's stdout as whole lines, each read bounded in time."""

    def __init__(self, data: Path, url: str, seed: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.sync._killnine_child", str(data), url, str(seed)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        self.fd = self.proc.stdout.fileno()
        self.buf = b""
        self.lines: list[str] = []
        self.eof = False

    def next_line(self, deadline: float) -> str | None:
        """The next complete line; None at end of output."""
        while b"\n" not in self.buf:
            if self.eof:
                return None
            left = deadline - time.monotonic()
            assert left > 0, "child produced no output in time"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                self.eof = not chunk
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        self.lines.append(line.decode())
        return self.lines[-1]

    def drain(self, deadline: float) -> None:
        while self.next_line(deadline) is not None:
            pass  # a partial last line (cut by the kill) stays in buf and is not counted


def test_kill9_during_writes_and_uploads(tmp_path: Path) -> None:
    kiosk, svc = tmp_path / "kiosk", tmp_path / "svc"
    enroll_kiosk(svc, load_or_create_device_key(kiosk).public_text)
    rng = random.Random(20261126)
    committed: set[str] = set()
    killed_in = {"write": 0, "upload": 0, "finished": 0}
    inside_upload = 0  # kills whose last complete line was "U": the push was cut short
    with UploadServer(svc) as srv:
        for run in range(RUNS):
            deadline = time.monotonic() + RUN_DEADLINE_S
            child = Child(kiosk, srv.url, seed=run)
            # Even runs: kill after the k-th committed record (mid-write); odd runs: once an
            # upload has started (mid-request, mid-batch or mid-marking).
            mode = "write" if run % 2 == 0 else "upload"
            kth = rng.randint(1, 12)
            seen_c = 0
            while (line := child.next_line(deadline)) is not None:
                seen_c += line.startswith("C ")
                if (mode == "write" and seen_c == kth) or (mode == "upload" and line == "U"):
                    break
            # A random point within the next few milliseconds: this is what picks where the
            # kill lands, not a wait for something.
            time.sleep(rng.uniform(0, 0.015))
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGKILL)
                killed_in[mode] += 1
            else:
                killed_in["finished"] += 1
            child.proc.wait(timeout=RUN_DEADLINE_S)
            child.drain(deadline)
            assert child.proc.stdout is not None
            child.proc.stdout.close()
            committed |= {ln[2:] for ln in child.lines if ln.startswith("C ")}
            inside_upload += child.proc.returncode == -signal.SIGKILL and child.lines[-1] == "U"
            with Store(kiosk) as store:  # opens cleanly after every kill
                assert store.integrity_ok(), f"run {run}: integrity check failed"
                missing = committed - store.all_record_ids()
                assert not missing, f"run {run}: committed records lost: {sorted(missing)[:3]}"

        with Store(kiosk) as store:
            final = push_pending(store, srv.url, load_or_create_device_key(kiosk))
            assert final.pending == 0
            local = store.all_record_ids()
    with UploadLedger(svc) as led:
        ids = [r.record_id for r in led.received_records(limit=1_000_000)]
    assert len(ids) == len(set(ids)), "a record is doubled upstream"
    assert set(ids) == local, "upstream and kiosk disagree"
    assert committed <= set(ids)
    assert killed_in["write"] + killed_in["upload"] >= RUNS // 2, killed_in
    assert inside_upload >= 1, "no kill landed inside an upload"
    print(f"kills: {killed_in}, inside an upload: {inside_upload}, records: {len(local)}, "
          f"committed and reported: {len(committed)}")
