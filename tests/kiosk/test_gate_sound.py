"""The whole gate app makes a sound for a verdict: a code is scanned, the gate shows "deny", and
the red earcon and its spoken line come out of a real PulseAudio null sink (recorded from its
monitor). The app runs in a child process, since QtMultimedia reads the sound server's address
once, when it starts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.kiosk._pulse import missing_tools, null_sink, wait_for

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys, tempfile
from pathlib import Path
from PySide6.QtCore import QTimer
from codes import Outcome, Verdict
from kiosk._config import KioskConfig
from kiosk._gateapp import GateApp
from sync import SiteConfig, Store

class RedVerifier:
    def check_code(self, text): return Verdict(Outcome.DENY, "status_red")
    def check_card(self, card): return Verdict(Outcome.DENY, "status_red")
    def check_id(self, id18): return Verdict(Outcome.DENY, "status_red")

folder = Path(tempfile.mkdtemp())
store = Store(folder)
store.save_site_config(SiteConfig(site_id="S", gate_id="1"))
gate = GateApp(KioskConfig(site="S", gate="1", volume=int(sys.argv[1])), store=store,
               verifier=RedVerifier(), data_dir=folder, config_path=None, headless=True)
played = []
gate.sound.played.connect(played.append)
gate.sound.finished.connect(lambda: (print(json.dumps(played)), gate.app.quit()))
QTimer.singleShot(500, lambda: gate.flow.code("PK1:ANY"))
QTimer.singleShot(20000, gate.app.quit)
gate.app.exec()
gate.close()
"""


@pytest.mark.skipif(bool(missing_tools()), reason="needs pulseaudio and pulseaudio-utils")
@pytest.mark.parametrize(("volume", "audible"), [(80, True), (0, False)])
def test_a_scanned_red_code_is_heard(tmp_path: Path, volume: int, audible: bool) -> None:
    with null_sink(tmp_path) as server:
        raw = tmp_path / "monitor.raw"
        with raw.open("wb") as out:
            parec = subprocess.Popen(
                ["parec", "-d", server.monitor, "--raw", "--format=s16le", "--rate=16000",
                 "--channels=1", "--latency-msec=20"], stdout=out, env=server.env)
            try:
                wait_for(lambda: raw.stat().st_size > 3200, "parec to start recording")
                done = subprocess.run([sys.executable, "-c", CHILD, str(volume)],
                                      capture_output=True, text=True, timeout=120, cwd=ROOT,
                                      env=server.env, check=False)
                size = raw.stat().st_size
                wait_for(lambda: raw.stat().st_size > size + 16_000, "the recording's tail")
            finally:
                parec.send_signal(signal.SIGINT)
                parec.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    played = json.loads(done.stdout.strip().splitlines()[-1])
    assert played[0] == "earcon_deny.wav" and played[1].startswith("zh_CN/"), played
    samples = np.frombuffer(raw.read_bytes()[: raw.stat().st_size // 2 * 2], dtype="<i2")
    loudest = float(np.abs(samples.astype(np.float64) / 32768.0).max())
    assert (loudest > 0.05) is audible, loudest
