"""``passkiosk verify --data`` and ``lookup --data`` in a fresh interpreter load no camera, TUF
or numpy code, nor the parts of our own packages and of cryptography a PK1 check does not use
(X.509 and the HC1 reader, the issuing side, the gate machine, cryptography's serialization
package): a one-shot check reads local lists and nothing else (what it imports, not how long it
takes; the time is bench/bench_lowpower.py's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.sync.datafolder import LISTED_ID, make_data_folder

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("tuf", "securesystemslib", "urllib3", "numpy", "cv2", "zxingcpp", "pyzbar",
         "PySide6", "shiboken6", "serial", "smartcard", "aiohttp", "service", "cbor2")
# Modules named exactly (their packages are needed).
UNUSED = ("cryptography.x509", "cryptography.hazmat.primitives.serialization", "codes._issue",
          "codes._hc1", "codes.indexing", "kiosk._gate", "sync._pull", "secrets", "uuid",
          "shutil", "codes.wire._records", "codes.wire._health", "codes.wire._lists",
          "codes.wire._upload", "codes._rev._delta")
# A token check hashes nothing itself (an ID or card lookup does: scrypt).
UNUSED_BY_TOKENS = (*UNUSED, "hashlib", "hmac", "_hashlib")

_RUN = (
    "import json, sys\n"
    "from kiosk.cli import main\n"
    "rc = main(sys.argv[2:])\n"
    "heavy, unused = json.loads(sys.argv[1])\n"
    "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
    "loaded += sorted(set(sys.modules) & set(unused))\n"
    "print(json.dumps({'rc': rc, 'loaded': loaded}), file=sys.stderr)\n"
)


def run(*args: str, unused: tuple[str, ...] = UNUSED
        ) -> tuple[dict[str, object], dict[str, object]]:
    p = subprocess.run([sys.executable, "-c", _RUN, json.dumps([HEAVY, unused]), *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(p.stderr.strip().splitlines()[-1])
    return json.loads(p.stdout), report


def test_verify_data_loads_no_camera_tuf_or_numpy(tmp_path: Path) -> None:
    token = make_data_folder(tmp_path / "k")
    out, report = run("verify", "--data", str(tmp_path / "k"), token, unused=UNUSED_BY_TOKENS)
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



def test_an_hc1_text_loads_the_hc1_reader_and_x509(tmp_path: Path) -> None:
    # The probe sees modules named exactly: an HC1 text does need the HC1 reader and X.509.
    make_data_folder(tmp_path / "k")
    out, report = run("verify", "--data", str(tmp_path / "k"), "HC1:NCFOXN%TS3DH")
    assert out["format"] == "HC1" and out["outcome"] == "invalid"
    assert report["rc"] == 0
    loaded = report["loaded"]
    assert isinstance(loaded, list) and {"codes._hc1", "cryptography.x509"} <= set(loaded)


_TWICE = (
    "import gc, json, sys\n"
    "from kiosk.cli import main\n"
    "args = sys.argv[1:]\n"
    "called = main(args)\n"
    "frozen_called = gc.get_freeze_count()\n"
    "sys.argv = ['passkiosk', *args]\n"
    "as_command = main()\n"
    "print(json.dumps([called, frozen_called, as_command, gc.get_freeze_count()]),\n"
    "      file=sys.stderr)\n"
)


def test_a_check_run_as_the_command_skips_the_final_collection(tmp_path: Path) -> None:
    # As the process's command (argv from sys.argv), verify leaves its objects to the OS
    # (gc.freeze: shutdown does not collect every imported class); called with an argument
    # list, as a library or a test would, it leaves the collector alone.
    token = make_data_folder(tmp_path / "k")
    p = subprocess.run([sys.executable, "-c", _TWICE, "verify", "--data", str(tmp_path / "k"),
                        token], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       check=False)
    called, frozen_called, as_command, frozen = json.loads(p.stderr.strip().splitlines()[-1])
    first, second = (json.loads(line) for line in p.stdout.splitlines())
    assert first == second and first["outcome"] == "pass"
    assert (called, frozen_called, as_command) == (0, 0, 0)
    assert frozen > 0
