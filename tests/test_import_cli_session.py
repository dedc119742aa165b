"""``scallop-curator import`` opens the store as a helper connection: no undo session is claimed or
written, and a closed window's session (its undo history) is left exactly as it was."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from scallop_curator.store import Store

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "samples" / "chatgpt" / "chatgpt-export.json"


def _sessions(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT origin, pid, opened_at, closed_at FROM sessions ORDER BY origin").fetchall()


def test_import_claims_no_session_and_leaves_the_windows_alone(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    window = Store(db)  # a window that was open, then closed: its session may be adopted by the next window
    origin = window.origin
    window.close()
    before = _sessions(db)
    assert [row[0] for row in before] == [origin] and before[0][3] is not None
    done = subprocess.run([sys.executable, "-m", "scallop_curator", "import", str(SAMPLE), "--db", str(db)],
                          capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    assert "new conversations" in done.stdout
    assert _sessions(db) == before  # not adopted, reopened or closed again by the import
