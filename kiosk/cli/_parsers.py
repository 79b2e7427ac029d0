"""Every ``passkiosk`` subcommand's arguments; argparse only, so building the parser is cheap.

Each subcommand names its handler as ``module:function`` (``run``); the dispatcher imports only
that module, which imports what it needs at its top.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codes import parse_time

_MAX_TIMEOUT = 86_400.0

if TYPE_CHECKING:  # argparse's class is generic only to the type checker
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def terminal_columns() -> int:
    """The terminal width as ``shutil.get_terminal_size().columns`` gives it: ``COLUMNS`` when
    a positive number, else the width of the terminal on stdout, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    if stdout is None:
        return 80
    try:
        return os.get_terminal_size(stdout.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):  # closed, detached, not a terminal
        return 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter with the width argparse would pick, found without importing
    ``shutil`` (and with it ``bz2``, ``lzma``, ``fnmatch``: ~1.5 ms of every one-shot check):
    argparse makes a formatter for each ``add_argument``."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         terminal_columns() - 2 if width is None else width)


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` formatting with :class:`HelpFormatter` (its subcommands'
    parsers too: ``add_subparsers`` makes them of the parser's own class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def register_all(sub: Subparsers, only: str | None = None) -> None:
    """Every subcommand, or just ``only`` when it names one: a one-shot command then does not
    pay for building the other commands' options (argparse looks up a translation per help)."""
    for name, register in _COMMANDS.items():
        if only is None or only == name:
            register(sub)


def _register_service(sub: Subparsers) -> None:
    # Listed for --help; main() hands the arguments to the service's own parser.
    sub.add_parser("service", help="the provincial service and its admin commands "
                                   "(when installed beside the kiosk)", add_help=False)


def parse_now(text: str) -> int:
    """§7 ``--now`` for argparse: epoch seconds, or ISO 8601 (``codes.parse_time``)."""
    try:
        return parse_time(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _register_demo(sub: Subparsers) -> None:
    p = sub.add_parser(
        "demo",
        help="run the kiosk on demo data with simulated readers (on-screen buttons)",
        description="Full-screen kiosk demo: demo trust list and people, simulated ID-card tap, "
        "phone code and printed code. --headless runs the demo steps offscreen and writes one "
        "PNG per step and screen size.",
    )
    p.add_argument("--headless", action="store_true", help="no window: run the steps offscreen")
    p.add_argument("--screenshots", type=Path, metavar="DIR", help="folder for the step PNGs")
    _add_screen_options(p)
    p.set_defaults(run="kiosk.cli._app:demo")


def _register_run(sub: Subparsers) -> None:
    r = sub.add_parser(
        "run",
        help="run the gate kiosk on a data folder with real readers",
        description="The gate kiosk: verifies codes and ID cards against the lists synced into "
        "the data folder, writes an entry record for every verdict and, when the config names a "
        "service URL, syncs in the background. Settings come from the config file (TOML; the "
        "staff panel writes it back); the options below override it and are saved into it.",
    )
    r.add_argument("--data", metavar="DIR", help="kiosk data folder (default: platform data dir)")
    r.add_argument("--config", type=Path, metavar="FILE",
                   help="config file (default: /etc/passkiosk/config.toml if present, else "
                   "config.toml in the data folder)")
    r.add_argument("--site", help="site id to record (saved)")
    r.add_argument("--gate", help="gate id to record (saved)")
    r.add_argument("--service", metavar="URL", help="provincial service URL (saved)")
    r.add_argument("--no-pcsc", action="store_true", help="do not watch PC/SC card readers")
    r.add_argument("--sam", metavar="PORT", help="GA/T 467 ID-card reader serial port")
    r.add_argument("--camera", metavar="INDEX|FILE", help="camera index (or a video file)")
    r.add_argument("--scanner", metavar="PORT", help="serial scanner-gun port")
    _add_screen_options(r)
    r.set_defaults(run="kiosk.cli._app:run")


def _add_screen_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=("zh_CN", "zh_HK", "en"),
                   help="default screen language (default: the config file's, else the locale's)")
    p.add_argument("--windowed", action="store_true", help="a 1280x800 window, not full screen")


def _add_now(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--now",
        type=parse_now,
        metavar="T",
        help="the time to verify at: epoch seconds or ISO 8601 (no offset means UTC); "
        "required unless --data is given (then the kiosk clock there is the default)",
    )


def _add_source_options(p: argparse.ArgumentParser, *, trust: bool) -> None:
    """Options naming where trust and revocation data come from."""
    if trust:
        p.add_argument(
            "--trust-list", metavar="FILE", help="trust list JSON (PK1 spec §6) with issuer keys"
        )
        p.add_argument(
            "--trust-cert",
            metavar="FILE",
            action="append",
            default=[],
            help="an HC1 signing certificate (X.509, DER or PEM); may be repeated",
        )
    p.add_argument(
        "--revocation", metavar="FILE", help="revocation list JSON (PK1 spec §6); default: empty"
    )
    p.add_argument(
        "--data",
        metavar="DIR",
        help="a kiosk data folder: use the trust and revocation lists synced there by "
        "`passkiosk sync` (instead of --trust-list/--revocation) and report their age",
    )


def _register_verify(sub: Subparsers) -> None:
    p = sub.add_parser(
        "verify",
        help="verify one PK1 or HC1 code and print the verdict as JSON",
        description=(
            "Verify a PK1 or HC1 code (PK1 spec section 7) and print one JSON object with at "
            "least outcome, reason and format. Exit 0 whenever a verdict was reached, 2 on a "
            "usage error or an unreadable file."
        ),
    )
    _add_source_options(p, trust=True)
    _add_now(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("text", nargs="?", metavar="TEXT", help="the code text (PK1:... or HC1:...)")
    what.add_argument("--image", metavar="PNG", help="a picture holding exactly one QR code")
    p.set_defaults(run="kiosk.cli._codes:verify_command")


def _register_lookup(sub: Subparsers) -> None:
    p = sub.add_parser(
        "lookup",
        help="look up an ID number or card serial on the revocation list",
        description=(
            "Answer the no-token path (PK1 spec section 7): print one JSON object with outcome, "
            "reason and the subject hash sh (for --id) or card hash ch (for --card-serial). "
            "The ID number is hashed at once and never printed or stored."
        ),
    )
    _add_source_options(p, trust=False)
    _add_now(p)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--id", metavar="ID18", help="an 18-character resident ID number")
    who.add_argument("--card-serial", metavar="HEX16", help="a card's 8-byte serial as 16 hex")
    p.set_defaults(run="kiosk.cli._codes:lookup_command")


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds as a number, got {text!r}") from None
    if not 0 < value <= _MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"expected 0 < S <= {_MAX_TIMEOUT:g}, got {text}")
    return value


def _register_card(sub: Subparsers) -> None:
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
    p.set_defaults(run="kiosk.cli._readers:card")


def _register_decode(sub: Subparsers) -> None:
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
    p.set_defaults(run="kiosk.cli._readers:decode")


def _register_sync(sub: Subparsers) -> None:
    k = sub.add_parser("sync", help="one sync with the service (pull lists, push records)",
                       description="Pull the signed trust and revocation lists (TUF), push "
                                   "queued entry records, print JSON. Exit 1 if it failed.")
    k.add_argument("--data", metavar="DIR", help="kiosk data folder (default: platform folder)")
    k.add_argument("--service", metavar="URL", help="e.g. http://127.0.0.1:8443 (required to sync)")
    k.add_argument("--device-key", action="store_true",
                   help="print this kiosk's public key (for `service enroll-kiosk`) and exit")
    k.add_argument("--root", metavar="FILE",
                   help="the service's root.json (trust anchor; needed on the first sync only)")
    k.add_argument("--timeout", type=int, default=10, metavar="S", help="network timeout")
    k.add_argument("--no-push", action="store_true", help="only pull lists")
    k.set_defaults(run="kiosk.cli._sync:sync")


def _sha256_hex(text: str) -> str:
    if len(text) != 64 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise argparse.ArgumentTypeError(f"expected 64 hex digits, got {text!r}")
    return text


def _register_setup(sub: Subparsers) -> None:
    s = sub.add_parser(
        "setup",
        help="first run: enrol this kiosk with the provincial service",
        description="Save the site, gate and service URL (config file and store), set the "
        "staff PIN (read twice from the terminal, or one line with --pin-stdin), create the "
        "device key and print its public half for `passkiosk service enroll-kiosk`, take the "
        "service's root.json as trust anchor and pull the lists once. Safe to repeat. Run it as "
        "the kiosk user (sudo -u passkiosk passkiosk setup ...). Prints JSON; exit 1 when only "
        "the first sync failed.",
    )
    s.add_argument("--service", required=True, metavar="URL", help="provincial service URL")
    s.add_argument("--site", required=True, help="site id (letters, digits, space, - _ .)")
    s.add_argument("--gate", required=True, help="gate id")
    root = s.add_argument_group("trust anchor (one of them required)")
    root.add_argument("--root", metavar="FILE",
                      help="the service's root.json (its repo/metadata/1.root.json)")
    root.add_argument("--root-sha256", type=_sha256_hex, metavar="HEX",
                      help="fetch root.json from the service and check it has this SHA-256 "
                      "(also checks --root FILE)")
    s.add_argument("--data", metavar="DIR", help="kiosk data folder (default: platform folder)")
    s.add_argument("--config", type=Path, metavar="FILE",
                   help="config file (default: /etc/passkiosk/config.toml if present, else "
                   "config.toml in the data folder)")
    s.add_argument("--pin-stdin", action="store_true",
                   help="read the staff PIN as one line from standard input")
    s.add_argument("--lang", choices=("zh_CN", "zh_HK", "en"), help="default screen language")
    s.add_argument("--no-pcsc", action="store_true", help="no PC/SC card reader")
    s.add_argument("--sam", metavar="PORT", help="GA/T 467 ID-card reader serial port")
    s.add_argument("--camera", metavar="INDEX", help="camera index")
    s.add_argument("--scanner", metavar="PORT", help="serial scanner-gun port")
    s.add_argument("--timeout", type=int, default=10, metavar="S", help="network timeout")
    s.set_defaults(run="kiosk.cli._setup:setup")


# In --help order.
_COMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "demo": _register_demo,
    "run": _register_run,
    "verify": _register_verify,
    "lookup": _register_lookup,
    "card": _register_card,
    "decode": _register_decode,
    "sync": _register_sync,
    "setup": _register_setup,
    "service": _register_service,
}
COMMANDS = frozenset(_COMMANDS)
