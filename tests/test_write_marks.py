"""Commits are counted per writer (``store.write_marks``): a window tells another program's commit
from its own helper connections', which share its writer tag."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from scallop_curator.store import Store, write_marks


def test_another_writers_commit_is_seen_and_the_same_writers_is_not(tmp_path: Path) -> None:
    path = tmp_path / "marks.db"
    window = Store(path)
    helper = Store(path, session=False, writer=window.writer)  # e.g. the window's extraction sink
    other = Store(path, session=False)  # another window or the CLI
    assert other.writer != window.writer
    seen = window.other_writers()

    helper.set_meta("probe", "helper")
    assert window.other_writers() == seen  # the window's own helper: not another program's
    window.set_meta("probe", "window")
    assert window.other_writers() == seen
    other.set_meta("probe", "other")
    after = window.other_writers()
    assert after != seen and after[1] == seen[1] + 1
    assert helper.other_writers() == after  # the helper counts as the window too
    assert other.other_writers()[1] > 0  # from the other side, the window's commits are another's


def test_a_transaction_that_changes_nothing_counts_no_commit(tmp_path: Path) -> None:
    path = tmp_path / "marks.db"
    window, other = Store(path), Store(path, session=False)
    seen = window.other_writers()
    with other._immediate():
        other.conn.execute("SELECT COUNT(*) FROM conversations").fetchone()
    assert window.other_writers() == seen


def test_a_writer_not_seen_for_a_day_is_forgotten_when_a_window_opens(tmp_path: Path) -> None:
    path = tmp_path / "marks.db"
    Store(path, session=False, writer="old-cli-run").set_meta("probe", "1")
    Store(path, session=False, writer="recent-cli-run").set_meta("probe", "2")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE write_marks SET last_at = '2020-01-01T00:00:00+00:00' WHERE writer = 'old-cli-run'")
    conn.close()
    window = Store(path)
    writers = {row[0] for row in window.conn.execute("SELECT writer FROM write_marks")}
    assert "old-cli-run" not in writers and "recent-cli-run" in writers
    assert write_marks.others(window.conn, "recent-cli-run")[0] == len(writers) - 1
