"""The window re-reads everything (``EXTERNAL``) only for another program's commits: its own helper
connections (the extraction's result sink, the import thread) publish what they changed, and a
full re-read per result stalled the window more the larger the store grew."""

from __future__ import annotations

from pathlib import Path

from helpers import import_and_wait
from scallop_curator.store import Store


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
