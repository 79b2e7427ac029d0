"""A brand-new Debian 12 root to install the kiosk's package into (tests only).

Built the way ``../shared/tools/fresh-debian-check`` builds its root: ``debootstrap
--variant=minbase bookworm``, cached as a tarball (``/var/tmp/pk-packaging``, or that tool's own
cache when present), unpacked afresh for each test session into ``/var/tmp/pk-packaging/run-*``
(never under pytest's temp folders, which pytest deletes without regard to mounts), with
``/proc``, ``/sys``, ``/dev`` and ``/dev/pts`` bind-mounted (``/dev`` and ``/sys`` read-only),
a new tmpfs on ``/dev/shm`` (where wlroots puts its buffers), the host's resolver and CA
certificates copied in. Afterwards everything is unmounted and deleted with
``rm --one-file-system``: nothing of the host can go with it. A run left behind by a killed
session is cleaned up by the next one. Needs root, debootstrap and the Debian mirror.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
CACHE = Path(os.environ.get("PK_PACKAGING_CACHE", "/var/tmp/pk-packaging"))
FRESH_CACHE = Path("/var/tmp/pk-fresh/bookworm-minbase.tar")
MOUNTS = ("proc", "sys", "dev", "dev/pts")
DEBOOTSTRAP_TIMEOUT = 900


class ChrootError(RuntimeError):
    """The fresh root could not be made or a command in it failed to start."""


def unavailable() -> str | None:
    """Why no fresh root can be made here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root (debootstrap, chroot, mount)"
    if shutil.which("debootstrap") is None and not FRESH_CACHE.is_file() and not (
        CACHE / "bookworm-minbase.tar"
    ).is_file():
        return "needs debootstrap (Debian package debootstrap)"
    return None


def base_tarball() -> Path:
    if FRESH_CACHE.is_file():
        return FRESH_CACHE
    tar = CACHE / "bookworm-minbase.tar"
    if tar.is_file():
        return tar
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="base-", dir=CACHE))
    try:
        done = subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", str(work), MIRROR],
            capture_output=True, text=True, timeout=DEBOOTSTRAP_TIMEOUT, check=False)
        if done.returncode != 0:
            raise ChrootError(f"debootstrap failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        partial = tar.with_suffix(".part")
        subprocess.run(["tar", "-C", str(work), "-cf", str(partial), "."], check=True)
        partial.rename(tar)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tar


def _unmount_and_delete(folder: Path) -> None:
    root = folder / "root"
    for m in ("dev/shm", *reversed(MOUNTS)):
        if os.path.ismount(root / m):
            subprocess.run(["umount", "-l", str(root / m)], check=False)
    if not any(os.path.ismount(root / m) for m in (*MOUNTS, "dev/shm")):
        subprocess.run(["rm", "-rf", "--one-file-system", str(folder)], check=False)


def clean_stale_runs() -> None:
    """Unmount and delete the runs whose session is gone (killed before its teardown)."""
    for run in CACHE.glob("run-*"):
        try:
            pid = int((run / "pid").read_text())
        except (OSError, ValueError):
            pid = 0
        if pid and Path(f"/proc/{pid}").exists():
            continue
        _unmount_and_delete(run)


class FreshRoot:
    """A fresh Debian 12 root at ``path``; ``run`` executes a shell command inside it."""

    def __init__(self) -> None:
        CACHE.mkdir(parents=True, exist_ok=True)
        clean_stale_runs()
        self._run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=CACHE))
        (self._run_dir / "pid").write_text(str(os.getpid()))
        self.path = self._run_dir / "root"
        self._mounted: list[Path] = []

    def __enter__(self) -> FreshRoot:
        self.path.mkdir()
        subprocess.run(["tar", "-C", str(self.path), "-xf", str(base_tarball())], check=True)
        # The tarball's top folder came from mktemp (0700): other users must reach the root.
        for folder in (self._run_dir, self.path):
            folder.chmod(0o755)
        shutil.copy("/etc/resolv.conf", self.path / "etc/resolv.conf")
        with (self.path / "etc/apt/sources.list").open("a") as f:
            f.write("deb http://deb.debian.org/debian-security bookworm-security main\n")
        certs = Path("/usr/local/share/ca-certificates")
        if certs.is_dir():
            shutil.copytree(certs, self.path / "usr/local/share/ca-certificates",
                            dirs_exist_ok=True)
        (self.path / "etc/ssl/certs").mkdir(parents=True, exist_ok=True)
        bundle = Path("/etc/ssl/certs/ca-certificates.crt")
        if bundle.is_file():
            shutil.copy(bundle, self.path / "etc/ssl/certs/ca-certificates.crt")
        try:
            for m in MOUNTS:
                target = self.path / m
                subprocess.run(["mount", "--bind", f"/{m}", str(target)], check=True)
                self._mounted.append(target)
                # Nothing mounted below it (the /dev/shm tmpfs) may reach the host's tree.
                subprocess.run(["mount", "--make-private", str(target)], check=True)
                if m in ("dev", "sys"):  # device nodes still open read-write
                    subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
            shm = self.path / "dev/shm"
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777,size=256m", "tmpfs",
                            str(shm)], check=True)
            self._mounted.append(shm)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._mounted.clear()
        _unmount_and_delete(self._run_dir)

    def run(self, command: str, *, timeout: float = 600,
            user: str | None = None, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` with bash inside the root, as root or ``user``, in a clean
        environment (plus ``env``)."""
        ca = "/etc/ssl/certs/ca-certificates.crt"
        base = {"HOME": "/root", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "SSL_CERT_FILE": ca}
        base.update(env or {})
        args = ["chroot"]
        if user is not None:
            args.append(f"--userspec={user}:{user}")
            base["HOME"] = "/tmp"
        args += [str(self.path), "/usr/bin/env", "-i",
                 *(f"{k}={v}" for k, v in base.items()), "bash", "-c", command]
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                              check=False)

    def popen(self, command: str, *, user: str, env: dict[str, str], log: Path
              ) -> subprocess.Popen[bytes]:
        """Start ``command`` inside the root as ``user`` in the background, output to ``log``."""
        base = {"HOME": "/tmp", "LANG": "C.UTF-8", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        base.update(env)
        with log.open("wb") as out:
            return subprocess.Popen(
                ["chroot", f"--userspec={user}:{user}", str(self.path), "/usr/bin/env", "-i",
                 *(f"{k}={v}" for k, v in base.items()), "bash", "-c", command],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
