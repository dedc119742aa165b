"""Faults around settings and the worker seen from the window: a full disk while opening an
export, and closing the window after the model process could not start. Neither is a bug."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from scallop_curator import paths
from scallop_curator.extraction.client import WorkerClient
from scallop_curator.settings import Settings
from scallop_curator.store import Store
from scallop_curator.ui.main_window import MainWindow


def _no_space(_fd: int) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_opening_an_export_on_a_full_disk(qtbot, open_window, sample_export: Path,  # type: ignore[no-untyped-def]
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_window()
    window.settings.save()
    before = paths.settings_path().read_bytes()
    notes: list[str] = []
    monkeypatch.setattr(window.imports, "notify", lambda message, milliseconds=5000: notes.append(message))
    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", _no_space)
        with qtbot.waitSignal(window.importer.finished, timeout=60_000):
            window.import_files([sample_export])  # was: the crash dialog, and a 0-byte settings.tmp
    assert any("could not be saved" in note and "No space left on device" in note for note in notes), notes
    assert paths.settings_path().read_bytes() == before
    # no temporary file is left beside it (window.ini holds the window's own state)
    assert sorted(p.name for p in paths.settings_path().parent.iterdir() if p.name != "window.ini") == ["settings.json"]
    assert window.conversations.total == 5  # the import itself went ahead


def test_closing_the_window_after_the_worker_failed_to_start(qtbot, db_path: Path,  # type: ignore[no-untyped-def]
                                                             monkeypatch: pytest.MonkeyPatch, sample_export: Path,
                                                             demo_model: Path) -> None:
    from helpers import import_and_wait
    from test_worker import refuse_new_processes

    from scallop_curator.ui import window_extraction

    shown: list[str] = []
    monkeypatch.setattr(window_extraction.QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    store = Store(db_path)
    window = MainWindow(store, Settings(model_path=str(demo_model)),
                        client=WorkerClient(engine_factory="fake_engine:make_engine"))
    qtbot.addWidget(window)
    window.show()
    import_and_wait(qtbot, window, sample_export)
    window.select_conversation(window.store.conversations()[0].id)
    refuse_new_processes(monkeypatch, window.controller.client)
    with qtbot.waitSignal(window.controller.finished, timeout=30_000) as blocker:
        window.extraction.extract_current()
    assert blocker.args == ["failed"]
    assert shown and "could not be started" in shown[0]
    window.close()  # was: 'NoneType' object has no attribute 'send' in the crash dialog
    assert not window.controller.client.alive
    store.close()


def test_a_settings_error_from_any_dialog_is_a_plain_warning(qtbot, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path) -> None:
    """Dialogs that save settings themselves (Choose a model…) need no handler of their own: the
    hook shows a SettingsError as a warning, not as a bug."""
    import sys

    from scallop_curator.settings import SettingsError
    from scallop_curator.ui import app, dialogs

    warned: list[str] = []
    crashed: list[str] = []
    monkeypatch.setattr(app, "_warn", lambda _parent, text: warned.append(text))
    monkeypatch.setattr(dialogs, "show_crash", lambda _parent, summary, _details, _log: crashed.append(summary))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    app.install_crash_handler(tmp_path / "app.log")
    problem = SettingsError("The settings could not be saved to /x/settings.json (No space left on device); "
                            "the previous settings are kept.")
    sys.excepthook(SettingsError, problem, None)
    assert warned == [str(problem)] and crashed == []
    sys.excepthook(ValueError, ValueError("a bug"), None)
    assert crashed == ["ValueError: a bug"]
