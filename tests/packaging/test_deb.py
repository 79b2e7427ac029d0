"""The Debian package (``make deb``): its metadata, and what ``apt-get install ./dist/...deb``
does to a brand-new Debian 12 root: files, user, unit, udev rules, the kiosk under cage, and an
update that keeps config and data."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from kiosk import load_config
from tests.packaging._chroot import FreshRoot
from tests.packaging._session import KioskSession, idle_screen_problems, unit_settings
from tests.packaging.conftest import ROOT, Built

pytestmark = pytest.mark.slow
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
DEPENDS = {"cage", "xwayland", "pcscd", "fonts-noto-cjk", "libpulse0", "libzbar0", "systemd"}


def dpkg_deb(*args: str) -> str:
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, timeout=300,
                          check=True).stdout


def ok(root: FreshRoot, command: str, **kw: str) -> str:
    done = root.run(command, **kw)  # type: ignore[arg-type]
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


# -- the package file -----------------------------------------------------------------------


def test_control_names_version_and_debian_dependencies(built: Built) -> None:
    assert built.deb.name == f"passkiosk_{VERSION}_amd64.deb"
    fields = dict(line.split(": ", 1) for line in dpkg_deb("-f", str(built.deb)).splitlines()
                  if ": " in line and not line.startswith(" "))
    assert (fields["Package"], fields["Version"], fields["Architecture"]) == (
        "passkiosk", VERSION, "amd64")
    depends = {d.strip().split()[0] for d in fields["Depends"].split(",")}
    assert depends >= DEPENDS, DEPENDS - depends
    assert int(fields["Installed-Size"]) > 100_000  # KiB: the whole bundle is counted


def test_contents_are_the_kiosk_and_nothing_for_tests(built: Built, tmp_path: Path) -> None:
    listing = dpkg_deb("-c", str(built.deb))
    paths = {line.split()[5].removeprefix(".") for line in listing.splitlines()}
    for wanted in ("/opt/passkiosk/passkiosk", "/etc/passkiosk/config.toml",
                   "/lib/systemd/system/passkiosk-kiosk.service",
                   "/lib/udev/rules.d/70-passkiosk.rules", "/usr/bin/passkiosk",
                   "/usr/share/doc/passkiosk/deploy.md"):
        assert wanted in paths, wanted
    strays = [p for p in paths if re.search(r"/(tests|service|virtualsmartcard|vpcd)(/|$)", p)]
    assert not strays, strays
    dpkg_deb("-e", str(built.deb), str(tmp_path / "control"))
    assert (tmp_path / "control" / "conffiles").read_text().split() == [
        "/etc/passkiosk/config.toml"]
    # The shipped config is one the kiosk accepts.
    dpkg_deb("-x", str(built.deb), str(tmp_path / "tree"))
    cfg = load_config(tmp_path / "tree" / "etc/passkiosk/config.toml")
    assert cfg.readers.pcsc and cfg.service_url is None


# -- installed into a fresh Debian 12 root ----------------------------------------------------


def test_files_and_the_locked_down_user(installed: FreshRoot) -> None:
    root = installed.path
    assert (root / "opt/passkiosk/passkiosk").stat().st_mode & 0o111
    link = (root / "usr/bin/passkiosk").readlink()  # relative: ../../opt/passkiosk/passkiosk
    assert os.path.normpath(Path("/usr/bin") / link) == "/opt/passkiosk/passkiosk"
    name, _, uid, _, _, home, shell = ok(installed, "getent passwd passkiosk").strip().split(":")
    assert int(uid) < 1000 and home == "/var/lib/passkiosk" and shell == "/usr/sbin/nologin"
    assert ok(installed, "getent shadow passkiosk").split(":")[1] in ("!", "*", "!*")
    login = installed.run("su - passkiosk -c 'echo logged-in'")
    assert login.returncode != 0 and "logged-in" not in login.stdout
    groups = set(ok(installed, "id -nG passkiosk").split())
    assert {"passkiosk", "dialout", "video", "input"} <= groups, groups
    assert ok(installed, "stat -c '%U %a' /var/lib/passkiosk /etc/passkiosk").split("\n")[:2] == [
        "passkiosk 700", "passkiosk 755"]
    conffiles = ok(installed, "dpkg-query -W -f='${Conffiles}' passkiosk")
    assert "/etc/passkiosk/config.toml" in conffiles
    assert ok(installed, "systemctl is-enabled passkiosk-kiosk.service").strip() == "enabled"
    assert name == "passkiosk"


def test_unit_verifies_and_is_sandboxed(installed: FreshRoot) -> None:
    unit = "/lib/systemd/system/passkiosk-kiosk.service"
    verify = installed.run(f"systemd-analyze verify {unit}")
    assert verify.returncode == 0 and not verify.stdout.strip() and not verify.stderr.strip(), (
        verify.stdout + verify.stderr)
    s = unit_settings(installed.path)
    assert s["Type"] == ["notify"] and s["NotifyAccess"] == ["all"]
    assert s["Restart"] == ["always"] and int(s["WatchdogSec"][0]) > 0
    assert "pcscd.socket" in " ".join(s["Wants"]).split()
    assert s["TTYPath"] == ["/dev/tty1"] and s["User"] == ["passkiosk"]
    assert s["ExecStart"][0].startswith("/usr/bin/cage ")
    assert s["ProtectSystem"] == ["strict"] and s["NoNewPrivileges"] == ["yes"]
    assert s["PrivateTmp"] == ["yes"] and s["ProtectHome"] == ["read-only"]
    assert s["ReadWritePaths"] == ["/var/lib/passkiosk /etc/passkiosk -/run/user"]
    security = installed.run("systemd-analyze security --offline=true --threshold=50 "
                             f"{unit}")
    assert security.returncode == 0, security.stdout[-3000:] + security.stderr
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert exposure is not None and float(exposure.group(1)) <= 5.0, security.stdout[-500:]


def test_udev_rules_give_the_kiosk_its_devices(installed: FreshRoot) -> None:
    rules = (installed.path / "lib/udev/rules.d/70-passkiosk.rules").read_text()
    active = [line for line in rules.splitlines() if line and not line.startswith("#")]
    for subsystem in ("tty", "video4linux", "input"):
        assert any(f'SUBSYSTEM=="{subsystem}"' in r and 'GROUP="passkiosk"' in r
                   for r in active), subsystem
    assert any("ttyUSB" in r and "ttyACM" in r for r in active)
    assert all('MODE="0660"' in r for r in active)


def test_the_installed_bundle_needs_no_python(installed: FreshRoot, tmp_path: Path) -> None:
    from tests.codes import helpers as h

    assert installed.run("command -v python3").returncode != 0  # none installed beside it
    (installed.path / "tmp/trust.json").write_bytes(h.trust_json())
    out = ok(installed, f"passkiosk verify --trust-list /tmp/trust.json --now {h.NOW} "
                        f"'{h.token()}'", user="passkiosk")
    assert '"outcome": "pass"' in out


def test_every_bundled_library_finds_its_dependencies(installed: FreshRoot) -> None:
    """What the bundle does not carry, the package's Depends must bring (ldd on every shared
    library, the way the bundle's loader searches: its own folders first)."""
    out = ok(installed, r"""
        cd /opt/passkiosk/_internal
        export LD_LIBRARY_PATH=$PWD:$PWD/PySide6/Qt/lib
        find . -name '*.so*' -type f | while read -r lib; do
            ldd "$lib" 2>/dev/null | grep 'not found' | sed "s|^|$lib: |"
        done""")
    assert out.strip() == "", out[-3000:]


def test_kiosk_starts_under_cage_and_paints_the_idle_screen(installed: FreshRoot,
                                                           tmp_path: Path) -> None:
    # pcscd from the package's Depends, as pcscd.socket would start it.
    pcscd = subprocess.Popen(["chroot", str(installed.path), "pcscd", "--foreground"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    session = KioskSession(installed, tmp_path / "session.log")
    try:
        comm = installed.path / "run/pcscd/pcscd.comm"
        deadline = time.monotonic() + 30
        while not comm.exists() and time.monotonic() < deadline and pcscd.poll() is None:
            time.sleep(0.1)
        session.start()
        ready = session.wait_for("READY=1", timeout=120)
        session.wait_for("WATCHDOG=1", timeout=10)  # pinged at half of WATCHDOG_USEC
        shot = tmp_path / "idle.png"
        painted = session.wait_painted(shot, timeout=60)
        print(f"READY=1 after {ready:.2f} s, idle screen painted after {painted:.2f} s; "
              f"screenshot {shot}")
        assert idle_screen_problems(shot) == []
        # Still alive and pinging from its GUI thread after painting.
        pings = [session.wait_for("WATCHDOG=1", timeout=10) for _ in range(3)]
        assert max(pings) > painted, (pings, painted)
    finally:
        session.stop()
        pcscd.terminate()
        pcscd.wait(timeout=20)
    log = (tmp_path / "session.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def test_an_update_keeps_config_and_data(installed: FreshRoot, built: Built,
                                         tmp_path: Path) -> None:
    # The staff panel's kind of change to the conffile, and data the kiosk wrote.
    config = installed.path / "etc/passkiosk/config.toml"
    config.write_text(config.read_text().replace('site = "unconfigured"', 'site = "Gate-7"'))
    ok(installed, "echo kept > /var/lib/passkiosk/records.probe", user="passkiosk")
    # The next version: the same tree with a higher version number.
    tree = tmp_path / "next"
    dpkg_deb("-R", str(built.deb), str(tree))
    control = tree / "DEBIAN" / "control"
    control.write_text(control.read_text().replace(f"Version: {VERSION}",
                                                   f"Version: {VERSION}+next1"))
    dist = installed.path / "srv/dist"
    dpkg_deb("--root-owner-group", "-Znone", "-b", str(tree), str(dist / "next.deb"))
    ok(installed, "cd /srv && apt-get install -y -qq ./dist/next.deb")
    assert ok(installed, "dpkg-query -W -f='${Version}' passkiosk") == f"{VERSION}+next1"
    assert 'site = "Gate-7"' in config.read_text()
    assert ok(installed, "cat /var/lib/passkiosk/records.probe", user="passkiosk") == "kept\n"
    assert ok(installed, "getent passwd passkiosk").split(":")[6].strip() == "/usr/sbin/nologin"
    shutil.rmtree(tree)
