"""``passkiosk card`` (PC/SC ID cards as JSON lines) and ``passkiosk decode`` (QR codes in
pictures), for staff and for testing a reader from a shell."""

from __future__ import annotations

import argparse
import json
import queue
import sys
import time

from codes import card_hash
from readers import (
    CardPresented,
    ImageReadError,
    PcscCardReader,
    ReaderEvent,
    ReaderStatus,
    decode_image_file,
)


def card(args: argparse.Namespace) -> int:
    events: queue.Queue[ReaderEvent] = queue.Queue()
    reader = PcscCardReader(events.put)
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    reader.start()
    try:
        while True:
            left = 1.0 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                if args.once:
                    print(f"passkiosk card: no card within {args.timeout:g} s", file=sys.stderr)
                    return 1
                return 0
            try:
                event = events.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if isinstance(event, ReaderStatus):
                print(f"passkiosk card: readers {event.health}: {event.detail}", file=sys.stderr)
            elif isinstance(event, CardPresented):
                reader_name = event.source.removeprefix("pcsc:")
                if event.serial is None:
                    print(
                        f"passkiosk card: card on {reader_name!r} gave no 8-byte serial",
                        file=sys.stderr,
                    )
                    continue
                line = {
                    "serial": event.serial,
                    "ch": card_hash(event.serial).hex(),
                    "reader": reader_name,
                }
                print(json.dumps(line), flush=True)
                if args.once:
                    return 0
    finally:
        reader.stop()


def decode(args: argparse.Namespace) -> int:
    rc = 0
    for path in args.images:
        try:
            codes = decode_image_file(path)
        except ImageReadError as exc:
            print(f"passkiosk decode: {exc}", file=sys.stderr)
            rc = 2
            continue
        print(json.dumps({"image": path, "codes": codes}, ensure_ascii=False), flush=True)
    return rc
