"""``passkiosk verify --data`` and ``lookup --data`` in a fresh interpreter load no camera, TUF
or numpy code: a one-shot check reads local lists and nothing else (what it imports, not how
long it takes; the time is bench/bench_lowpower.py's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.sync.datafolder import LISTED_ID, make_data_folder

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("tuf", "securesystemslib", "urllib3", "numpy", "cv2", "zxingcpp", "pyzbar",
         "PySide6", "shiboken6", "serial", "smartcard", "aiohttp", "service")

_RUN = (
    "import json, sys\n"
    "from kiosk.cli import main\n"
    "rc = main(sys.argv[2:])\n"
    "heavy = json.loads(sys.argv[1])\n"
    "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
    "print(json.dumps({'rc': rc, 'loaded': loaded}), file=sys.stderr)\n"
)


def run(*args: str) -> tuple[dict[str, object], dict[str, object]]:
    p = subprocess.run([sys.executable, "-c", _RUN, json.dumps(HEAVY), *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(p.stderr.strip().splitlines()[-1])
    return json.loads(p.stdout), report


def test_verify_data_loads_no_camera_tuf_or_numpy(tmp_path: Path) -> None:
    token = make_data_folder(tmp_path / "k")
    out, report = run("verify", "--data", str(tmp_path / "k"), token)
    assert out["outcome"] == "pass" and out["data_stale"] is False
    assert report == {"rc": 0, "loaded": []}


def test_lookup_data_loads_no_camera_tuf_or_numpy(tmp_path: Path) -> None:
    make_data_folder(tmp_path / "k")
    out, report = run("lookup", "--data", str(tmp_path / "k"), "--id", LISTED_ID)
    assert out["outcome"] == "deny"
    assert report == {"rc": 0, "loaded": []}


def test_the_check_can_see_a_heavy_import(tmp_path: Path) -> None:
    # The same probe after `--image` (QR decoding) does report OpenCV and numpy.
    import qrcode

    token = make_data_folder(tmp_path / "k")
    qrcode.make(token).save(str(tmp_path / "code.png"))
    out, report = run("verify", "--data", str(tmp_path / "k"), "--image",
                      str(tmp_path / "code.png"))
    assert out["outcome"] == "pass"
    loaded = report["loaded"]
    assert isinstance(loaded, list) and {"cv2", "numpy"} <= set(loaded)
