"""Start, restart and stop our own ``pcscd --foreground`` with only the vpcd reader configured.

CI has no systemd, and there is one pcscd per machine: we start it ourselves, kill only the
process we started, and refuse (PcscdBusy) when somebody else's pcscd is already running rather
than touching it. A file lock serialises test processes that want the stack.

Reader unplug/replug: vpcd is a "serial" reader from reader.conf.d, and pcsc-lite 1.9.9 neither
removes nor adds such readers while running (tried here: SIGUSR1 is received and changes nothing).
So an unplugged reader is pcscd running with an empty reader.conf.d (pcscd answers, lists no
reader: SCARD_E_NO_READERS_AVAILABLE), and replugging restarts it with the vpcd file back.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

VPCD_CONF = """\
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    0x8C7B
"""
PCSCD = "/usr/sbin/pcscd"
LOCK = "/tmp/passkiosk-pcsc-tests.lock"
# pid and config dir of the pcscd a test run started; a run that died (SIGKILL, crash) leaves
# that pcscd behind, and the next run may stop it: it is ours, recognisably so.
STATE = Path("/tmp/passkiosk-pcsc-tests.pcscd")


class PcscdBusy(RuntimeError):
    """Another pcscd (not ours) is running on this machine."""


def running_pcscd() -> list[int]:
    """Pids of every process named pcscd (read from /proc, no extra tools needed)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ...": a zombie (Z) is already gone, only not yet reaped.
        comm, _, rest = stat.partition(" (")[2].rpartition(") ")
        if comm == "pcscd" and not rest.startswith(("Z", "X")):
            pids.append(int(entry.name))
    return pids


def list_readers() -> list[str] | None:
    """The reader names pcscd reports now, or None when pcscd does not answer."""
    from smartcard import scard

    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hr != scard.SCARD_S_SUCCESS:
        return None
    try:
        hr, readers = scard.SCardListReaders(ctx, [])
        if hr == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hr != scard.SCARD_S_SUCCESS:
            return None
        return list(readers)
    finally:
        scard.SCardReleaseContext(ctx)


class Pcscd:
    def __init__(self, workdir: Path) -> None:
        self.confdir = workdir / "reader.conf.d"
        self.confdir.mkdir(parents=True, exist_ok=True)
        self.logpath = workdir / "pcscd.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._lockfile: IO[str] | None = None
        self._log: IO[bytes] | None = None

    def acquire(self, timeout: float = 120.0) -> None:
        """Take the machine-wide test lock (bounded), then check nobody else runs pcscd."""
        self._lockfile = open(LOCK, "w")  # noqa: SIM115 - held until release()
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{LOCK} held for more than {timeout} s") from None
                time.sleep(0.2)
        self._reap_leftover()
        others = running_pcscd()
        if others:
            self.release()
            raise PcscdBusy(f"a pcscd we did not start is running (pids {others})")

    @staticmethod
    def _reap_leftover() -> None:
        try:
            pid_text, confdir = STATE.read_text().split("\n", 1)
            pid = int(pid_text)
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return
        if pid in running_pcscd() and cmdline[-2:] == [confdir.encode(), b""]:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while pid in running_pcscd() and time.monotonic() < deadline:
                time.sleep(0.05)
        STATE.unlink(missing_ok=True)

    def release(self) -> None:
        if self._lockfile is not None:
            self._lockfile.close()
            self._lockfile = None

    def start(self, *, with_reader: bool = True, timeout: float = 10.0) -> None:
        """Start pcscd (with the vpcd reader or none) and wait (bounded) until it answers."""
        conf = self.confdir / "vpcd"
        if with_reader:
            conf.write_text(VPCD_CONF)
        else:
            conf.unlink(missing_ok=True)
        self._log = open(self.logpath, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [PCSCD, "--foreground", "--config", str(self.confdir)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        STATE.write_text(f"{self.proc.pid}\n{self.confdir}")
        self.wait_readers(present=with_reader, timeout=timeout)

    def wait_readers(self, *, present: bool, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"pcscd exited with {self.proc.returncode}; see {self.logpath}")
            readers = list_readers()
            if present and readers:
                return
            if not present and readers == []:
                return
            time.sleep(0.05)
        raise TimeoutError(f"pcscd readers present={present} not reached in {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the pcscd we started (SIGTERM, then SIGKILL if it hangs)."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
        self.proc = None
        STATE.unlink(missing_ok=True)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def unplug(self) -> None:
        """The reader goes away while the PC/SC service keeps answering (see module doc)."""
        self.stop()
        self.start(with_reader=False)

    def plug(self) -> None:
        self.stop()
        self.start()
