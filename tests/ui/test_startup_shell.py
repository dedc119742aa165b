"""Start-up: the window shows as a shell before the store is open, and fills right after its first
paint. Its speed is measured by benchmarks/startup.py; these tests hold the behaviour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer

from tests.ui.helpers import import_and_wait, wait_filled

#: What the window's own import path must not load: the store (sqlite-utils pulls numpy), the
#: pydantic settings and facts, the GGUF reader, the Hub, the importers, the worker client.
HEAVY = ("scallop_curator.store", "scallop_curator.settings", "scallop_curator.importers",
         "scallop_curator.extraction.client", "scallop_curator.hub.gguf_info", "sqlite_utils", "numpy",
         "pydantic", "huggingface_hub", "gguf", "logging.handlers", "html")

SHELL_PROBE = """
import sys
from PySide6.QtWidgets import QApplication
from scallop_curator.ui import app
qt = QApplication([])
window = app.open_window()  # shown; the fill waits for the first paint, which needs the event loop
print(" ".join(name for name in sys.argv[1:] if name in sys.modules))
"""


def test_the_shell_is_built_and_shown_without_the_heavy_modules(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SHELL_PROBE, *HEAVY], capture_output=True, text=True, timeout=120,
                          env={**_env(), "SCALLOP_CURATOR_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""  # none of them loaded before the window is shown


#: Records every Python enum PySide builds until the window's first paint, and prints those of the
#: ``Qt`` namespace: naming ``Qt`` builds all ~100 of them at once (40-60 ms of start-up).
ENUM_RECORDER = """
import enum
built = []
_create = enum.EnumType._create_
def _record(cls, *args, **kwargs):
    made = _create(cls, *args, **kwargs)
    built.append(made)
    return made
enum.EnumType._create_ = _record
"""
FIRST_FRAME_ENUMS_PROBE = ENUM_RECORDER + """
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from scallop_curator.ui import app
qt = QApplication([])
window = app.open_window()
class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            names = sorted({e.__qualname__ for e in built})
            print("painted", len(names), " ".join(name for name in names if name.startswith("Qt.")))
            qt.exit(0)
        return False
painted = Painted()
window.installEventFilter(painted)
qt.exec()
"""


def test_the_shell_is_painted_without_building_the_qt_namespace_enums(tmp_path: Path) -> None:
    """Only the shell: ``run`` also applies the theme first, which asks the platform for its
    colour scheme, a ``Qt.ColorScheme``."""
    done = subprocess.run([sys.executable, "-c", FIRST_FRAME_ENUMS_PROBE], capture_output=True, text=True,
                          timeout=120, env={**_env(), "SCALLOP_CURATOR_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr[-2000:]
    painted, count, *qt_enums = done.stdout.split()
    assert painted == "painted" and int(count) > 20  # it records: the shell's own classes have enums
    assert qt_enums == []


#: The whole start (``scallop-curator`` with no arguments): what is loaded, written and built (the
#: ``Qt`` namespace's enums, see shell_props and theme.start_theme) at the first paint, and once the
#: window is filled.
RUN_PROBE = ENUM_RECORDER + """
import os, sys
from scallop_curator import paths
from scallop_curator.cli import main
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from scallop_curator.ui import app

def report(when):
    log = paths.log_path()
    mode = oct(log.stat().st_mode & 0o777) if log.exists() else "none"
    qt_enums = sum(e.__qualname__.startswith("Qt.") for e in built)
    print(when, "logging.handlers" in sys.modules, mode, paths.data_dir().exists(), qt_enums > 0,
          sys.getswitchinterval(), flush=True)

class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            report("painted")
        return False

def open_window(*args, **kwargs):
    window = opened(*args, **kwargs)
    window.installEventFilter(painted)
    # once the filling is over (the UI thread's switch interval is set after the views are filled)
    window.filled.connect(lambda: QTimer.singleShot(0, lambda: (report("filled"), os._exit(0))))
    return window

painted = Painted()
opened, app.open_window = app.open_window, open_window
sys.exit(main([]))
"""


def test_the_log_folders_and_qt_enums_come_after_the_first_paint_and_before_the_store(tmp_path: Path) -> None:
    from scallop_curator.ui.app import UI_SWITCH_SECONDS

    done = subprocess.run([sys.executable, "-c", RUN_PROBE], capture_output=True, text=True, timeout=120,
                          env={**_env(), "SCALLOP_CURATOR_HOME": str(tmp_path / "home")})
    assert done.returncode == 0, done.stderr[-2000:]
    # and the UI thread gets the GIL back within UI_SWITCH_SECONDS, not Python's 5 ms, once filled
    assert done.stdout.split("\n")[:2] == ["painted False none False False 0.005",
                                           f"filled True 0o600 True True {UI_SWITCH_SECONDS}"]


def test_the_shell_widgets_are_set_up_as_if_by_the_qt_enums(qtbot) -> None:  # type: ignore[no-untyped-def]
    """``shell_props`` sets by number what the shell would otherwise set through ``Qt``'s enums."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QListView, QSplitter

    from scallop_curator.ui import app, shell_props

    assert shell_props.VERTICAL == Qt.Orientation.Vertical.value
    assert shell_props.PLAIN_TEXT == Qt.TextFormat.PlainText.value
    assert shell_props.SCROLL_BAR_ALWAYS_OFF == Qt.ScrollBarPolicy.ScrollBarAlwaysOff.value
    window = app.open_window()
    qtbot.addWidget(window)
    assert window.page.orientation() == Qt.Orientation.Horizontal
    assert window.page.turn_split.orientation() == Qt.Orientation.Vertical
    assert window.conversation_view.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    labels = [window.model_label, window.progress_label, window.pending_label, window.notice_label,
              window.resume_label, window.turns_title, window.proposals_title, window.conversations_title]
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    window.model_label.setText("<b>not bold</b>")  # a model's name is shown literally
    assert window.model_label.textFormat() == Qt.TextFormat.PlainText
    try:
        shell_props.set_property(QLabel(), "orientation", shell_props.VERTICAL)  # a label has none
    except RuntimeError as problem:
        assert "QLabel.orientation" in str(problem)
    else:
        raise AssertionError("a property that does not exist was taken")
    assert isinstance(window.page.turn_split, QSplitter) and isinstance(window.conversation_view, QListView)
    window.close()


def test_the_window_is_shown_first_and_filled_after_its_first_paint(qtbot, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    from scallop_curator.ui import app

    window = app.open_window()
    qtbot.addWidget(window)
    assert window.isVisible() and not window.is_filled
    assert not hasattr(window, "store")
    assert not window.accept_action.isEnabled() and not window.extract_action.isEnabled()
    wait_filled(qtbot, window)
    assert window.store.path.name == "memories.db" and window.windowTitle().endswith("memories.db")
    assert window.accept_action.isEnabled() and window.extract_action.isEnabled()
    assert not window.undo_action.isEnabled()  # nothing to undo yet: the status is computed, not just switched on
    assert window.findChild(type(window.memories_view)) is window.memories_view
    import_and_wait(qtbot, window, sample_export)
    assert window.conversations.total == 5 and window.current_conversation() is not None
    window.close()
    window.store.close()


def test_a_store_that_cannot_be_opened_is_said_and_the_window_given_up(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                             monkeypatch) -> None:
    from scallop_curator.ui import app

    bad = tmp_path / "memories.db"
    bad.write_bytes(b"this is not sqlite at all\n" * 200)
    said: list[str] = []
    monkeypatch.setattr(app, "_warn", lambda _parent, text: said.append(text))
    loop = QEventLoop()
    window = app.open_window(db=str(bad), unopenable=lambda: loop.exit(2))  # run() ends the app instead
    qtbot.addWidget(window)
    QTimer.singleShot(30_000, lambda: loop.exit(99))  # a guard: the fill should end the loop long before
    assert loop.exec() == 2
    assert len(said) == 1 and str(bad) in said[0]
    assert not window.is_filled
    window.close()  # closing a window that never opened its store stops nothing and fails nothing


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_a_window_closed_before_it_is_filled_never_opens_the_store(qtbot) -> None:  # type: ignore[no-untyped-def]
    from scallop_curator import paths
    from scallop_curator.ui import app

    window = app.open_window()
    qtbot.addWidget(window)
    window.close()  # Ctrl+Q works in the shell too
    qtbot.wait(app.FirstPaint.FALLBACK_MS + 200)  # past the paint and the fallback
    assert not window.is_filled
    assert not paths.default_db_path(None).exists()
