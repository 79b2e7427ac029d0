"""A private PulseAudio daemon with one null sink, for tests and benchmarks that listen to what
the kiosk plays: the sink ``pk`` swallows the sound and its monitor ``pk.monitor`` records it.

The daemon runs in a temp folder with its own socket (no session, no D-Bus); as root it warns
that it is not meant for root and runs, which is enough for a private socket (``--system``
is for a machine-wide daemon). Clients reach it through the environment in :attr:`env`;
QtMultimedia reads it once, when it starts, so a player must run in a process started with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SINK = "pk"
TOOLS = ("pulseaudio", "parec", "pactl")


@dataclass(frozen=True)
class PulseServer:
    env: dict[str, str]
    root: Path

    @property
    def monitor(self) -> str:
        return f"{SINK}.monitor"


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"expected {what} within {timeout} s, still waiting")
        time.sleep(0.05)


@contextmanager
def null_sink(root: Path) -> Iterator[PulseServer]:
    """Starts the daemon in ``root`` (an empty folder) and stops it on exit."""
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700)
    socket = runtime / "native"
    script = root / "kiosk.pa"
    script.write_text(
        f"load-module module-null-sink sink_name={SINK}\n"
        f"load-module module-native-protocol-unix socket={socket} auth-anonymous=1\n"
        f"set-default-sink {SINK}\n"
    )
    client = root / "client.conf"
    client.write_text("autospawn = no\n")
    env = {**os.environ, "HOME": str(root), "XDG_RUNTIME_DIR": str(runtime),
           "PULSE_SERVER": f"unix:{socket}", "PULSE_CLIENTCONFIG": str(client)}
    log_path = root / "pulseaudio.log"
    with log_path.open("wb") as log:
        # -n: only our script (no default.pa); never exit while idle between players.
        daemon = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             "--disallow-exit", "-F", str(script)], env=env, stdout=log, stderr=log)
        try:
            def ready() -> bool:
                if daemon.poll() is not None:
                    raise RuntimeError(f"pulseaudio exited: {log_path.read_text()}")
                return subprocess.run(["pactl", "info"], env=env, capture_output=True,
                                      timeout=10, check=False).returncode == 0
            wait_for(ready, "pulseaudio to accept clients")
            yield PulseServer(env, root)
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)
