"""Subcommands for readers/ (registered by kiosk.cli).

Import-time cost stays at argparse: the reader stack (pyscard, codes' scrypt) loads in handlers.
"""

from __future__ import annotations

import argparse

_MAX_TIMEOUT = 86_400.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands to sub."""
    _register_card(sub)
    _register_decode(sub)


# -- passkiosk card ---------------------------------------------------------------------------


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds as a number, got {text!r}") from None
    if not 0 < value <= _MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"expected 0 < S <= {_MAX_TIMEOUT:g}, got {text}")
    return value


def _register_card(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "card",
        help="read resident ID cards on the PC/SC readers",
        description=(
            "Watch every PC/SC reader and print one JSON line per card: "
            '{"serial": "<16 hex>", "ch": "<32 hex>", "reader": "..."} where ch is the card hash '
            "of PK1 spec section 5. Reader status goes to stderr."
        ),
    )
    p.add_argument("--once", action="store_true", help="stop after the first card")
    p.add_argument(
        "--timeout",
        type=_timeout,
        metavar="S",
        help="give up after S seconds (with --once: exit 1 when no card came)",
    )
    p.set_defaults(handler=_card)


def _card(args: argparse.Namespace) -> int:
    import json
    import queue
    import sys
    import time

    from codes import card_hash
    from readers import CardPresented, PcscCardReader, ReaderEvent, ReaderStatus

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


# -- passkiosk decode -------------------------------------------------------------------------


def _register_decode(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "decode",
        help="print the QR codes found in pictures",
        description=(
            'Print one JSON line per picture: {"image": "<path as given>", "codes": ["<text>", '
            "...]} (an empty list when the picture holds no code). zxing-cpp first, then a "
            "preprocessing cascade, then pyzbar. A file that cannot be read is reported on "
            "stderr and the command exits 2 after the other pictures."
        ),
    )
    p.add_argument("images", nargs="+", metavar="IMAGE", help="picture file (PNG, JPEG, ...)")
    p.set_defaults(handler=_decode)


def _decode(args: argparse.Namespace) -> int:
    import json
    import sys

    from readers import ImageReadError, decode_image_file

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
