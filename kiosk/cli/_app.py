"""``passkiosk demo`` and ``passkiosk run``: the kiosk app."""

from __future__ import annotations

import argparse

from kiosk._demo import run_demo
from kiosk._run import RunOptions, run_kiosk
from kiosk.cli._errors import UsageError
from sync import resolve_data_dir


def demo(args: argparse.Namespace) -> int:
    if args.headless and args.screenshots is None:
        raise UsageError("--headless needs --screenshots DIR")
    return run_demo(headless=args.headless, screenshots=args.screenshots, language=args.lang,
                    windowed=args.windowed)


def run(args: argparse.Namespace) -> int:
    return run_kiosk(
        RunOptions(
            data_dir=resolve_data_dir(args.data),
            config_path=args.config,
            language=args.lang,
            windowed=args.windowed,
            site=args.site,
            gate=args.gate,
            service_url=args.service,
            pcsc=False if args.no_pcsc else None,
            sam_port=args.sam,
            camera=args.camera,
            scanner_port=args.scanner,
        )
    )
