"""Imports sqlite-utils without its optional numpy import.

sqlite-utils imports numpy when it is installed (llama-cpp-python installs it) only to map numpy
scalar types to column types, for inserting numpy values, which this app never does. That import
was about a fifth of ``scallop-curator import``'s start-up. It is skipped only while this is the
process's one thread, so no other thread can be importing numpy at that moment; numpy imports
normally afterwards.
"""

from __future__ import annotations

import sys
import threading


def import_without_numpy() -> None:
    if "numpy" in sys.modules or "sqlite_utils" in sys.modules or threading.active_count() > 1:
        import sqlite_utils  # noqa: F401
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # makes `import numpy` raise ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        if "numpy" in sys.modules and sys.modules["numpy"] is None:
            del sys.modules["numpy"]


import_without_numpy()
