"""The readers package's surface: events are cheap to import, devices load their libraries only
when used, and test-only code stays out of the product."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import readers

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("cv2", "numpy", "pyzbar", "zxingcpp", "serial", "smartcard")


def loaded_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport sys\n"
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_events_and_interfaces_load_no_device_library() -> None:
    code = (
        "import readers; from readers import CardPresented, CodeScanned, ReaderStatus, CardReader"
    )
    assert loaded_after(code) == []
    assert loaded_after("import readers._events") == []


def test_devices_load_their_libraries_on_first_use() -> None:
    # The same probe sees the libraries once a device is named: it can tell them apart.
    assert set(loaded_after("from readers import CameraScanner")) >= {"cv2", "numpy", "zxingcpp"}
    assert "serial" in loaded_after("from readers import SerialScanner")


def test_every_public_name_resolves_and_unknown_names_fail() -> None:
    for name in readers.__all__:
        assert getattr(readers, name) is not None, name
    for gone in ("degrade", "make_sample", "render_qr", "FAMILIES", "DegradeError"):
        assert not hasattr(readers, gone), gone
    with pytest.raises(AttributeError, match="no_such_name"):
        readers.no_such_name  # noqa: B018
