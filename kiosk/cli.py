"""The ``passkiosk`` command: one dispatcher, subcommands registered by small modules.

Start-up stays light: each ``_cmd_*`` module imports only argparse at import time and loads its
real work (Qt, OpenCV, the service) inside the handler, so ``passkiosk verify`` never imports Qt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kiosk import _cmd_app, _cmd_codes, _cmd_readers, _cmd_sync

_MODULES = (_cmd_app, _cmd_codes, _cmd_readers, _cmd_sync)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="passkiosk",
        description="Offline-first gate kiosk for health/pass codes and resident ID cards.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from codes import DeviceError, TokenError

    try:
        rc = args.handler(args)
    except KeyboardInterrupt:
        return 130
    except (DeviceError, TokenError) as exc:
        # Handlers answer the errors they expect; anything of ours left over still gets a
        # message a person can act on instead of a traceback.
        print(f"passkiosk {args.command}: {exc}", file=sys.stderr)
        return 2
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover - python -m kiosk.cli
    sys.exit(main())
