"""The wheel is a complete install: built from the checkout, installed into a new venv outside
it, the kiosk demo runs in its default zh_CN and `passkiosk verify` works from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.codes import helpers as h

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(the new venv's bin/, a work folder outside the checkout, a clean environment)."""
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "-w", str(work / "dist"), str(ROOT)], work, env)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (work / "dist").glob("passkiosk-*.whl")
    target = work / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    py = target / "bin" / "python"
    site = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                work, env).stdout.strip()
    # The new venv takes the dependencies already installed in the test venv through a .pth
    # line. A folder added that way does not get its own .pth files read, so the checkout's
    # editable finder stays out: the kiosk must come from the wheel.
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run([sys.executable, "-m", "pip", "--python", str(py), "install",
                      "--no-deps", "--no-index", str(wheel)], work, env)
    if installed.returncode != 0:  # pip older than 22.3 has no --python
        installed = _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                          "--target", site, str(wheel)], work, env)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return target / "bin", work, env


def test_the_packages_come_from_the_wheel(installed: tuple[Path, Path, dict[str, str]]) -> None:
    bindir, work, env = installed
    out = _run([str(bindir / "python"), "-c",
                "import kiosk, service, codes, sync, readers; "
                "print('\\n'.join(m.__file__ for m in (kiosk, service, codes, sync, readers)))"],
               work, env)
    assert out.returncode == 0, out.stderr
    for line in out.stdout.split():
        assert line.startswith(str(bindir.parent)) and not line.startswith(str(ROOT)), line


def test_demo_runs_from_the_wheel_in_chinese(installed: tuple[Path, Path, dict[str, str]]
                                             ) -> None:
    bindir, work, env = installed
    shots = work / "shots"
    demo = _run([str(bindir / "passkiosk"), "demo", "--headless", "--screenshots", str(shots)],
                work, {**env, "QT_QPA_PLATFORM": "offscreen"})
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert len(list(shots.glob("*.png"))) >= 8
    # The default language's translation is loaded from inside the installed package.
    probe = _run([str(bindir / "python"), "-c", (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from kiosk._app import TRANSLATIONS, application, install_language\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "app = application(headless=True); install_language(app, 'zh_CN')\n"
        "print(TRANSLATIONS)\n"
        "print(QCoreApplication.translate(\n"
        "    'Gate', 'Please tap your ID card or show your pass code'))\n")], work, env)
    assert probe.returncode == 0, probe.stderr[-3000:]
    folder, word = probe.stdout.strip().splitlines()[-2:]
    assert folder.startswith(str(bindir.parent)), folder
    assert any("\u4e00" <= c <= "\u9fff" for c in word), word


def test_verify_runs_from_the_wheel(installed: tuple[Path, Path, dict[str, str]]) -> None:
    bindir, work, env = installed
    trust = work / "trust.json"
    trust.write_bytes(h.trust_json())
    out = _run([str(bindir / "passkiosk"), "verify", "--trust-list", str(trust), "--now",
                str(h.NOW), h.token()], work, env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["outcome"] == "pass"
