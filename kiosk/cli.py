"""The ``passkiosk`` command: one dispatcher, subcommands registered by small modules.

Start-up stays light: each ``_cmd_*`` module imports only argparse at import time and loads its
real work (Qt, OpenCV, the service) inside the handler, so ``passkiosk verify`` never imports Qt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

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
    # Listed for --help; main() hands the arguments to the service's own parser.
    sub.add_parser("service", help="the provincial service and its admin commands "
                                   "(when installed beside the kiosk)", add_help=False)
    return parser


def _service_main() -> Callable[[Sequence[str], str], int] | None:
    """The service's command, found by entry point: the kiosk never imports the service."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="passkiosk.commands", name="service"):
        command: Callable[[Sequence[str], str], int] = ep.load()
        return command
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["service"]:
        service = _service_main()
        if service is None:
            print("passkiosk service: the provincial service is not installed on this machine",
                  file=sys.stderr)
            return 2
        return service(argv[1:], "passkiosk service")
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
