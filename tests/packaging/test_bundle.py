"""The PyInstaller bundle (``make bundle``): complete, free of test tools, and working with no
venv, no Python variables and ``PATH=/usr/bin:/bin`` (``env -i``)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
from pathlib import Path

import pytest

from tests.codes import helpers as h
from tests.codes.test_cli import qr_png
from tests.packaging.conftest import ROOT, Built, clean_env

pytestmark = pytest.mark.slow
TIMEOUT = 300
ASSETS = ROOT / "kiosk" / "assets"


def run(built: Built, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in clean_env(**env).items()),
                           str(built.bundle / "passkiosk"), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def relative_files(folder: Path, pattern: str) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob(pattern)}


def test_qt_plugins_for_every_display_and_sound(built: Built) -> None:
    plugins = built.bundle / "_internal" / "PySide6" / "Qt" / "plugins"
    platforms = {p.name for p in (plugins / "platforms").iterdir()}
    assert {"libqwayland.so", "libqxcb.so", "libqoffscreen.so"} <= platforms, platforms
    # cage speaks xdg-shell: Qt's Wayland client needs its shell integration plugin.
    assert (plugins / "wayland-shell-integration" / "libxdg-shell.so").is_file()
    multimedia = {p.name for p in (plugins / "multimedia").iterdir()}
    assert any(name.startswith("libffmpegmediaplugin") for name in multimedia), multimedia


def test_translations_and_sounds_are_all_there(built: Built) -> None:
    bundled = built.bundle / "_internal" / "kiosk" / "assets"
    source_qm = relative_files(ASSETS, "translations/*.qm")
    assert source_qm and relative_files(bundled, "translations/*.qm") == source_qm
    source_wav = relative_files(ASSETS, "sounds/**/*.wav")
    assert len(source_wav) > 10 and relative_files(bundled, "sounds/**/*.wav") == source_wav


def test_every_kiosk_side_module_and_no_stranger(built: Built) -> None:
    from PyInstaller.archive.readers import CArchiveReader

    pyz = CArchiveReader(str(built.bundle / "passkiosk")).open_embedded_archive("PYZ.pyz")
    modules = set(pyz.toc)
    for package in ("codes", "readers", "sync", "kiosk"):
        ours = {package} | {m.name for m in pkgutil.walk_packages([str(ROOT / package)],
                                                                   prefix=package + ".")}
        assert ours <= modules, sorted(ours - modules)
    strangers = {m for m in modules
                 if m.split(".")[0] in ("service", "tests", "virtualsmartcard", "pytest")}
    assert not strangers, sorted(strangers)
    on_disk = [p for p in built.bundle.rglob("*")
               if p.name in ("tests", "service", "virtualsmartcard", "vpcd")]
    assert not on_disk, on_disk


def test_verify_without_python_around(built: Built, tmp_path: Path) -> None:
    (tmp_path / "trust.json").write_bytes(h.trust_json())
    qr_png(tmp_path / "code.png", h.token())
    common = ["verify", "--trust-list", "trust.json", "--now", str(h.NOW)]
    text = run(built, *common, h.token(), cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert json.loads(text.stdout)["outcome"] == "pass"
    image = run(built, *common, "--image", "code.png", cwd=tmp_path)  # OpenCV + zxing-cpp
    assert image.returncode == 0, image.stderr
    assert json.loads(image.stdout)["outcome"] == "pass"
    bad = run(built, *common, "PK1:garbage", cwd=tmp_path)
    assert bad.returncode == 0 and json.loads(bad.stdout)["outcome"] == "invalid"


def test_the_service_is_not_in_the_bundle(built: Built, tmp_path: Path) -> None:
    p = run(built, "service", "init", cwd=tmp_path)
    assert p.returncode == 2
    assert "not installed on this machine" in p.stderr


def test_demo_walks_every_screen_headless(built: Built, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    p = run(built, "demo", "--headless", "--screenshots", str(shots), cwd=tmp_path,
            LANG="C.UTF-8")
    assert p.returncode == 0, p.stderr[-3000:]
    names = {s.name for s in shots.glob("*.png")}
    assert len(names) >= 40
    assert {"01-idle-zh_CN-1280x800.png", "02-idle-zh_HK-1280x800.png"} <= names
    # Qt found no missing font or translation: the demo would have said so on stderr.
    assert "not found" not in p.stderr
