"""Plays the kiosk's earcons and voice prompts through QtMultimedia.

``QSoundEffect`` plays the uncompressed WAV files with the least delay Qt offers (no decoder
pipeline; on Linux it writes straight to PulseAudio through libpulse, which also serves
PipeWire's pulse socket). Every file is loaded when the player is made, so a verdict's earcon
starts without touching the disk and its voice line follows without a pause.

A kiosk without an audio output keeps working silently: the player then never creates a sound
effect (Qt would warn on every play). An output that appears while the sound server runs (a USB
speaker plugged in) is picked up; a sound server started after the kiosk is not (Qt connects
once, docs/sound.md).
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtMultimedia import QAudioDevice, QMediaDevices, QSoundEffect, QtAudio

from codes import Outcome
from kiosk._sound_plan import all_files, prompt_file, verdict_files

# kiosk/assets is the installed copy of the top-level assets/ folder (kiosk._app).
SOUNDS = Path(__file__).resolve().parent / "assets" / "sounds"

log = logging.getLogger(__name__)


def linear_volume(percent: int) -> float:
    """A volume setting (0-100, as a person hears it) as the linear gain Qt plays at."""
    level = min(100, max(0, percent)) / 100.0
    return float(QtAudio.convertVolume(level, QtAudio.VolumeScale.LogarithmicVolumeScale,
                                       QtAudio.VolumeScale.LinearVolumeScale))


class SoundPlayer(QObject):
    """Plays a verdict's earcon and spoken line, or one prompt, one file after another.

    A new verdict or prompt interrupts whatever is playing. Names passed in come from
    ``kiosk._sound_plan`` (``SoundPlanError`` for an unknown language, prompt or reason); a
    missing or unreadable file is skipped with one log line, never raised."""

    #: A file started playing; its name relative to the sounds folder (``"zh_CN/pass.wav"``).
    played = Signal(str)
    #: The files asked for have all played (not emitted when interrupted or stopped).
    finished = Signal()
    #: ``available`` changed: an audio output appeared (True) or the last one went (False).
    availableChanged = Signal(bool)

    def __init__(self, sounds_dir: Path | None = None, volume: int = 80,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._dir = sounds_dir if sounds_dir is not None else SOUNDS
        self._volume = linear_volume(volume)
        self._effects: dict[str, QSoundEffect] = {}
        self._queue: deque[str] = deque()
        self._current: QSoundEffect | None = None
        self._reported: set[str] = set()
        self._devices = QMediaDevices(self)
        self._devices.audioOutputsChanged.connect(self._outputs_changed)
        self._device = QMediaDevices.defaultAudioOutput()
        self._preload()

    @property
    def available(self) -> bool:
        """Whether there is an audio output to play to (False: the kiosk stays silent)."""
        return not self._device.isNull()

    def play_verdict(self, outcome: Outcome, reason: str, language: str) -> None:
        """The outcome's earcon, then the verdict's spoken line in ``language``."""
        self._play(verdict_files(outcome, reason, language))

    def play_prompt(self, name: str, language: str) -> None:
        """One spoken prompt (``kiosk._sound_plan.PROMPTS``, e.g. ``"idle_help"``)."""
        self._play((prompt_file(name, language),))

    def set_volume(self, percent: int) -> None:
        """Volume 0-100 (clamped); 0 is silent. Applies to the sound playing now too."""
        self._volume = linear_volume(percent)
        for effect in self._effects.values():
            effect.setVolume(self._volume)

    def stop(self) -> None:
        """Stops the sound playing now and drops the rest of its sequence."""
        self._queue.clear()
        current, self._current = self._current, None
        if current is not None:
            current.stop()

    # Internals ----------------------------------------------------------------------------------

    def _play(self, names: tuple[str, ...]) -> None:
        self.stop()
        if not self.available:
            return
        self._queue.extend(names)
        self._next()

    def _next(self) -> None:
        while self._queue:
            name = self._queue.popleft()
            effect = self._effect(name)
            if effect is None:
                self._report(name, "is missing")
                continue
            if effect.status() is QSoundEffect.Status.Error:
                self._report(name, "cannot be played")
                continue
            self._current = effect
            effect.play()
            return
        self._current = None
        self.finished.emit()

    def _effect(self, name: str) -> QSoundEffect | None:
        effect = self._effects.get(name)
        if effect is not None:
            return effect
        path = self._dir / name
        if not path.is_file():
            return None
        effect = QSoundEffect(self._device, self)
        effect.setVolume(self._volume)
        effect.setSource(QUrl.fromLocalFile(str(path)))
        effect.playingChanged.connect(lambda e=effect, n=name: self._playing_changed(e, n))
        effect.statusChanged.connect(lambda e=effect, n=name: self._status_changed(e, n))
        self._effects[name] = effect
        return effect

    def _playing_changed(self, effect: QSoundEffect, name: str) -> None:
        if effect is not self._current or not shiboken6.isValid(effect):
            return  # an interrupted sound stopping, or the player going down while it plays
        if effect.isPlaying():
            self.played.emit(name)
        else:
            self._next()

    def _status_changed(self, effect: QSoundEffect, name: str) -> None:
        # A file that fails to load after play() was asked never reports playing: move on.
        if (effect is self._current and shiboken6.isValid(effect)
                and effect.status() is QSoundEffect.Status.Error):
            self._report(name, "cannot be played")
            self._next()

    def _report(self, name: str, problem: str) -> None:
        if name not in self._reported:
            self._reported.add(name)
            log.warning("sound %s %s (in %s); playing on without it", name, problem, self._dir)

    def _preload(self) -> None:
        # Every file is loaded up front: QSoundEffect loading a file while another effect
        # starts playing delays that effect's end (so the voice line after the earcon) by about
        # two seconds (Qt 6.11, measured). All the files hold ~4 MB of samples.
        if self.available:
            for name in all_files():
                self._effect(name)

    def _outputs_changed(self) -> None:
        device: QAudioDevice = QMediaDevices.defaultAudioOutput()
        if device == self._device:
            return
        was_available = self.available
        self.stop()
        self._device = device
        for effect in self._effects.values():
            effect.setAudioDevice(device)
        self._preload()
        if self.available != was_available:
            self.availableChanged.emit(self.available)
