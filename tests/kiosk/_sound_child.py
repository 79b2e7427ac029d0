"""Runs a SoundPlayer in its own process (QtMultimedia picks its audio backend once, at start).

    python -m tests.kiosk._sound_child [--sounds=DIR] VOLUME ACTION [ACTION ...]

An action is ``verdict:<outcome>:<reason>:<language>``, ``prompt:<name>:<language>``,
``exit`` (quit at once, with the sound still playing) or, first, ``await-output`` (start when an
audio output appears; prints ``{"available": true}`` then). Each
action after the first starts as soon as the previous one's first file starts playing, so it
interrupts it. Prints one JSON object per line: ``{"available": ...}``, then ``{"played": name}``
per file started and ``{"finished": true}``; exits when the last action has finished (or at
once when there is no audio output), with status 3 after 20 s.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer

from codes import Outcome
from kiosk._sound import SoundPlayer


def emit(**event: object) -> None:
    print(json.dumps(event), flush=True)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = QCoreApplication(argv[:1])
    args = argv[1:]
    sounds = Path(args.pop(0).removeprefix("--sounds=")) if args[0].startswith("--") else None
    player = SoundPlayer(sounds, volume=int(args[0]))
    actions = list(args[1:])
    emit(available=player.available)

    def run_next() -> None:
        kind, *args = actions.pop(0).split(":")
        if kind == "exit":  # leave while the sound plays: the player goes down with it
            app.quit()
        elif kind == "verdict":
            player.play_verdict(Outcome(args[0]), args[1], args[2])
        else:
            player.play_prompt(args[0], args[1])

    def on_played(name: str) -> None:
        emit(played=name)
        if actions:
            run_next()

    def on_finished() -> None:
        emit(finished=True)
        if not actions:
            app.quit()

    def on_available(available: bool) -> None:
        emit(available=available)
        if available and actions:
            run_next()

    player.played.connect(on_played)
    player.finished.connect(on_finished)
    player.availableChanged.connect(on_available)
    if actions[0] == "await-output":
        actions.pop(0)
        QTimer.singleShot(20_000, lambda: app.exit(3))
        return app.exec()
    run_next()
    if not player.available:
        while actions:
            run_next()  # silent: each returns at once, none raises or warns
        return 0
    QTimer.singleShot(20_000, lambda: app.exit(3))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
