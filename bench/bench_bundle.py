"""The kiosk as shipped: bundle and package size, installed size, start to idle screen.

    sudo .venv/bin/python bench/bench_bundle.py [--starts 5] [--out docs/performance/bundle.md]

Builds the bundle and the .deb with the Makefile into a temp folder (timed), installs the .deb
with apt into a brand-new Debian 12 root (tests/packaging/_chroot.py: debootstrap minbase +
chroot), then starts the installed kiosk session several times the way its systemd unit does
(the unit's ExecStart and Environment, as its user, cage's headless backend; no systemd runs in
a chroot, so the clock starts when cage is executed) and measures, from that moment:

- READY=1: the kiosk's sd_notify that its window is up (what ``systemctl start`` waits for);
- idle painted: the first grim screenshot of cage's output that shows the idle screen filling
  it (tests/packaging/_session.py: white page, dark strip along the bottom), polled every
  ~0.1 s, so it is an upper bound by one poll (a grim capture takes ~50 ms).

Each start uses a fresh data folder state (the one the previous start left: a kiosk reboots
onto its own data). Needs root, debootstrap, make, dpkg-deb, cage's Debian dependencies.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.packaging._chroot import FreshRoot, unavailable  # noqa: E402
from tests.packaging._session import KioskSession  # noqa: E402


def du_bytes(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def mb(n: float) -> str:
    return f"{n / 1e6:.0f} MB"


def build(dist: Path, work: Path) -> dict[str, float]:
    times = {}
    for target in ("bundle", "deb"):
        t = time.monotonic()
        subprocess.run(["make", "-C", str(ROOT), target, f"DIST={dist}", f"WORK={work}",
                        f"PYTHON={sys.executable}"], check=True, capture_output=True)
        times[target] = time.monotonic() - t
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--starts", type=int, default=5, help="kiosk starts under cage (1..20)")
    ap.add_argument("--out", type=Path, help="write the markdown report here")
    args = ap.parse_args()
    if not 1 <= args.starts <= 20:
        ap.error("--starts: expected 1..20")
    why = unavailable()
    if why:
        sys.exit(f"bench_bundle: {why}")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        dist, work = Path(tmp, "dist"), Path(tmp, "work")
        build_s = build(dist, work)
        bundle = dist / "passkiosk"
        (deb,) = dist.glob("passkiosk_*_amd64.deb")
        files = sum(1 for p in bundle.rglob("*") if p.is_file())
        sizes = {"bundle": du_bytes(bundle), "deb": deb.stat().st_size}
        with FreshRoot() as root:
            (root.path / "srv/dist").mkdir(parents=True)
            subprocess.run(["cp", str(deb), str(root.path / "srv/dist")], check=True)
            t = time.monotonic()
            done = root.run("cd /srv && apt-get update -qq && apt-get install -y "
                            "./dist/passkiosk_*.deb", timeout=1800)
            install_s = time.monotonic() - t
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            extra = re.search(r"After this operation, ([\d.,]+ [kMG]B) of additional disk",
                              done.stdout)
            installed_kib = int(root.run("dpkg-query -W -f='${Installed-Size}' passkiosk")
                                .stdout)
            ready, painted = [], []
            for i in range(args.starts):
                session = KioskSession(root, Path(tmp, f"session-{i}.log"))
                try:
                    session.start()
                    painted.append(session.wait_painted(Path(tmp, f"idle-{i}.png"), 120))
                    ready.append(session.wait_for("READY=1", 120))
                finally:
                    session.stop()
                # The next start needs the runtime folder and socket made afresh.
                root.run("rm -rf /tmp/kiosk-runtime /tmp/kiosk-notify")
    lines = [
        "## The shipped kiosk: bundle, package, install, start (bench/bench_bundle.py)",
        "",
        f"{platform.node() or 'vm'}, {platform.machine()}, {os.cpu_count()} cores shared "
        f"(load {load[0]:.1f}), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. "
        f"`sudo .venv/bin/python bench/bench_bundle.py --starts {args.starts}`",
        "",
        "| measure | result |",
        "|---|---|",
        f"| `make bundle` (PyInstaller, clean) | {build_s['bundle']:.0f} s |",
        f"| `make deb` (dpkg-deb, gzip -6) | {build_s['deb']:.0f} s |",
        f"| bundle `dist/passkiosk/` | {mb(sizes['bundle'])} in {files} files |",
        f"| package `{deb.name}` | {mb(sizes['deb'])} |",
        f"| installed size of the package (Installed-Size) | {mb(installed_kib * 1024)} |",
        f"| apt on a fresh Debian 12 minbase: package + dependencies, disk used | "
        f"{extra.group(1) if extra else '?'} ({install_s:.0f} s incl. download) |",
        f"| start → READY=1 (window up), median / max of {args.starts} | "
        f"{statistics.median(ready):.2f} / {max(ready):.2f} s |",
        f"| start → idle screen painted (grim), median / max of {args.starts} | "
        f"{statistics.median(painted):.2f} / {max(painted):.2f} s |",
        "",
        f"Per start (s): READY=1 {', '.join(f'{x:.2f}' for x in ready)}; painted "
        f"{', '.join(f'{x:.2f}' for x in painted)}.",
        "",
        "Start is the exec of the unit's `ExecStart` (cage) as the unit's user; under systemd "
        "`systemctl start` returns at READY=1. cage runs headless with the pixman renderer "
        "(no GPU), 1280x720, rotated 180 degrees as in tests/packaging (see packaging/README.md). "
        "The bundle carries OpenCV (~150 MB with its libraries) and Qt "
        "(~140 MB): together two thirds of it.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
