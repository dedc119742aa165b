"""File → Open Recent: most recent first, at most ten, kept across restarts in an owner-only JSON
file; a missing file is greyed and removed with a message; Clear empties it."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

from PySide6.QtGui import QAction

from scallop_curator.extraction.client import WorkerClient
from scallop_curator.settings import Settings
from scallop_curator.store import Store
from scallop_curator.ui import recent_files
from scallop_curator.ui.main_window import MainWindow
from helpers import import_and_wait


def _files(window) -> list[QAction]:  # type: ignore[no-untyped-def]
    window.recent_files.rebuild()
    return window.recent_files.actions_for_files()


def test_list_is_most_recent_first_deduplicated_and_capped(tmp_path: Path) -> None:
    files = [tmp_path / f"export-{n}.json" for n in range(12)]
    for file in files:
        file.write_text("[]")
        recent_files.add(file)
    recent_files.add(files[3])  # opened again: moves to the top, not listed twice
    listed = recent_files.load()
    expected = [3, 11, 10, 9, 8, 7, 6, 5, 4, 2]  # export-0 and -1 fell off the end of ten
    assert listed == [files[n].resolve() for n in expected]
    path = recent_files.recent_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["files"][0] == str(files[3].resolve())
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".recent-")]  # no temp left


def test_a_damaged_list_is_kept_aside_and_starts_empty() -> None:
    path = recent_files.recent_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert recent_files.load() == []
    assert path.with_suffix(".json.bad").read_text() == "{not json"


def test_import_adds_to_the_menu_and_a_restart_keeps_it(qtbot, open_window, sample_export: Path, tmp_path: Path, demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    assert _files(window) == []
    import_and_wait(qtbot, window, sample_export)
    actions = _files(window)
    assert [a.text() for a in actions] == ["&1 conversations.json"]
    assert actions[0].data() == str(sample_export.resolve()) and actions[0].isEnabled()

    # A restart: a new window reads the same list from disk.
    store = Store(tmp_path / "other.db")
    again = MainWindow(store, Settings(model_path=str(demo_model)), client=WorkerClient(engine_factory="fake_engine:make_engine"))
    qtbot.addWidget(again)
    try:
        assert [a.data() for a in _files(again)] == [str(sample_export.resolve())]
        # Opening it from the menu imports it as File → Open does.
        with qtbot.waitSignal(again.importer.finished, timeout=30_000):  # heard before the store closes
            with qtbot.waitSignal(again.importer.fileDone, timeout=30_000) as done:
                _files(again)[0].trigger()
        assert Path(done.args[0].source).resolve() == sample_export.resolve()
        assert done.args[0].new_conversations > 0
    finally:
        again.close()
        store.close()


def test_missing_file_is_greyed_then_removed_with_a_message(qtbot, open_window, sample_export: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "gone.json"
    shutil.copy(sample_export, copy)
    window = open_window()
    import_and_wait(qtbot, window, copy)
    import_and_wait(qtbot, window, sample_export)
    copy.unlink()
    actions = _files(window)
    assert [a.text() for a in actions] == ["&1 conversations.json", "&2 gone.json (missing)"]
    assert actions[0].isEnabled() and not actions[1].isEnabled()

    window.recent_files.open(copy.resolve())  # gone since the menu was built
    assert "gone.json is no longer at" in window.notice_label.text()
    assert [a.data() for a in _files(window)] == [str(sample_export.resolve())]
    assert recent_files.load() == [sample_export.resolve()]


def test_clear_empties_the_list(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    clear = next(a for a in window.recent_files.menu.actions() if a.text() == "&Clear the list")
    assert clear.isEnabled()
    clear.trigger()
    assert _files(window) == []
    assert recent_files.load() == []
    assert json.loads(recent_files.recent_path().read_text())["files"] == []


def test_a_full_disk_keeps_the_old_list_and_says_nothing_alarming(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import errno

    from scallop_curator.ui import recent_files

    first = tmp_path / "a.json"
    first.write_text("[]", encoding="utf-8")
    recent_files.add(first)
    before = recent_files.recent_path().read_bytes()

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recent_files.os, "fsync", no_space)
    second = tmp_path / "b.json"
    second.write_text("[]", encoding="utf-8")
    recent_files.add(second)  # does not raise
    assert recent_files.recent_path().read_bytes() == before
    assert [p.name for p in recent_files.recent_path().parent.iterdir() if p.name.startswith(".recent-")] == []
