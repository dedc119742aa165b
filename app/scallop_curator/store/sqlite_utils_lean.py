"""Imports sqlite-utils without its optional numpy import.

sqlite-utils imports numpy when it is installed (llama-cpp-python installs it) only to map numpy
scalar types to column types, for inserting numpy values, which this app never does. That import
was about a fifth of ``scallop-curator import``'s start-up. It is skipped only while this is the
process's one thread, so no other thread can be importing numpy at that moment; numpy imports
normally afterwards.

Nothing imports sqlite-utils when a store opens: ``Store.db`` calls :func:`database` the first
time a table helper is needed (``scallop-curator import`` into an up-to-date or new store never does).
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils


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


def database(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """``conn`` wrapped by sqlite-utils (imported now, without numpy), with no plugins: this app uses
    none, and loading them scans every installed package."""
    import_without_numpy()
    import sqlite_utils

    return sqlite_utils.Database(conn, execute_plugins=False)
