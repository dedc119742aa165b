"""A whole window session with the real model, run by tests/test_privacy.py in a process whose
network is guarded by the sitecustomize beside this file: open an export, extract a conversation
with SmolLM2 in the real worker process, decide on what it proposed, undo and redo, and close.

Usage: python window_session.py STORE EXPORT MODEL
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from scallop_curator.domain.review import Status  # noqa: E402
from scallop_curator.settings import Settings  # noqa: E402
from scallop_curator.store import Store  # noqa: E402
from scallop_curator.ui.main_window import MainWindow  # noqa: E402


def wait_for(signal, seconds: float) -> None:  # type: ignore[no-untyped-def]
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def start_any_plan() -> None:
    """Click Start on the extraction plan, as a user would: it is shown when the speed measured by
    the CLI step makes this conversation's estimate long, and it is modal."""
    from scallop_curator.ui.extraction_plan_dialog import ExtractionPlanDialog

    dialog = QApplication.activeModalWidget()
    if isinstance(dialog, ExtractionPlanDialog):
        print("plan shown; started", flush=True)
        dialog.start_button.click()


def main() -> int:
    store_path, export, model = (Path(arg) for arg in sys.argv[1:4])
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(Store(store_path), Settings(model_path=str(model)))
    window.show()
    window.import_files([export])
    wait_for(window.importer.finished, 60)
    first = window.store.conversations()[0]
    window.select_conversation(first.id)
    clicker = QTimer(interval=200)
    clicker.timeout.connect(start_any_plan)
    clicker.start()
    window.extraction.extract_current()
    clicker.stop()
    wait_for(window.controller.finished, 300)
    decided = 0
    for row in range(window.proposals.rowCount()):
        window.store.decide(window.proposals.proposal(row).id, Status.ACCEPTED)
        decided += 1
    window.undo()
    window.redo()
    window.close()
    app.processEvents()
    window.store.close()
    print(f"session done: {window.store.path} {decided} decided")
    return 0


if __name__ == "__main__":
    sys.exit(main())
