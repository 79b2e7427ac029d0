"""The ``demo`` subcommand (registered by kiosk.cli)."""

from __future__ import annotations

import argparse
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
    p.add_argument("--lang", default="zh_CN", choices=("zh_CN", "zh_HK", "en"))
    p.add_argument("--windowed", action="store_true", help="a 1280x800 window, not full screen")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import sys

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
