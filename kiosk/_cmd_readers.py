"""Subcommands for readers/ (registered by kiosk.cli).

Import-time cost stays at argparse: the reader stack (pyscard, codes' scrypt) loads in handlers.
"""

from __future__ import annotations

import argparse

_MAX_TIMEOUT = 86_400.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands to sub."""
    _register_card(sub)


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
