"""An import made in the window reaches the views as Changes, like every other store change."""

from __future__ import annotations

from pathlib import Path

from helpers import hold_import_at, import_and_wait, write_chatgpt_export
from scallop_curator.importers import load_export


def test_an_import_is_published_and_the_list_shows_it(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    published: list = []
    window.ops.changed.connect(published.append)
    first = write_chatgpt_export(tmp_path / "one.json", [("Cycling", 1_700_000_000, [("user", "I cycle to work."), ("assistant", "Nice.")])])
    import_and_wait(qtbot, window, first)
    assert [c.imported for c in published] == [True]
    assert window.conversations.rowCount() == 1 and window.current_conversation() is not None

    # A later export of the same account (the first conversation again, and a new one): the list grows
    # from the published change.
    second = write_chatgpt_export(tmp_path / "two.json", [
        ("Cycling", 1_700_000_000, [("user", "I cycle to work."), ("assistant", "Nice.")]),
        ("Tea", 1_700_100_000, [("user", "I drink green tea."), ("assistant", "Ok.")])])
    import_and_wait(qtbot, window, second)
    assert [c.imported for c in published] == [True, True]
    titles = [window.conversations.summary(r).title for r in range(window.conversations.rowCount())]
    assert sorted(titles) == ["Cycling", "Tea"]


def test_files_done_together_are_one_reread(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A drop of many small files: the list is re-read once for the files done within PUBLISH_MS."""
    window = open_window()
    published: list = []
    window.ops.changed.connect(published.append)
    files = [write_chatgpt_export(tmp_path / f"{n}.json", [(f"Chat {n}", 1_700_000_000 + n,
                                                           [("user", f"Note {n}."), ("assistant", "Ok.")])], prefix=f"file{n}")
             for n in range(4)]
    for file in files:  # as if the thread had finished them in one drain
        window.imports._import_done(window.store.import_file(load_export(file), str(file)), [])
    assert published == []
    qtbot.waitUntil(lambda: len(published) == 1, timeout=10_000)
    assert published[0].imported and window.conversations.rowCount() == 4


def test_a_cancelled_file_after_a_published_one_leaves_no_ghosts(qtbot, open_window, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 monkeypatch) -> None:
    """File 2's first batch had committed and shown when the user cancelled: it is taken back, and
    the list must forget it, although file 1 was already published."""
    from scallop_curator.store import store as store_module
    from scallop_curator.store.changes import Changes

    monkeypatch.setattr(store_module, "IMPORT_BATCH", 1)
    monkeypatch.setattr(store_module, "IMPORT_BATCH_MAX_SECONDS", 0.0)
    reached, gate = hold_import_at(monkeypatch, "Second B")
    window = open_window()
    first = write_chatgpt_export(tmp_path / "one.json", [("First", 1_700_000_000, [("user", "A."), ("assistant", "Ok.")])])
    second = write_chatgpt_export(tmp_path / "two.json", [
        ("Second A", 1_700_000_100, [("user", "B."), ("assistant", "Ok.")]),
        ("Second B", 1_700_000_200, [("user", "C."), ("assistant", "Ok.")]),
        ("Second C", 1_700_000_300, [("user", "D."), ("assistant", "Ok.")])], prefix="two")
    try:
        with qtbot.waitSignal(window.importer.finished, timeout=60_000):
            with qtbot.waitSignal(window.importer.fileDone, timeout=30_000):  # file 1 is in, and heard of
                window.import_files([first, second])
            qtbot.waitUntil(reached.is_set, timeout=30_000)  # file 2's first batch has committed
            window.ops.publish(Changes(imported=True))  # any re-read (a filter typed) now shows it
            assert window.conversations.rowCount() == 2
            window.cancel_work()
            gate.set()
    finally:
        gate.set()  # a failed assertion must not leave the import thread waiting
    titles = [window.conversations.summary(r).title for r in range(window.conversations.rowCount())]
    assert titles == ["First"]
    assert window.store.conversation_count() == 1
