"""Generates the kiosk's sounds: four earcons and the voice prompts in three languages.

    .venv/bin/python tools/make_sounds.py            # writes assets/sounds/
    .venv/bin/python tools/make_sounds.py --out DIR  # writes DIR (the test compares the bytes)

Earcons are synthesised with numpy (44.1 kHz, 16-bit mono); prompts are spoken by espeak-ng
(Mandarin ``cmn-latn-pinyin``, Cantonese ``yue``, English ``en``), trimmed, resampled to 16 kHz
and peak-normalised. The output is byte-for-byte reproducible: plain RIFF/WAVE with no dates,
arithmetic in float64, one fixed FFT resampler.

Every file written here carries a RIFF INFO tag naming this script. A file without it (a
recorded human voice put in its place, docs/sound.md) is left alone unless ``--force``.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from codes import Outcome
from kiosk._sound_plan import EARCONS, LANGUAGES, PROMPTS, SPOKEN, prompt_file

Samples = npt.NDArray[np.float64]

OUT = Path(__file__).resolve().parent.parent / "assets" / "sounds"
EARCON_RATE = 44_100
VOICE_RATE = 16_000
TAG = b"passkiosk tools/make_sounds.py"
# espeak-ng voice per kiosk language; ``cmn`` reads the pinyin its dictionary makes as English,
# ``cmn-latn-pinyin`` speaks it as Mandarin.
VOICES = {"zh_CN": "cmn-latn-pinyin", "zh_HK": "yue", "en": "en"}
SPEED_WPM = 145  # espeak-ng's default is 175; slower is easier to follow for older visitors
EARCON_PEAK = 0.6
VOICE_PEAK = 0.8


class SoundBuildError(RuntimeError):
    """A sound could not be generated (espeak-ng missing, or it read the text in a wrong voice)."""


# Earcons ----------------------------------------------------------------------------------------


def _note(freq: float, seconds: float, partials: Sequence[tuple[int, float]],
          decay: float) -> Samples:
    """One note: harmonic partials under a short attack and an exponential decay (``decay`` is
    the time constant in seconds; large means sustained)."""
    t = np.arange(round(seconds * EARCON_RATE), dtype=np.float64) / EARCON_RATE
    wave_ = sum((amp * np.sin(2 * np.pi * freq * k * t) for k, amp in partials),
                np.zeros_like(t))
    attack = np.minimum(1.0, t / 0.008)
    release = np.minimum(1.0, (seconds - t) / 0.015)  # no click at the end
    return wave_ * attack * release * np.exp(-t / decay)


def _normalise(samples: Samples, peak: float) -> Samples:
    scaled: Samples = samples * (peak / float(np.max(np.abs(samples))))
    return scaled


def _silence(seconds: float) -> Samples:
    return np.zeros(round(seconds * EARCON_RATE), dtype=np.float64)


BELL = ((1, 1.0), (2, 0.3), (3, 0.12))
SOFT = ((1, 1.0), (2, 0.2))
BUZZ = ((1, 1.0), (3, 0.33), (5, 0.2), (7, 0.14), (9, 0.11))  # band-limited square wave
BLIP = ((1, 1.0), (2, 0.15))


def earcon(outcome: Outcome) -> Samples:
    """The earcon for an outcome. Pitch and rhythm both differ, so each is recognisable by a
    person who hears only low or only high frequencies well:

    pass       rising C5 -> G5, bell-like                 short-long    0.45 s
    attention  two steady E5 tones                        long, long    0.58 s
    deny       three low buzzes at 185 Hz                 3 x short     0.55 s
    invalid    two quick C6 blips                         2 x very short 0.20 s
    """
    if outcome is Outcome.PASS:
        parts = [_note(523.25, 0.15, BELL, 0.25), _silence(0.03), _note(783.99, 0.27, BELL, 0.3)]
    elif outcome is Outcome.ATTENTION:
        parts = [_note(659.26, 0.22, SOFT, 2.0), _silence(0.14), _note(659.26, 0.22, SOFT, 2.0)]
    elif outcome is Outcome.DENY:
        pulse = _note(185.0, 0.13, BUZZ, 10.0)
        parts = [pulse, _silence(0.08), pulse, _silence(0.08), pulse]
    else:
        blip = _note(1046.5, 0.07, BLIP, 1.0)
        parts = [blip, _silence(0.06), blip]
    return _normalise(np.concatenate(parts), EARCON_PEAK)


# Voice prompts ----------------------------------------------------------------------------------


def _espeak(args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SoundBuildError("expected espeak-ng on PATH, found none: apt-get install espeak-ng")
    return subprocess.run([exe, *args], capture_output=True, check=True, timeout=60)


def _check_voice(language: str, text: str) -> None:
    """Refuses a Chinese prompt that espeak-ng would read partly in English (its dictionary
    gap shows as a ``(en)`` switch in the phonemes)."""
    if language == "en":
        return
    phonemes = _espeak(["-q", "-x", "-v", VOICES[language], text]).stdout.decode()
    if "(en)" in phonemes:
        raise SoundBuildError(f"expected {VOICES[language]} phonemes for {text!r}, "
                              f"got an English switch: {phonemes.strip()!r}")


def _read_wav(path: Path) -> tuple[Samples, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SoundBuildError(f"expected 16-bit mono from espeak-ng, got {w.getparams()}")
        raw = w.readframes(w.getnframes())
        rate = w.getframerate()
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0, rate


def _trim(samples: Samples, rate: int, threshold: float = 0.01, margin: float = 0.04) -> Samples:
    """Cuts espeak-ng's leading and trailing silence, so the voice follows the earcon at once."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        raise SoundBuildError("expected speech from espeak-ng, got silence")
    pad = round(margin * rate)
    return samples[max(0, loud[0] - pad):loud[-1] + pad]


def _resample(samples: Samples, rate: int, new_rate: int) -> Samples:
    """Band-limited resampling by truncating the spectrum (exact, deterministic, numpy only)."""
    n_out = round(len(samples) * new_rate / rate)
    spectrum = np.fft.rfft(samples)[: n_out // 2 + 1]
    return np.fft.irfft(spectrum, n_out) * (n_out / len(samples))


def _fade(samples: Samples, rate: int, seconds: float = 0.01) -> Samples:
    n = min(round(seconds * rate), len(samples) // 2)
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float64)
    out = samples.copy()
    out[:n] *= ramp
    out[len(out) - n:] *= ramp[::-1]
    return out


def voice(language: str, text: str) -> Samples:
    """``text`` spoken by espeak-ng in ``language``'s voice, at 16 kHz."""
    _check_voice(language, text)
    with tempfile.TemporaryDirectory(prefix="make_sounds-") as tmp:
        path = Path(tmp) / "out.wav"
        _espeak(["-v", VOICES[language], "-s", str(SPEED_WPM), "-w", str(path), text])
        samples, rate = _read_wav(path)
    samples = _resample(_trim(samples, rate), rate, VOICE_RATE)
    return _normalise(_fade(samples, VOICE_RATE), VOICE_PEAK)


# Files ------------------------------------------------------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def wav_bytes(samples: Samples, rate: int) -> bytes:
    """16-bit mono PCM RIFF/WAVE with this script's INFO tag after the data."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    info = _chunk(b"LIST", b"INFO" + _chunk(b"ISFT", TAG + b"\0"))
    body = b"WAVE" + _chunk(b"fmt ", fmt) + _chunk(b"data", pcm) + info
    return b"RIFF" + struct.pack("<I", len(body)) + body


def is_generated(path: Path) -> bool:
    """Whether ``path`` was written by this script (a recorded replacement is not)."""
    return TAG in path.read_bytes()


def build() -> dict[str, bytes]:
    """Every sound file, by its name relative to the sounds folder."""
    files = {EARCONS[o]: wav_bytes(earcon(o), EARCON_RATE) for o in Outcome}
    for language in LANGUAGES:
        for name in PROMPTS:
            files[prompt_file(name, language)] = wav_bytes(
                voice(language, SPOKEN[name][language]), VOICE_RATE)
    return files


def write(out: Path, files: dict[str, bytes], force: bool = False) -> list[str]:
    """Writes ``files`` under ``out``; keeps recorded replacements unless ``force``. Returns
    the names kept."""
    kept = []
    for name, data in files.items():
        path = out / name
        if path.exists() and not force and not is_generated(path):
            kept.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (assets/sounds)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite recorded replacements too")
    args = parser.parse_args(argv)
    try:
        files = build()
    except (SoundBuildError, subprocess.SubprocessError) as exc:
        print(f"make_sounds: {exc}", file=sys.stderr)
        return 1
    kept = write(args.out, files, force=args.force)
    total = sum(len(d) for d in files.values())
    print(f"wrote {len(files) - len(kept)} files ({total / 1024:.0f} KiB) to {args.out}")
    for name in kept:
        print(f"kept recorded {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
