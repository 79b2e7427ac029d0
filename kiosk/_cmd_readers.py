"""Subcommands for readers/ (registered by kiosk.cli)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands to sub."""
    del sub
