"""Kiosk sound: which files each verdict plays (pure), the files themselves (reproducible,
distinct earcons), and proof that the player plays them: a real PulseAudio null sink whose
monitor is recorded while a verdict plays, and a kiosk without any audio output that stays
silent and quiet."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from codes import REASONS, Outcome
from kiosk._sound_plan import (
    EARCONS,
    LANGUAGES,
    PROMPTS,
    SPOKEN,
    SoundPlanError,
    all_files,
    prompt_file,
    verdict_files,
)
from tests.kiosk._pulse import SINK, PulseServer, missing_tools, null_sink, wait_for

ROOT = Path(__file__).resolve().parents[2]
SOUNDS = ROOT / "assets" / "sounds"
GENERATOR = ROOT / "tools" / "make_sounds.py"
TAG = b"passkiosk tools/make_sounds.py"  # what the generator writes in each file's INFO chunk
Samples = npt.NDArray[np.float64]


def read_wav(path: Path) -> tuple[Samples, int]:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2), w.getparams()
        raw = w.readframes(w.getnframes())
        return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0, w.getframerate()


# The plan (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_verdict_plays_its_earcon_then_an_existing_line(outcome: Outcome,
                                                              language: str) -> None:
    for reason in sorted(REASONS):
        earcon, line = verdict_files(outcome, reason, language)
        assert earcon == f"earcon_{outcome.value}.wav"
        assert line.startswith(f"{language}/")
        assert (SOUNDS / earcon).is_file()
        assert (SOUNDS / line).is_file(), line


def test_a_pass_always_says_go_through_whatever_the_reason() -> None:
    # Site policy may let an amber reason pass: the voice follows the outcome, not the reason.
    for reason in ("ok", "no_record", "status_yellow", "stale_data"):
        assert verdict_files(Outcome.PASS, reason, "zh_CN") == ("earcon_pass.wav",
                                                                "zh_CN/pass.wav")


def test_reasons_worth_saying_have_their_own_line() -> None:
    assert verdict_files(Outcome.INVALID, "card_removed", "zh_HK")[1] == "zh_HK/card_removed.wav"
    assert verdict_files(Outcome.INVALID, "expired", "en")[1] == "en/code_expired.wav"
    assert verdict_files(Outcome.INVALID, "malformed", "zh_CN")[1] == "zh_CN/not_a_pass_code.wav"
    assert verdict_files(Outcome.DENY, "revoked_token", "en")[1] == "en/code_withdrawn.wav"
    # Without a line of its own the outcome speaks.
    assert verdict_files(Outcome.DENY, "status_red", "en")[1] == "en/see_staff.wav"
    assert verdict_files(Outcome.ATTENTION, "stale_data", "en")[1] == "en/wait_for_staff.wav"
    assert verdict_files(Outcome.INVALID, "bad_signature", "en")[1] == "en/try_again.wav"


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: verdict_files(Outcome.PASS, "ok", "fr"), "expected a kiosk language"),
    (lambda: verdict_files(Outcome.PASS, "because", "en"), "expected a verdict reason"),
    (lambda: prompt_file("hello", "en"), "expected a prompt name"),
    (lambda: prompt_file("pass", "zh_TW"), "got 'zh_TW'"),
])
def test_unknown_names_are_refused_saying_what_was_expected(call: object,
                                                            expected: str) -> None:
    assert callable(call)
    with pytest.raises(SoundPlanError, match=expected):
        call()


def test_the_plan_speaks_the_screen_languages() -> None:
    from kiosk._app import LANGUAGES as SCREEN_LANGUAGES

    assert LANGUAGES == SCREEN_LANGUAGES


def test_every_prompt_is_written_in_every_language() -> None:
    for name in PROMPTS:
        assert set(SPOKEN[name]) == set(LANGUAGES), name
        assert all(SPOKEN[name][lang].strip() for lang in LANGUAGES), name


def test_the_sounds_folder_holds_exactly_the_planned_files() -> None:
    found = {p.relative_to(SOUNDS).as_posix() for p in SOUNDS.rglob("*") if p.is_file()}
    assert found == set(all_files())


def test_the_plan_loads_no_qt() -> None:
    # A fresh interpreter: this test process may have loaded Qt for other tests already.
    code = ("import sys, kiosk._sound_plan\n"
            "print([m for m in sys.modules if 'PySide6' in m])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# The files ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """An earcon as a listener tells it apart: its first pitch and its rhythm."""

    first_pitch_hz: float
    bursts: tuple[float, ...]  # length of each sounding part, seconds


def shape(samples: Samples, rate: int) -> Shape:
    frame = rate // 100  # 10 ms: longer than one period of the lowest earcon note
    peaks = np.abs(samples[: len(samples) // frame * frame]).reshape(-1, frame).max(axis=1)
    loud = np.concatenate([[False], peaks > 0.05, [False]]).astype(np.int8)
    starts = np.flatnonzero(np.diff(loud) == 1)
    ends = np.flatnonzero(np.diff(loud) == -1)
    bursts = tuple(round(float(e - s) * frame / rate, 2) for s, e in zip(starts, ends, strict=True))
    first = samples[starts[0] * frame:starts[0] * frame + int(0.06 * rate)]
    spectrum = np.abs(np.fft.rfft(first * np.hanning(len(first)), 8 * len(first)))
    return Shape(float(np.argmax(spectrum) * rate / (8 * len(first))), bursts)


def test_earcons_are_short_and_differ_in_pitch_and_in_rhythm() -> None:
    shapes = {}
    for outcome, name in EARCONS.items():
        samples, rate = read_wav(SOUNDS / name)
        assert rate == 44_100
        assert len(samples) / rate <= 0.8, name
        shapes[outcome] = shape(samples, rate)
    pitches = sorted(s.first_pitch_hz for s in shapes.values())
    # At least a major third (26 %) between any two first pitches.
    assert all(b / a > 1.25 for a, b in itertools.pairwise(pitches)), shapes
    rhythms = [tuple(round(b / 0.05) for b in s.bursts) for s in shapes.values()]
    assert len(set(rhythms)) == len(rhythms), shapes
    assert len(shapes[Outcome.DENY].bursts) == 3, shapes  # the buzz pattern
    assert shapes[Outcome.DENY].first_pitch_hz < 250, shapes  # low


def test_voice_prompts_are_mono_speech_16_khz_when_generated() -> None:
    for language in LANGUAGES:
        for name in PROMPTS:
            path = SOUNDS / prompt_file(name, language)
            samples, rate = read_wav(path)
            assert rate == 16_000 or TAG not in path.read_bytes()  # a recording keeps its rate
            assert 0.3 < len(samples) / rate < 8, (language, name)
            assert np.sqrt(np.mean(samples**2)) > 0.05, (language, name)


needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (dev.sh installs it)")


def run_generator(out: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), *args],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_espeak
def test_the_generator_reproduces_the_shipped_files_byte_for_byte(tmp_path: Path) -> None:
    run_generator(tmp_path)
    compared = 0
    for name in all_files():
        shipped = (SOUNDS / name).read_bytes()
        if TAG in shipped:  # a recorded replacement is not the generator's to reproduce
            assert (tmp_path / name).read_bytes() == shipped, name
            compared += 1
    assert compared > 0


@needs_espeak
def test_the_generator_keeps_a_recorded_replacement(tmp_path: Path) -> None:
    recorded = tmp_path / "zh_HK" / "pass.wav"
    recorded.parent.mkdir()
    with wave.open(str(recorded), "wb") as w:  # a "recording": plain WAV, no generator tag
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(b"\x10\x00" * 16_000)
    before = recorded.read_bytes()
    assert "kept recorded zh_HK/pass.wav" in run_generator(tmp_path)
    assert recorded.read_bytes() == before
    run_generator(tmp_path, "--force")
    assert recorded.read_bytes() == (SOUNDS / "zh_HK" / "pass.wav").read_bytes()


# The player, in its own process -----------------------------------------------------------------


def run_player(env: dict[str, str], volume: int, *actions: str,
               sounds: Path | None = None) -> tuple[list[object], str]:
    where = [f"--sounds={sounds}"] if sounds is not None else []
    done = subprocess.run([sys.executable, "-m", "tests.kiosk._sound_child", *where,
                           str(volume), *actions], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env, check=False)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    events: list[object] = [json.loads(line) for line in done.stdout.splitlines()]
    return events, done.stderr


def test_without_an_audio_output_the_player_is_silent_and_quiet(tmp_path: Path) -> None:
    conf = tmp_path / "client.conf"
    conf.write_text("autospawn = no\n")
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/no-such-socket",
           "PULSE_CLIENTCONFIG": str(conf), "XDG_RUNTIME_DIR": str(tmp_path)}
    events, stderr = run_player(env, 80, "verdict:deny:status_red:zh_HK",
                                "verdict:pass:ok:en", "prompt:idle_help:zh_CN")
    assert events == [{"available": False}]
    # Qt says once at start that there is no server; nothing per sound played.
    assert "QSoundEffect" not in stderr, stderr
    assert stderr.count("\n") <= 6, stderr


@dataclass
class Recorder:
    """Records the null sink's monitor while a player runs."""

    server: PulseServer

    def record(self, volume: int, *actions: str) -> tuple[list[object], Samples]:
        """Runs the player while recording; its events and the samples (16 kHz mono). Qt
        warns about nothing while it plays."""
        raw = self.server.root / "monitor.raw"
        with raw.open("wb") as out:
            parec = subprocess.Popen(
                ["parec", "-d", self.server.monitor, "--raw", "--format=s16le", "--rate=16000",
                 "--channels=1", "--latency-msec=20"], stdout=out, env=self.server.env)
            try:
                # The null sink's monitor streams silence continuously: wait for the first bytes.
                wait_for(lambda: raw.stat().st_size > 3200, "parec to start recording")
                events, stderr = run_player(self.server.env, volume, *actions)
                assert "QSoundEffect" not in stderr and "WARNING" not in stderr, stderr
                size = raw.stat().st_size
                wait_for(lambda: raw.stat().st_size > size + 16_000, "the recording's tail")
            finally:
                parec.send_signal(signal.SIGINT)
                parec.wait(timeout=10)
        data = np.frombuffer(raw.read_bytes()[: raw.stat().st_size // 2 * 2], dtype="<i2")
        return events, data.astype(np.float64) / 32768.0


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    if missing := missing_tools():
        pytest.skip(f"{' '.join(missing)} not installed (dev.sh installs pulseaudio-utils)")
    with null_sink(tmp_path_factory.mktemp("pulse")) as server:
        yield Recorder(server)


def loudest_window_rms(samples: Samples, rate: int = 16_000) -> float:
    window = rate // 20
    usable = len(samples) // window * window
    frames = samples[:usable].reshape(-1, window)
    return float(np.sqrt(np.mean(frames**2, axis=1)).max())


def test_a_verdict_comes_out_of_the_speaker_earcon_first(pulse: Recorder) -> None:
    events, samples = pulse.record(80, "verdict:pass:ok:zh_CN")
    assert events == [{"available": True}, {"played": "earcon_pass.wav"},
                      {"played": "zh_CN/pass.wav"}, {"finished": True}]
    assert loudest_window_rms(samples) > 0.02
    # The first sound out is the pass earcon: its first note is C5 (523 Hz).
    onset = int(np.flatnonzero(np.abs(samples) > 0.01)[0])
    first = samples[onset + 160:onset + 160 + 1600]  # 10 ms in, 100 ms long
    spectrum = np.abs(np.fft.rfft(first * np.hanning(len(first)), 16_000))
    assert abs(float(np.argmax(spectrum)) - 523.25) < 15


def test_volume_zero_plays_the_same_files_in_silence(pulse: Recorder) -> None:
    events, samples = pulse.record(0, "verdict:pass:ok:zh_CN")
    assert events == [{"available": True}, {"played": "earcon_pass.wav"},
                      {"played": "zh_CN/pass.wav"}, {"finished": True}]
    assert len(samples) > 16_000
    assert float(np.abs(samples).max()) < 0.001


def test_a_new_verdict_interrupts_the_one_playing(pulse: Recorder) -> None:
    events, samples = pulse.record(80, "verdict:deny:status_red:zh_HK",
                                   "verdict:invalid:card_removed:en")
    # The deny's spoken line never starts: the invalid verdict cut in during its earcon.
    assert events == [{"available": True}, {"played": "earcon_deny.wav"},
                      {"played": "earcon_invalid.wav"}, {"played": "en/card_removed.wav"},
                      {"finished": True}]
    assert loudest_window_rms(samples) > 0.02


def test_a_prompt_plays_alone(pulse: Recorder) -> None:
    events, _ = pulse.record(80, "prompt:idle_help:zh_HK")
    assert events == [{"available": True}, {"played": "zh_HK/idle_help.wav"}, {"finished": True}]


def test_docs_list_every_spoken_line() -> None:
    rows = {line.split("|")[1].strip(" `"): line
            for line in (ROOT / "docs" / "sound.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("| `")}
    wrong = [(name, lang) for name in PROMPTS for lang in LANGUAGES
             if SPOKEN[name][lang] not in rows.get(name, "")]
    assert not wrong


def test_a_missing_file_is_skipped_with_one_log_line(pulse: Recorder, tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    shutil.copytree(SOUNDS, sounds)
    (sounds / "earcon_deny.wav").unlink()
    (sounds / "en" / "see_staff.wav").write_bytes(b"RIFF not a wave file")
    events, stderr = run_player(pulse.server.env, 80, "verdict:deny:status_red:en",
                                sounds=sounds)
    assert events == [{"available": True}, {"finished": True}]
    assert stderr.count("earcon_deny.wav is missing") == 1, stderr
    assert stderr.count("en/see_staff.wav cannot be played") == 1, stderr


def test_the_same_verdict_again_restarts_its_earcon(pulse: Recorder) -> None:
    events, _ = pulse.record(80, "verdict:pass:ok:en", "verdict:pass:ok:en")
    assert events == [{"available": True}, {"played": "earcon_pass.wav"},
                      {"played": "earcon_pass.wav"}, {"played": "en/pass.wav"},
                      {"finished": True}]


def test_leaving_while_a_sound_plays_is_quiet(pulse: Recorder) -> None:
    events, stderr = run_player(pulse.server.env, 80, "verdict:pass:ok:en", "exit")
    assert events == [{"available": True}, {"played": "earcon_pass.wav"}]
    assert "Traceback" not in stderr and "Error" not in stderr, stderr


def test_an_output_that_appears_later_is_used(pulse: Recorder) -> None:
    env = pulse.server.env
    subprocess.run(["pactl", "unload-module", "module-null-sink"], env=env, check=True,
                   timeout=30)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.kiosk._sound_child", "80", "await-output",
         "verdict:pass:ok:en"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=env)
    try:
        assert child.stdout is not None
        first = json.loads(child.stdout.readline())
    finally:
        # The speaker is plugged in (and the module's fixture gets its sink back).
        subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={SINK}"],
                       env=env, check=True, timeout=30, capture_output=True)
        subprocess.run(["pactl", "set-default-sink", SINK], env=env, check=True, timeout=30)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, (out, err)
    events = [first, *(json.loads(line) for line in out.splitlines())]
    assert events == [{"available": False}, {"available": True},
                      {"played": "earcon_pass.wav"}, {"played": "en/pass.wav"},
                      {"finished": True}]
