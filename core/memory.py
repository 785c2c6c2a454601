"""Giving freed memory back to the system (no Django: the scoring engine uses it too).

A recalculation at 100,000 suppliers frees hundreds of megabytes of frames and arrays
between its steps; glibc's heap and the Arrow pool keep freed pages resident until told
otherwise, so the next step's allocations add to them instead of reusing them.
"""

from __future__ import annotations

import contextlib
import ctypes


def release_freed_memory() -> None:
    """Give the memory freed since (large frames, a quarter's result rows) back to the
    system: the Arrow pool's unused blocks (when pyarrow is loaded) and, with glibc, the C
    heap's free pages (``malloc_trim``; nothing on other C libraries). Without it a worker
    keeps the freed pages of a recalculation, and the next step's or run's peak starts from
    them. Takes milliseconds to tens of milliseconds (it walks the heap's free lists)."""
    import sys

    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
