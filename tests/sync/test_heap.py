"""With the mmap threshold fixed, a big block freed after a bigger one goes back to the OS at
once; without, glibc's raised threshold keeps it in the heap. Measured in fresh interpreters
from the kernel's count of anonymous resident memory."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def glibc() -> bool:
    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallopt")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not glibc() or not Path("/proc/self/status").exists(),
                                reason="needs glibc and Linux /proc")

_CHILD = """
import ctypes, sys
sys.path.insert(0, sys.argv[2])
from sync._heap import fix_mmap_threshold
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "fixed":
    assert fix_mmap_threshold()
def anon_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("RssAnon:"))
def touch_and_free(size):
    p = libc.malloc(size)
    ctypes.memset(p, 1, size)
    libc.free(p)
touch_and_free(24 << 20)  # a transient 24 MiB buffer (a merge's array, a window image)
base = anon_kib()
touch_and_free(12 << 20)
print(anon_kib() - base)
"""


def kept_kib(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", _CHILD, mode, str(ROOT)], capture_output=True,
                         text=True, check=True, timeout=60)
    return int(out.stdout.split()[-1])


def test_a_fixed_threshold_returns_big_blocks_when_freed() -> None:
    assert kept_kib("default") > 8 * 1024  # the 12 MiB stayed in the heap
    assert kept_kib("fixed") < 1024

