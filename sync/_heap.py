"""The C heap of a kiosk process that runs for weeks (glibc malloc; elsewhere a no-op).

glibc serves a request of at least the *mmap threshold* with a mapping of its own, unmapped
when freed; smaller ones come from the heap, whose free space stays with the process. The
threshold starts at 128 KiB but rises to the size of every mapped block freed (up to 32 MiB),
so after a few big transient buffers (a Qt image of the 1920x1080 window, the card check's
scrypt work area, a merge's numpy arrays) later blocks of many MB are carved from the heap and
kept there: the kiosk grew by ~30 MB over 45 card taps and ~25 MB more after a list update,
none of which ``malloc_trim`` gave back (docs/performance/lowpower.md, "memory").
"""

from __future__ import annotations

import ctypes

# mallopt parameter numbers (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
# Blocks of 4 MiB and more get their own mapping. A 1280x720 camera frame (2.7 MB) stays below,
# so frames keep being reused from the heap rather than mapped and faulted in each time.
MMAP_THRESHOLD = 4 << 20


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, macOS): its allocator behaves otherwise
        return None


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Serve every block of ``threshold`` bytes or more with its own mapping, for good (glibc's
    threshold no longer rises); True if the allocator took the setting.

    Call it early in a long-running process; blocks already in the heap stay where they are.
    """
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))


def release_free_heap() -> None:
    """Hand the heap's free pages back to the OS (``malloc_trim``), e.g. after a list update."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


__all__ = ["MMAP_THRESHOLD", "fix_mmap_threshold", "release_free_heap"]
