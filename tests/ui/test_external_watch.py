"""The window re-reads everything (``EXTERNAL``) only for another program's commits: its own helper
connections (the extraction's result sink, the import thread) publish what they changed, and a
full re-read per result stalled the window more the larger the store grew."""

from __future__ import annotations

from pathlib import Path

from helpers import import_and_wait
from scallop_curator.store import Store
from scallop_curator.store.changes import Changes


def test_the_windows_own_import_and_extraction_are_no_external_change_but_another_programs_are(  # type: ignore[no-untyped-def]
        qtbot, open_window, sample_export: Path) -> None:
    window = open_window()
    window.ops.watcher.stop()  # the test asks when it wants to know
    published: list = []
    window.ops.changed.connect(published.append)

    import_and_wait(qtbot, window, sample_export)  # committed by the import thread's connection
    version = window.store.data_version()
    assert not window.ops.check_external()
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        window.extraction.extract_all()  # each result committed by the sink's connection
    assert window.store.data_version() != version  # their commits did move data_version ...
    assert not window.ops.check_external()  # ... but they are the window's own
    assert published and not any(c.external for c in published)
    assert any(c.imported for c in published) and any(c.conversations for c in published)

    other = Store(window.store.path, session=False)  # another window, or the CLI
    try:
        other.set_meta("probe", "another program")
    finally:
        other.close()
    assert window.ops.check_external()
    assert published[-1].external
    assert not window.ops.check_external()  # nothing new since


def test_a_program_that_does_not_count_its_commits_still_refreshes_the_views(  # type: ignore[no-untyped-def]
        qtbot, open_window, sample_export: Path) -> None:
    """The sqlite3 shell, or an older app still open on the store, marks nothing in write_marks."""
    import sqlite3

    window = open_window()
    window.ops.watcher.stop()
    import_and_wait(qtbot, window, sample_export)
    window.ops.check_external()
    conn = sqlite3.connect(window.store.path)
    with conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'sqlite3 shell')")
    conn.close()
    assert window.ops.check_external()


def test_another_programs_commit_is_not_lost_behind_the_windows_own_decision(  # type: ignore[no-untyped-def]
        qtbot, open_window, sample_export: Path) -> None:
    """Another window commits, then this one decides before the watcher's next tick: the other's
    change must still reach the views."""
    window = open_window()
    window.ops.watcher.stop()
    import_and_wait(qtbot, window, sample_export)
    window.ops.check_external()
    other = Store(window.store.path, session=False)
    try:
        other.set_meta("probe", "another window")
    finally:
        other.close()
    window.ops.run(lambda: this_windows_operation(window.store))  # a decision in this window, same second
    assert window.ops.check_external()


def this_windows_operation(store: Store) -> Changes:
    store.set_meta("probe", "this window")
    return Changes(imported=True)
