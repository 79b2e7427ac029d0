"""The ``passkiosk`` command: ``main`` and ``build_parser``.

Building the parser is cheap (``_parsers``: argparse only). The chosen subcommand names its
handler as ``module:function``; only that module is imported, and it imports what it needs at its
top, so ``passkiosk verify`` never loads Qt or OpenCV. Every error of ours ends here as one line,
``passkiosk <command>: <message>``, and exit status 2 (PK1 spec §7). ``passkiosk service`` is
handed to the provincial service's own command through the ``passkiosk.commands`` entry point:
the kiosk never imports the service.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Callable, Sequence

from codes import DeviceError, TokenError
from kiosk.cli._errors import UsageError
from kiosk.cli._parsers import COMMANDS, ArgumentParser, register_all

Handler = Callable[[argparse.Namespace], int]

# The §7 checks: one answer printed, then the process ends.
_ONE_SHOT = frozenset({"verify", "lookup"})

__all__ = ["UsageError", "build_parser", "main"]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` just that subcommand (what ``main`` parses
    with when the first argument names one; its help and errors read the same)."""
    parser: argparse.ArgumentParser = ArgumentParser(
        prog="passkiosk",
        description="Offline-first gate kiosk for health/pass codes and resident ID cards.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register_all(sub, only)
    return parser


def _service_main() -> Callable[[Sequence[str], str], int] | None:
    """The service's command, found by entry point (absent on a kiosk-only install)."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="passkiosk.commands", name="service"):
        command: Callable[[Sequence[str], str], int] = ep.load()
        return command
    return None


def _handler(spec: str) -> Handler:
    module, _, name = spec.partition(":")
    handler: Handler = getattr(importlib.import_module(module), name)
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["service"]:
        service = _service_main()
        if service is None:
            print("passkiosk service: the provincial service is not installed on this machine",
                  file=sys.stderr)
            return 2
        return service(args_list[1:], "passkiosk service")
    first = args_list[0] if args_list else None
    args = build_parser(first if first in COMMANDS else None).parse_args(args_list)
    try:
        status = _handler(args.run)(args)
    except KeyboardInterrupt:
        return 130
    except (DeviceError, TokenError, UsageError) as exc:
        # Handlers raise what they cannot handle; a person gets one line to act on, not a
        # traceback.
        print(f"passkiosk {args.command}: {exc}", file=sys.stderr)
        return 2
    if argv is None and args.command in _ONE_SHOT:
        # This is the process's own command line and the process ends now: hide every object
        # from the collector, so that shutdown does not garbage-collect each class and function
        # the command imported (about a tenth of a `verify --data`'s CPU time; the OS takes the
        # memory back). Output is still flushed and atexit handlers still run.
        gc.freeze()
    return status
