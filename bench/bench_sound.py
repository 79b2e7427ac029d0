"""Kiosk sound latency: from ``SoundPlayer.play_verdict`` to the earcon's first sample.

    .venv/bin/python bench/bench_sound.py [--rounds 40] [--markdown docs/performance/sound.md]

Starts a private PulseAudio daemon with a null sink (tests/kiosk/_pulse.py), runs the player in
this process, and records the sink's monitor with ``parec`` through a pipe read by a thread.
For each verdict it notes the time of the call, the time ``played`` is emitted (Qt has handed
the file to its audio sink), and the time the first non-silent monitor chunk arrives. The
last is an upper bound on "verdict -> first sample out": it includes the monitor's own
capture block (parec asks for 5 ms). The first round after the player is made is reported
apart (the earcons are preloaded, the PulseAudio stream is not yet open).
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
import threading
import time
import wave
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.kiosk._pulse import missing_tools, null_sink  # noqa: E402

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication

RATE = 48_000
THRESHOLD = 300  # of 32767: well above the null sink's digital silence (exactly 0)


def _seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


EARCON_SECONDS = {name: _seconds(ROOT / "assets" / "sounds" / f"earcon_{name}.wav")
                  for name in ("pass", "attention", "deny", "invalid")}
OUTCOMES = ("pass:ok", "attention:status_yellow", "deny:status_red", "invalid:card_removed")


class Monitor:
    """Reads the monitor stream; reports when the first loud chunk after an arm() arrives."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self._fd = proc.stdout.fileno()
        self._armed = threading.Event()
        self.heard = threading.Event()
        self.heard_at = 0.0
        self.chunks = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def streaming(self) -> bool:
        """Whether parec is connected and its blocks arrive (silence from the idle sink)."""
        return self.chunks > 20

    def arm(self) -> None:
        self.heard.clear()
        self._armed.set()

    def _run(self) -> None:
        while chunk := os.read(self._fd, 480):  # 5 ms at 48 kHz mono s16
            now = time.monotonic()
            self.chunks += 1
            samples = np.frombuffer(chunk[: len(chunk) // 2 * 2], dtype="<i2")
            if self._armed.is_set() and samples.size and int(np.abs(samples).max()) > THRESHOLD:
                self.heard_at = now
                self._armed.clear()
                self.heard.set()


def pump(app: QCoreApplication, until: float, stop: threading.Event | None = None) -> None:
    """Runs Qt's events until ``until`` (monotonic) or until ``stop`` is set."""
    from PySide6.QtCore import QEventLoop

    while time.monotonic() < until and not (stop is not None and stop.is_set()):
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 2)


def pump_until_streaming(app: QCoreApplication, monitor: Monitor) -> None:
    deadline = time.monotonic() + 10
    while not monitor.streaming():
        if time.monotonic() > deadline:
            raise SystemExit("expected parec to stream the monitor within 10 s")
        pump(app, time.monotonic() + 0.01)
    pump(app, time.monotonic() + 0.1)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(rounds: int) -> dict[str, list[float]]:
    # QtMultimedia reads the PulseAudio environment once: set it before the first import.
    from PySide6.QtCore import QCoreApplication

    from codes import Outcome
    from kiosk._sound import SoundPlayer

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    player = SoundPlayer(volume=80)
    if not player.available:
        raise SystemExit("expected the null sink as an audio output, the player found none")
    parec = subprocess.Popen(
        ["parec", "-d", "pk.monitor", "--raw", "--format=s16le", f"--rate={RATE}",
         "--channels=1", "--latency-msec=5"], stdout=subprocess.PIPE)
    monitor = Monitor(parec)
    played_at: list[float] = []
    player.played.connect(lambda name: played_at.append(time.monotonic()))
    results: dict[str, list[float]] = {"first": [], "first_gap": [], "played": [], "sample": [],
                                       "gap": []}

    try:
        pump_until_streaming(app, monitor)
        for i in range(rounds + 1):
            outcome, reason = OUTCOMES[i % len(OUTCOMES)].split(":")
            played_at.clear()
            monitor.arm()
            t0 = time.monotonic()
            player.play_verdict(Outcome(outcome), reason, "zh_CN")
            pump(app, t0 + 2.0, monitor.heard)
            if not monitor.heard.is_set() or not played_at:
                raise SystemExit(f"round {i}: no sound within 2 s")
            sample_ms = (monitor.heard_at - t0) * 1000
            voice = threading.Event()
            player.played.connect(voice.set)
            pump(app, t0 + 5.0, voice)
            player.played.disconnect(voice.set)
            if len(played_at) < 2:
                raise SystemExit(f"round {i}: the voice line did not start within 5 s")
            gap_ms = (played_at[1] - played_at[0] - EARCON_SECONDS[outcome]) * 1000
            if i == 0:
                results["first"].append(sample_ms)
                results["first_gap"].append(gap_ms)
            else:
                results["played"].append((played_at[0] - t0) * 1000)
                results["sample"].append(sample_ms)
                results["gap"].append(gap_ms)
            player.stop()
            pump(app, time.monotonic() + 0.3)  # let the sink drain to silence
    finally:
        parec.terminate()
        parec.wait(timeout=10)
    return results


def measure_media_player(rounds: int) -> list[float]:
    """The same first-sample time with QMediaPlayer + QAudioOutput (FFmpeg decoding pipeline),
    the alternative to QSoundEffect; one player per earcon, its source set in advance."""
    from PySide6.QtCore import QCoreApplication, QUrl
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

    from kiosk._sound import SOUNDS

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    players = []
    for item in OUTCOMES:
        player = QMediaPlayer()
        output = QAudioOutput(player)
        output.setVolume(0.35)
        player.setAudioOutput(output)
        player.setSource(QUrl.fromLocalFile(str(SOUNDS / f"earcon_{item.split(':')[0]}.wav")))
        players.append(player)
    parec = subprocess.Popen(
        ["parec", "-d", "pk.monitor", "--raw", "--format=s16le", f"--rate={RATE}",
         "--channels=1", "--latency-msec=5"], stdout=subprocess.PIPE)
    monitor = Monitor(parec)
    times: list[float] = []

    try:
        pump_until_streaming(app, monitor)
        for i in range(rounds + 1):
            player = players[i % len(players)]
            monitor.arm()
            t0 = time.monotonic()
            player.play()
            pump(app, t0 + 2.0, monitor.heard)
            if not monitor.heard.is_set():
                raise SystemExit(f"QMediaPlayer round {i}: no sound within 2 s")
            if i > 0:
                times.append((monitor.heard_at - t0) * 1000)
            player.stop()
            pump(app, time.monotonic() + 0.3)
    finally:
        parec.terminate()
        parec.wait(timeout=10)
    return times


STARTUP = """
import json, os, sys, time
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
from PySide6.QtCore import QCoreApplication
app = QCoreApplication(sys.argv[:1])
rss0, t0 = rss(), time.perf_counter()
from kiosk._sound import SoundPlayer
t1 = time.perf_counter()
player = SoundPlayer()
t2 = time.perf_counter()
assert player.available
print(json.dumps({"import": (t1 - t0) * 1000, "make": (t2 - t1) * 1000, "rss": rss() - rss0}))
"""


def measure_startup(rounds: int) -> dict[str, list[float]]:
    """In fresh interpreters (Qt already up, as in the kiosk): importing the player (it loads
    QtMultimedia), making it (audio devices listed, earcons loaded), and the memory added."""
    out: dict[str, list[float]] = {"import": [], "make": [], "rss": []}
    for _ in range(rounds):
        done = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True,
                              timeout=120, cwd=ROOT, check=True)
        for key, value in json.loads(done.stdout.splitlines()[-1]).items():
            out[key].append(value)
    return out


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def report(results: dict[str, list[float]], rounds: int, load: tuple[float, float]) -> str:
    def row(what: str, values: list[float]) -> str:
        return (f"| {what} | {statistics.median(values):.1f} | {pct(values, 95):.1f} | "
                f"{max(values):.1f} | {len(values)} |")

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "# Kiosk sound (kiosk/_sound.py: QSoundEffect on PulseAudio)",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores (shared); {now}; Python "
        f"{platform.python_version()}. Command: `.venv/bin/python bench/bench_sound.py "
        f"--rounds {rounds}`. 1-minute load average before/after: {load[0]:.1f} / {load[1]:.1f}.",
        "",
        "| what | median ms | p95 ms | max ms | n |",
        "|---|---|---|---|---|",
        row("play_verdict -> first earcon sample at the sink (upper bound)", results["sample"]),
        row("play_verdict -> `played` emitted", results["played"]),
        row("earcon's end -> voice line's `played` (the pause between them)", results["gap"]),
        row("first verdict after start -> first sample", results["first"]),
        row("first verdict after start: pause between earcon and voice", results["first_gap"]),
        row("for comparison: QMediaPlayer.play() -> first earcon sample", results["media"]),
        row("start: `import kiosk._sound` (loads QtMultimedia)", results["import"]),
        row("start: `SoundPlayer()` (lists outputs, loads every file)", results["make"]),
        row("start: memory added by both (RSS, MiB, not ms)", results["rss"]),
        "",
        "Notes:",
        "- The sink is a PulseAudio null sink; its monitor is recorded by `parec` in 5 ms blocks "
        "read by a thread of this process, so the sample time is an upper bound that includes "
        "up to one capture block. A sound card adds its own output buffer.",
        "- Every file is loaded when the player is made. Each round plays a verdict until its "
        "voice line starts, then stops and lets the sink fall silent; the pause is the time "
        "from the earcon's end (its start plus its length) to the voice's `played`. Outcomes "
        "rotate pass, attention, deny, invalid; language zh_CN. A negative pause: Qt reported the "
        "earcon's end while its last samples were still in the stream buffer.",
        "- QMediaPlayer runs each file through its FFmpeg demuxer and decoder before the first "
        "sample; QSoundEffect plays PCM already in memory, which is why the kiosk uses it.",
        "- Start: QtMultimedia loads its FFmpeg integration even for QSoundEffect, which is "
        "most of the import time and memory; the kiosk can make the player after its first "
        "screen is painted.",
        "- Backend: PySide6's wheel ships Qt Multimedia's FFmpeg plugin for media; audio output "
        "on Linux goes through libpulse (Debian's libpulse0), to PulseAudio or to PipeWire's "
        "pulse socket.",
        "",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--markdown", type=Path, help="write the report here too")
    args = parser.parse_args()
    if missing := missing_tools():
        print(f"needs {' '.join(missing)} (dev.sh installs pulseaudio pulseaudio-utils)")
        return 2
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench_sound-") as tmp, null_sink(Path(tmp)) as srv:
        os.environ.update({k: srv.env[k] for k in
                           ("PULSE_SERVER", "PULSE_CLIENTCONFIG", "XDG_RUNTIME_DIR")})
        results = measure(args.rounds)
        results["media"] = measure_media_player(args.rounds)
        results.update(measure_startup(5))
    text = report(results, args.rounds, (load_before, os.getloadavg()[0]))
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
