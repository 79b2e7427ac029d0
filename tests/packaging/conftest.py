"""One bundle and one .deb per test session, built with the Makefile into a temp folder, and a
brand-new Debian 12 root with that .deb installed by apt (shared by the package tests)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.packaging._chroot import FreshRoot, unavailable

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 1800
INSTALL_TIMEOUT = 1800


@dataclass(frozen=True)
class Built:
    bundle: Path  # dist/passkiosk
    deb: Path  # dist/passkiosk_<ver>_amd64.deb


def make(target: str, dist: Path, work: Path) -> None:
    done = subprocess.run(
        ["make", "-C", str(ROOT), target, f"DIST={dist}", f"WORK={work}",
         f"PYTHON={sys.executable}"],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
    assert done.returncode == 0, f"make {target}:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    if shutil.which("make") is None or shutil.which("dpkg-deb") is None:
        pytest.skip("needs make and dpkg-deb (Debian packages make, dpkg)")
    dist = tmp_path_factory.mktemp("dist")
    work = tmp_path_factory.mktemp("pyinstaller")
    make("bundle", dist, work)
    make("deb", dist, work)  # packages the bundle just built (make sees it is up to date)
    (deb,) = dist.glob("passkiosk_*_amd64.deb")
    return Built(dist / "passkiosk", deb)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def installed(built: Built) -> Iterator[FreshRoot]:
    """A fresh Debian 12 root where ``apt-get install ./dist/passkiosk_*.deb`` ran."""
    why = unavailable()
    if why is not None:
        pytest.skip(f"fresh Debian root: {why}")
    # A session stopped with SIGTERM (a CI timeout) still unmounts the root on its way out.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    with FreshRoot() as root:
        (root.path / "srv/dist").mkdir(parents=True)
        shutil.copy(built.deb, root.path / "srv/dist" / built.deb.name)
        done = root.run("cd /srv && apt-get update -qq && "
                        "apt-get install -y -qq ./dist/passkiosk_*.deb", timeout=INSTALL_TIMEOUT)
        assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        yield root
    signal.signal(signal.SIGTERM, previous)


def clean_env(**extra: str) -> dict[str, str]:
    """An environment as bare as a service's: no venv, no Python variables, PATH=/usr/bin:/bin."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}
    env.update(extra)
    return env
