"""The autouse ``dialogs`` guard: a dialog nobody expected answers with a refusal at once (the test
is failed at teardown, not blocked), and an expected one gets the test's answer."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox


def test_an_unexpected_dialog_is_refused_and_recorded(qtbot, dialogs) -> None:  # type: ignore[no-untyped-def]
    assert QMessageBox.question(None, "Delete?", "Delete everything?") == QMessageBox.StandardButton.No
    assert QInputDialog.getItem(None, "Who?", "Who is the user?", ["Rosa", "Ivan"], 0, False) == ("", False)
    assert QFileDialog.getOpenFileName(None, "Open") == ("", "")
    dialog = QDialog()
    qtbot.addWidget(dialog)
    assert dialog.exec() == 0 and dialog.result() == QDialog.DialogCode.Rejected
    box = QMessageBox(QMessageBox.Icon.Critical, "Crash", "Something broke")
    qtbot.addWidget(box)
    box.exec()
    assert len(dialogs.unexpected) == 5
    assert dialogs.unexpected[0].startswith("QMessageBox.question(") and "Delete everything?" in dialogs.unexpected[0]
    assert dialogs.unexpected[-1] == "QMessageBox.exec('Crash')"
    dialogs.unexpected.clear()  # seen and checked here: the guard must not fail this test


def test_an_expected_dialog_gets_the_tests_answer(qtbot, dialogs) -> None:  # type: ignore[no-untyped-def]
    dialogs.answer("QMessageBox.question", QMessageBox.StandardButton.Yes)
    dialogs.answer("QDialog", lambda dialog: QDialog.DialogCode.Accepted)
    assert QMessageBox.question(None, "Go on?", "Go on?") == QMessageBox.StandardButton.Yes
    dialog = QDialog()
    qtbot.addWidget(dialog)
    assert dialog.exec() == QDialog.DialogCode.Accepted
    assert dialogs.unexpected == [] and len(dialogs.seen) == 2
