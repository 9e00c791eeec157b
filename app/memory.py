"""Memory a long-running process frees goes back to the system (glibc's allocator keeps it otherwise).

glibc raises its mmap threshold each time a big block is freed (up to 32 MB), so after a job has made and
dropped its arrays — the theme map's reading of 20,000 memos, a search's scores — later arrays of a few MB
come from the heap, and freed heap stays in the process: the window's resident size only grew. A fixed
threshold and trim point keep big blocks mapped and give freed heap back (measured at 20,000 memos: the
window's peak 444 -> 412 MB, after the map 417 -> 358 MB; bench/README.md). Other C libraries: nothing to do.

And the objects a long-running process keeps (the window's 20,000 memos) are kept out of Python's cyclic
collector: each of its full collections walked them all, a 30-35 ms pause on the UI thread at 20,000 memos
that fell on whatever the user did next (bench/README.md).
"""
from __future__ import annotations

import ctypes
import gc
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 20  # blocks of 1 MB and more are mapped, and unmapped when freed
TRIM_THRESHOLD = 128 << 10  # glibc's own default, kept fixed (a fixed mmap threshold would raise it)


def give_freed_memory_back() -> bool:
    """Set glibc's thresholds for this process; False where the C library is not glibc (nothing changes)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        mallopt = None
    if mallopt is None:
        return False
    done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    log.debug("malloc thresholds set: %s", done)
    return done


def keep_out_of_collections() -> None:
    """What is alive now stays out of the cyclic collector's full collections (call after the long-lived data is
    read: the window's full read of the library). The young generations are collected first (a few ms), so fresh
    garbage is not kept with it; a full collection first would itself be the 70-100 ms pause this avoids. What is
    freed later is freed as before, by reference counting (the memos are not cyclic); only a garbage cycle that had
    already reached the oldest generation stays, frozen."""
    gc.collect(1)
    gc.freeze()
