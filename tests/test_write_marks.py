"""Commits are counted per writer (``store.write_marks``): a window tells another program's commit
from its own helper connections', which share its writer tag."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scallop_curator.store import Store, write_marks


def age(path: Path, writer: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE write_marks SET last_at = '2020-01-01T00:00:00+00:00' WHERE writer = ?", [writer])
    conn.close()


def test_another_writers_commit_is_seen_and_the_same_writers_is_not(tmp_path: Path) -> None:
    path = tmp_path / "marks.db"
    window = Store(path)
    helper = Store(path, session=False, writer=window.writer)  # e.g. the window's extraction sink
    other = Store(path, session=False)  # another window or the CLI
    assert other.writer != window.writer
    others, helpers = window.write_counts()

    helper.set_meta("probe", "helper")
    assert window.write_counts() == (others, helpers + 1)  # the window's own helper: not another program's
    window.set_meta("probe", "window")
    assert window.write_counts() == (others, helpers + 1)  # the window's own commit: neither
    other.set_meta("probe", "other")
    assert window.write_counts() == (others + 1, helpers + 1)
    assert helper.write_counts()[0] == others + 1  # the helper counts as the window too
    assert other.write_counts()[0] > 0  # from the other side, the window's commits are another's


def test_a_transaction_that_changes_nothing_counts_no_commit(tmp_path: Path) -> None:
    path = tmp_path / "marks.db"
    window, other = Store(path), Store(path, session=False)
    seen = window.write_counts()
    with other._immediate():
        other.conn.execute("SELECT COUNT(*) FROM conversations").fetchone()
    assert window.write_counts() == seen


def test_a_writer_not_seen_for_a_day_is_folded_when_a_window_opens(tmp_path: Path) -> None:
    path = tmp_path / "marks.db"
    Store(path, session=False, writer="old-cli-run").set_meta("probe", "1")
    Store(path, session=False, writer="recent-cli-run").set_meta("probe", "2")
    conn = sqlite3.connect(path)
    (old_commits,) = conn.execute("SELECT commits FROM write_marks WHERE writer = 'old-cli-run'").fetchone()
    conn.close()
    age(path, "old-cli-run")
    window = Store(path)
    writers = {row[0] for row in window.conn.execute("SELECT writer FROM write_marks")}
    assert "old-cli-run" not in writers and {"recent-cli-run", write_marks.FOLDED} <= writers
    assert window.conn.execute("SELECT commits FROM write_marks WHERE writer = ?", [write_marks.FOLDED]).fetchone() == (old_commits,)


def test_forgetting_a_writer_never_takes_the_others_count_back(tmp_path: Path) -> None:
    """A CLI run that forgets an old run of the same size must still move the count a window watches."""
    path = tmp_path / "marks.db"
    window = Store(path)
    first = Store(path)  # e.g. `memories forget 5`: a session store, so it forgets old writers on open
    first.set_meta("probe", "1")
    first.close()
    age(path, first.writer)
    seen = window.write_counts()[0]
    second = Store(path)  # days later, `memories forget 9`, with the same number of commits
    second.set_meta("probe", "2")
    second.close()
    assert window.write_counts()[0] > seen


def test_a_failed_commit_leaves_no_transaction_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "marks.db"
    store = Store(path)
    real = store.conn

    class FailingCommit:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if sql == "COMMIT":
                raise sqlite3.OperationalError("disk I/O error")
            return real.execute(sql, *args)

    monkeypatch.setattr(store, "conn", FailingCommit())
    with pytest.raises(sqlite3.OperationalError):
        with store._immediate():
            real.execute("INSERT INTO meta (key, value) VALUES ('lost', 'x')")
    monkeypatch.undo()
    assert not real.in_transaction
    store.set_meta("kept", "y")  # committed, not joined to a transaction nobody commits
    reader = Store(path, session=False)
    assert reader.get_meta("kept") == "y" and reader.get_meta("lost") is None
