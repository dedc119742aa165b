from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scallop_curator.extraction.client import WorkerClient
from scallop_curator.settings import Settings
from scallop_curator.store import Store
from scallop_curator.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _interpreter_as_it_was() -> Iterator[None]:
    """A test that starts the app in this process (``ui.app``) shortens the GIL switch interval and
    freezes the heap; later tests must not run under it, or thread timing depends on test order."""
    import gc
    import sys

    interval = sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)
    gc.unfreeze()
    gc.collect()  # here, on the UI thread: a window turned automatic collection off (ui_thread_gc)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "memories.db"


@pytest.fixture
def open_window(qtbot, db_path: Path, demo_model: Path) -> Iterator:  # type: ignore[no-untyped-def]
    """Open the real main window on a real store file, with the scripted engine in a real worker."""
    opened: list[MainWindow] = []

    def factory() -> MainWindow:
        store = Store(db_path)
        settings = Settings(model_path=str(demo_model))
        window = MainWindow(store, settings, client=WorkerClient(engine_factory="fake_engine:make_engine"))
        qtbot.addWidget(window)
        with qtbot.waitActive(window):
            window.show()
            window.activateWindow()
        opened.append(window)
        return window

    yield factory
    for window in opened:
        if window.isVisible():
            window.close()
        window.store.close()
