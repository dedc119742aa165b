"""Keep the C heap's freed memory for reuse during a headless import (glibc only).

Streaming a big export decodes a new megabyte-sized text chunk again and again. With glibc's
defaults each one is a fresh ``mmap`` (or the top of the heap is handed back after it is freed),
so every chunk faults its pages in anew: measured on a 55 MB ChatGPT export, 50,000 page faults
and about 0.2 s of system time, a quarter of the parse. Raising the two thresholds lets freed
chunks be reused instead; the peak RSS grows by about 5 MB. It is a process-wide setting, so only
the ``import`` command (a process that ends with the import) asks for it, not the window.
"""

from __future__ import annotations

import sys

#: mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's own ceiling for its dynamic threshold on 64-bit systems
TRIM_THRESHOLD_BYTES = 64 << 20


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed memory rather than return it at once; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter already uses
    except (OSError, AttributeError, ImportError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; musl's stub returns 0 and changes nothing.
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
