"""Start the window: owner-only files, logging to a rotating file, the crash dialog for bugs,
the store, the main window."""

from __future__ import annotations

import gc
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from scallop_curator import paths

if TYPE_CHECKING:
    from scallop_curator.ui.main_window import MainWindow

log = logging.getLogger("ui")


def prepare_process() -> Path:
    """Every file made from here on is owner-only, the app's folders are (an older version made
    them 0755), then the log. ``run`` calls it right after the window's first frame (nothing is
    written before) and before the store opens."""
    from scallop_curator.ui.log_file import setup_logging

    paths.make_process_private()
    for folder in (paths.data_dir(), paths.config_dir(), paths.cache_dir()):
        try:
            paths.app_dir(folder)
        except OSError as error:  # said again, plainly, by whatever needs the folder
            log.warning("cannot create %s: %s", folder, error)
    return setup_logging()


def install_crash_handler(log_path: Path) -> None:
    """Bugs reach a dialog naming the log file instead of silently killing the window. What the
    hook shows is imported when it is called: installing it costs start-up nothing."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        from PySide6.QtWidgets import QApplication

        from scallop_curator.settings import SettingsError

        if isinstance(value, SettingsError):  # expected (a full disk): a plain message, wherever it was saved from
            log.warning("%s", value)
            if QApplication.instance() is not None:
                _warn(QApplication.activeWindow(), str(value))
            return
        details = "".join(traceback.format_exception(kind, value, tb))
        if not logging.getLogger().handlers:  # a bug before the first frame: the log is not set up yet
            from scallop_curator.ui.log_file import setup_logging

            setup_logging()
        log.error("unhandled exception\n%s", details)
        if QApplication.instance() is not None:
            from scallop_curator.ui.dialogs import show_crash

            show_crash(QApplication.activeWindow(), f"{kind.__name__}: {value}", details, str(log_path))

    sys.excepthook = hook


def settle_heap() -> None:
    """Move everything built at start-up (Qt wrappers, modules, the window) out of the garbage
    collector's reach. A full collection triggered by a background import would otherwise walk
    them all while holding the GIL: measured 53-67 ms UI stalls on a 210 MB import, 26 ms after."""
    gc.collect()
    gc.freeze()


#: The longest a background thread keeps the GIL from the UI thread once the UI thread asks for it.
UI_SWITCH_SECONDS = 0.0005


def favour_ui_thread() -> None:
    """Shorten Python's switch interval (5 ms by default) in the window's process. A thread that
    computes in Python (an import parsing and merging a 200 MB export) keeps the GIL up to that long
    each time the UI thread asks for it back, and a decision asks dozens of times (every SQLite call
    lets the GIL go): decisions made during the window's own import took up to 117 ms (15 of 38 over
    50 ms) with 5 ms, 34 ms with 0.5 ms (benchmarks/memories_decide_during_import.py --in-process).
    Threads that do not compete for the GIL lose nothing."""
    sys.setswitchinterval(UI_SWITCH_SECONDS)


def _warn(parent: Any, text: str) -> None:
    """A plain-text warning (the text may name user files)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, "Scallop Curator", text, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def open_window(files: list[str] | None = None, db: str | None = None,
                unopenable: Callable[[], None] | None = None,
                after_paint: Callable[[], object] | None = None) -> MainWindow:
    """The window, shown at once as a shell; right after its first paint ``after_paint`` runs,
    then the store, the settings (what went wrong with them is shown once) and the views fill it
    (``MainWindow.filled``). A store that cannot be opened is said plainly, then ``unopenable`` is
    called (``run`` ends the app with 2)."""
    from scallop_curator.ui.main_window import MainWindow

    path = paths.default_db_path(db)
    window = MainWindow()
    window.setWindowTitle(f"Scallop Curator — {path.name}")
    window.show()

    def painted() -> None:
        if after_paint is not None:
            after_paint()
        _fill(window, path, files, unopenable)

    FirstPaint(window, painted)
    return window


class FirstPaint(QObject):
    """Calls back once, as soon as the window's first frame is painted (or after ``FALLBACK_MS``
    when it is never painted, e.g. started minimised), from the event loop, not from the paint."""

    FALLBACK_MS = 500

    def __init__(self, window: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._callback: Callable[[], None] | None = callback
        window.installEventFilter(self)
        QTimer.singleShot(self.FALLBACK_MS, self, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self._fire)
        return False

    def _fire(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            self._window.removeEventFilter(self)
            if self._window.isVisible():  # not closed before it was ever painted
                callback()


def _fill(window: MainWindow, path: Path, files: list[str] | None,
          unopenable: Callable[[], None] | None) -> None:
    from scallop_curator.settings import Settings
    from scallop_curator.store import Store, StoreError

    try:
        store = Store(path)
    except StoreError as problem:
        _warn(window, str(problem))  # plain text: the message names the store's path
        if unopenable is not None:
            unopenable()
        return
    settings = Settings.load()
    window.fill(store, settings)
    settle_heap()
    favour_ui_thread()
    problems = settings.take_problems()
    if problems:
        QTimer.singleShot(0, window, lambda: _warn(window, "\n\n".join(problems)))
    if files:
        window.import_files([Path(f) for f in files])


def run(files: list[str] | None = None, db: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from scallop_curator.ui.icon import app_icon
    from scallop_curator.ui.theme import confirm_system_theme, saved_choice, start_theme

    paths.make_process_private()  # owner-only files from here on; the folders and the log: after the first frame
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Scallop Curator")
    app.setOrganizationName("Scallop")
    app.setDesktopFileName("scallop-curator")
    app.setWindowIcon(app_icon())
    system_theme_due = start_theme(app, saved_choice())  # before any window exists, so none is drawn twice

    def after_paint() -> None:
        prepare_process()
        if system_theme_due:
            confirm_system_theme(app)

    install_crash_handler(paths.log_path())
    window = open_window(files, db, unopenable=lambda: app.exit(2), after_paint=after_paint)
    # Once the window is filled: ask how to get a model when none is usable and the user never answered.
    window.filled.connect(lambda: QTimer.singleShot(0, window, lambda: _first_time_setup(window)))
    code = app.exec()
    if window.is_filled:
        window.store.close()
    return code


def _first_time_setup(window: MainWindow) -> None:
    from scallop_curator.ui.model_setup import maybe_run_first_time_setup

    maybe_run_first_time_setup(window)
