"""codes.wire loads each name from its module on first use: every public name must resolve,
in a fresh interpreter, to the object its module defines, and nothing else may."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_PROBE = (
    "import json, codes.wire as w\n"
    "out = {}\n"
    "for name in w.__all__:\n"
    "    obj = getattr(w, name)\n"
    "    out[name] = getattr(obj, '__module__', None) if callable(obj) else type(obj).__name__\n"
    "print(json.dumps(out))\n"
)


def test_every_public_name_resolves_from_its_own_module() -> None:
    p = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True,
                       text=True, timeout=60, check=True)
    resolved = json.loads(p.stdout)
    import codes.wire as wire

    assert sorted(resolved) == sorted(set(wire.__all__))  # no name listed twice
    for name, where in resolved.items():
        if where is not None and where.startswith("codes."):
            assert where.startswith("codes.wire."), f"{name} comes from {where}"


def test_an_unknown_name_is_an_attribute_error() -> None:
    import codes.wire as wire

    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = wire.nothing_here
