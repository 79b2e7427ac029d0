"""Names a package exports but loads from their module on first use (PEP 562).

A one-shot ``passkiosk verify`` imports ``codes`` for one check: the issuing side, the delta
operations and the wire formats it never touches are left unloaded until something asks.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_getattr(package: str, where: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package`` that loads each name of ``where`` (name →
    module) on first use and keeps it in the package, so later look-ups skip the hook."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
