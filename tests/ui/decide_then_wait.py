"""Run by test_kill_safety in its own process: the real window accepts a proposal with the
keyboard, says so once the window shows it, then waits to be killed."""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from scallop_curator.extraction.client import WorkerClient  # noqa: E402
from scallop_curator.settings import Settings  # noqa: E402
from scallop_curator.store import Store  # noqa: E402
from scallop_curator.ui import roles  # noqa: E402
from scallop_curator.ui.main_window import MainWindow  # noqa: E402


def main(db: str, export: str, model: str) -> None:
    app = QApplication([])
    window = MainWindow(Store(db), Settings(model_path=model), client=WorkerClient(engine_factory="fake_engine:make_engine"))
    window.show()
    imported: list[str] = []
    window.importer.finished.connect(imported.append)
    window.import_files([export])
    while not imported:
        app.processEvents()
        time.sleep(0.01)
    conversation = next(s for s in window.store.conversations() if s.title == "Dutch B1 study plan")
    window.select_conversation(conversation.id)
    done: list[str] = []
    window.controller.finished.connect(done.append)
    window.extraction.extract_current()
    while not done:
        app.processEvents()
        time.sleep(0.01)
    window.activateWindow()
    window.proposal_view.setFocus()
    row = window.current_proposal_row()
    proposal_id = window.proposals.proposal(row).id
    QTest.keyClick(window.proposal_view, Qt.Key.Key_A)
    app.processEvents()
    shown = window.proposals.index(window.proposals.row_of(proposal_id)).data(roles.STATUS_ROLE)
    print(f"SHOWN {proposal_id} {shown}", flush=True)
    while True:  # wait to be killed, with the window alive and the store open
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    main(*sys.argv[1:4])
