"""The app subcommands, ``demo`` and ``run`` (registered by kiosk.cli)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    p.set_defaults(handler=_demo)

    r = sub.add_parser(
        "run",
        help="run the gate kiosk on a data folder with real readers",
        description="The gate kiosk: verifies codes and ID cards against the lists synced into "
        "the data folder, writes an entry record for every verdict and, when the site config "
        "names a service URL, syncs in the background. --site/--gate/--service are saved in "
        "the data folder's site config.",
    )
    r.add_argument("--data", metavar="DIR", help="kiosk data folder (default: platform data dir)")
    r.add_argument("--site", help="site id to record (saved)")
    r.add_argument("--gate", help="gate id to record (saved)")
    r.add_argument("--service", metavar="URL", help="provincial service URL (saved)")
    r.add_argument("--no-pcsc", action="store_true", help="do not watch PC/SC card readers")
    r.add_argument("--sam", metavar="PORT", help="GA/T 467 ID-card reader serial port")
    r.add_argument("--camera", metavar="INDEX|FILE", help="camera index (or a video file)")
    r.add_argument("--scanner", metavar="PORT", help="serial scanner-gun port")
    _add_screen_options(r)
    r.set_defaults(handler=_run)


def _add_screen_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", default="zh_CN", choices=("zh_CN", "zh_HK", "en"))
    p.add_argument("--windowed", action="store_true", help="a 1280x800 window, not full screen")


def _demo(args: argparse.Namespace) -> int:
    if args.headless and args.screenshots is None:
        print("passkiosk demo: --headless needs --screenshots DIR", file=sys.stderr)
        return 2
    from codes import DeviceError
    from kiosk._demo import run_demo

    try:
        return run_demo(
            headless=args.headless,
            screenshots=args.screenshots,
            language=args.lang,
            windowed=args.windowed,
        )
    except DeviceError as exc:
        print(f"passkiosk demo: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from codes import DeviceError
    from kiosk._run import RunOptions, run_kiosk
    from sync import resolve_data_dir

    try:
        return run_kiosk(
            RunOptions(
                data_dir=resolve_data_dir(args.data),
                language=args.lang,
                windowed=args.windowed,
                site=args.site,
                gate=args.gate,
                service_url=args.service,
                pcsc=not args.no_pcsc,
                sam_port=args.sam,
                camera=args.camera,
                scanner_port=args.scanner,
            )
        )
    except DeviceError as exc:
        print(f"passkiosk run: {exc}", file=sys.stderr)
        return 2
