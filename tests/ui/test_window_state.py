"""Window state, settings and store agree: the window's look is kept in window.ini, the place in a
store in that store, and what the settings point at is shown as it is, also when it has gone."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QSplitter

from scallop_curator import paths
from scallop_curator.extraction.client import WorkerClient
from scallop_curator.settings import Settings
from scallop_curator.store import Store
from scallop_curator.ui import roles
from scallop_curator.ui.main_window import MainWindow
from tests.ui.helpers import import_and_wait


def _window(qtbot, db_path: Path, settings: Settings) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(Store(db_path), settings, client=WorkerClient(engine_factory="fake_engine:make_engine"))
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    return window


def _close(window: MainWindow) -> None:
    window.close()
    window.store.close()


def test_geometry_and_both_splitters_come_back_from_window_ini(qtbot, db_path: Path, demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, db_path, Settings(model_path=str(demo_model)))
    window.resize(760, 560)  # within the offscreen screen (800 × 600)
    window.splitter.setSizes([200, 300, 240])
    turn_split = window.findChild(QSplitter, "turnSplit")
    turn_split.setSizes([400, 200])
    wanted = (window.splitter.sizes(), turn_split.sizes())
    size = (window.width(), window.height())
    _close(window)
    assert "turnSplit" in (paths.config_dir() / "window.ini").read_text()

    again = _window(qtbot, db_path, Settings(model_path=str(demo_model)))
    assert (again.splitter.sizes(), again.findChild(QSplitter, "turnSplit").sizes()) == wanted
    assert (again.width(), again.height()) == size
    _close(again)


def test_a_window_ini_that_is_not_what_qt_wrote_is_ignored(qtbot, db_path: Path, demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    ini = paths.config_dir() / "window.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text("[General]\ngeometry=not a geometry\nsplitter=12\nturnSplit=@Invalid()\n", encoding="utf-8")
    window = _window(qtbot, db_path, Settings(model_path=str(demo_model)))
    assert window.splitter.sizes() and window.is_filled
    _close(window)


def test_a_last_conversation_or_proposal_gone_from_the_store_opens_the_first(  # type: ignore[no-untyped-def]
        qtbot, db_path: Path, demo_model: Path, sample_export: Path) -> None:
    window = _window(qtbot, db_path, Settings(model_path=str(demo_model)))
    import_and_wait(qtbot, window, sample_export)
    first = window.conversations.index(0).data(roles.ID_ROLE)
    window.store.set_meta("ui.conversation", "a conversation deleted since")
    window.store.set_meta("ui.proposal", "987654")
    _close(window)

    again = _window(qtbot, db_path, Settings(model_path=str(demo_model)))
    assert again.current_conversation() == first
    assert again.store.get_meta("ui.conversation") == first  # the store says where the window is now
    _close(again)

    store = Store(db_path)
    conversation = store.conversations()[2].id
    store.set_meta("ui.conversation", conversation)
    store.set_meta("ui.proposal", "987654")  # a proposal that is not there: the conversation still opens
    store.close()
    third = _window(qtbot, db_path, Settings(model_path=str(demo_model)))
    assert third.current_conversation() == conversation
    _close(third)


def test_a_chosen_model_file_that_has_gone_is_shown_as_missing(qtbot, db_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gone = tmp_path / "moved-away.gguf"
    window = _window(qtbot, db_path, Settings(model_path=str(gone)))
    assert window.model_label.text().startswith("moved-away (file not found)")
    assert "missing" in window.model_label.toolTip()
    _close(window)


def test_the_window_shows_what_the_settings_now_say(qtbot, db_path: Path, demo_model: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A change made anywhere (Settings dialog, Model menu) is made on the window's one Settings
    object and saved; the window's label follows, and a new start reads the same."""
    settings = Settings(model_path=str(demo_model))
    window = _window(qtbot, db_path, settings)
    assert "SmolLM2" in window.model_label.text()
    copy = tmp_path / "my-model.gguf"
    copy.write_bytes(demo_model.read_bytes())
    settings.model_path = str(copy)  # as the dialogs do: the same object, then the status refresh
    settings.save()
    window._update_status()
    assert window.model_label.text().startswith("my-model ·")
    _close(window)
    assert Settings.load().model_path == str(copy)


def test_a_hub_model_label_is_found_off_the_ui_thread(qtbot, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    """No file chosen: the name comes from a look in the Hugging Face cache, on a thread; the label
    says it is looking until then and never shows a stale answer."""
    window = _window(qtbot, db_path, Settings(model_path=None))
    if window.model_label.text().startswith("looking for the model"):
        with qtbot.waitSignal(window._model_namer.named, timeout=60_000):
            pass
    assert not window.model_label.text().startswith("looking for the model")
    assert "SmolLM2" in window.model_label.text() or "scallopmemory" in window.model_label.text()
    _close(window)


def test_the_settings_dialog_changes_the_windows_own_settings(qtbot, db_path: Path, demo_model: Path,  # type: ignore[no-untyped-def]
                                                               dialogs) -> None:
    """Edit → Settings… edits the window's Settings object (not a copy), saves it, and the window
    says so; a fresh start reads the same values."""
    window = _window(qtbot, db_path, Settings(model_path=str(demo_model)))
    settings = window.settings

    def change_threads(dialog):  # type: ignore[no-untyped-def]
        dialog.threads.setValue(3)
        dialog.accept()
        return dialog.result()

    dialogs.answer("SettingsDialog", change_threads)
    window.open_settings()
    assert window.settings is settings and settings.engine.n_threads == 3
    assert "Settings saved" in window.notice_label.text()
    assert Settings.load().engine.n_threads == 3
    _close(window)
