"""glibc's allocator told to keep freed memory, so training steps stop page-faulting.

A CPU training step allocates and frees megabytes of activations and gradients. By default
glibc hands back the top of its heap once 128 KiB are free there (``M_TRIM_THRESHOLD``) and
serves large blocks with fresh ``mmap`` calls, so each step's buffers come back as new pages the
kernel has to fault in and zero. glibc raises both thresholds once a process frees a large
mapped block, so whether that happens depends on what the process did before; where it does
(a 60,000-image training, benchmarks/train_allocator.py) it costs a third of the time. Fixed
thresholds keep freed memory in the process either way.
"""

from __future__ import annotations

import ctypes
import sys

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest; larger blocks are still mapped afresh
TRIM_THRESHOLD = 1024 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Tune glibc's ``malloc`` for this process; False where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    # A fixed mmap threshold also stops glibc from raising it as blocks are freed; both calls
    # return 1 on success.
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
