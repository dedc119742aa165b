"""Markup is text, everywhere (issue 8): an export whose titles, messages and facts hold
``<img src=FILE>``, links, bold and style must never make the window open FILE, and must show
the text literally, in every view, tooltip, label and dialog."""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtGui import Qt as GuiQt  # mightBeRichText lives in QtGui
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMessageBox, QToolTip

from helpers import import_and_wait, write_chatgpt_export
from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.ui import plain
from scallop_curator.ui.dialogs import FactEditDialog, ShortcutSheet, show_crash

IN_ACCESS, IN_OPEN = 0x1, 0x20


class OpenWatch:
    """Reports whether anyone opened or read a file (Linux inotify), so a test can tell that
    rich text tried to load an image, whichever Qt code path would do it."""

    def __init__(self, path: Path) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0 or libc.inotify_add_watch(self.fd, str(path).encode(), IN_OPEN | IN_ACCESS) < 0:
            raise OSError(ctypes.get_errno(), "inotify is not available")
        self.events = 0

    def opened(self) -> bool:
        try:
            while os.read(self.fd, 4096):
                self.events += 1
        except BlockingIOError:
            pass
        return self.events > 0

    def close(self) -> None:
        os.close(self.fd)


class _NoLoadDocument(QTextDocument):
    """Renders markup to text for the assertions without loading anything itself."""

    def loadResource(self, _type: int, _name: object) -> object:  # noqa: N802
        return None


def shown_text(text: str) -> str:
    """What a label or tooltip given ``text`` displays: rich text when Qt guesses so."""
    if GuiQt.mightBeRichText(text):
        document = _NoLoadDocument()
        document.setHtml(text)
        return document.toPlainText()
    return text


@pytest.fixture
def bait():  # type: ignore[no-untyped-def]
    # A short path: facts bound their fields' lengths, and the path goes inside them.
    folder = Path(tempfile.mkdtemp(prefix="b"))
    image = folder / "b.png"
    picture = QImage(4, 4, QImage.Format.Format_RGB32)
    picture.fill(0)
    assert picture.save(str(image))
    watch = OpenWatch(image)
    yield image, watch
    watch.close()
    shutil.rmtree(folder)


@pytest.mark.modal("QMessageBox")  # the crash dialog runs for real; the timer below closes it
def test_markup_from_an_export_a_model_or_the_user_is_never_rendered(qtbot, open_window, tmp_path: Path,
                                                                    bait, dialogs) -> None:  # type: ignore[no-untyped-def]
    image, watch = bait
    title = f'<img src="{image}"> Trip <b>plan</b>'
    link_title = f'<a href="file://{image}">click</a><style>p {{ background: url({image}) }}</style>'
    message = f'Hello <img src="{image}"> I live in <b>Rotterdam</b> <a href="{image}">x</a>'
    export = write_chatgpt_export(tmp_path / "hostile.json", [
        (title, 1_700_000_000, [("user", message), ("assistant", f"<style>*{{color:red}}</style><img src='{image}'>")]),
        (link_title, 1_700_100_000, [("user", "plain words"), ("assistant", "ok")]),
    ])
    fact_text = f'<img src="{image}">'
    window = open_window()
    import_and_wait(qtbot, window, export)
    conversation = next(s for s in window.store.conversations() if s.title == title)
    info = RunInfo(model=f"<img src='{image}'>", prompt_version="<b>v</b>")
    run = window.store.start_run(info)
    window.store.record_result(run, info, TurnResult(
        conversation_id=conversation.id, turn_index=0, parse_ok=True,
        facts=[Fact(content=fact_text, subject="<b>me</b>", category="personal", confidence=0.9,
                    action="correction", old_value=f"<img src={image}>", replaces="<a href='x'>y</a>")]))
    window.select_conversation(conversation.id)
    window._refresh_after_change()
    window.settings.model_source = "server"
    window.settings.server_url = "http://127.0.0.1:9"
    window.settings.server_model = f"<img src='{image}'>"
    window._update_status()
    window.notify(f"imported {title}", 600_000)  # still shown at the end of the slow checks below
    QApplication.processEvents()

    # Every view painted, every item's tooltip shown.
    tooltips: list[tuple[str, str]] = []
    for view in (window.conversation_view, window.turn_view, window.proposal_view):
        view.viewport().grab()
        model = view.model()
        for row in range(model.rowCount()):
            tip = model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
            literal = model.index(row, 0).data() if view is not window.turn_view else ""
            tooltips.append((tip, literal))
            QToolTip.showText(view.viewport().mapToGlobal(QPoint(5, 5)), tip, view)
            QApplication.processEvents()
    for widget in (window.model_label, window.notice_label, window.cancel_button):
        QToolTip.showText(widget.mapToGlobal(QPoint(1, 1)), widget.toolTip(), widget)
        QApplication.processEvents()
    QToolTip.hideText()
    window.statusBar().grab()
    window.grab()

    # Dialogs: edit (every field), add by hand (quotes the turn), the sheet, a message box, a crash.
    window.proposal_view.setCurrentIndex(window.proposals.index(0))
    proposal = window.proposals.proposal(0)
    edit = FactEditDialog(window, "Edit memory", context=f"From turn 1: {message}")
    edit.text.setText(proposal.text)
    edit.subject.setText(proposal.subject)
    edit.show()
    edit.grab()
    texts = [w.text() for w in edit.findChildren(QLineEdit)] + [w.text() for w in edit.findChildren(QLabel)]
    edit.close()
    sheet = ShortcutSheet(window, window.actions())
    sheet.show()
    sheet.grab()
    sheet.close()

    def close_boxes() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                text = widget.text()
                widget.grab()
                widget.done(0)
                texts.append(text if widget.textFormat() == Qt.TextFormat.PlainText else shown_text(text))

    closer = QTimer(interval=50)
    closer.timeout.connect(close_boxes)
    closer.start()
    def shown_warning(_parent, _title, text, *_rest):  # type: ignore[no-untyped-def]
        texts.append(shown_text(text))  # the static box gets escaped rich text: what it would show
        return QMessageBox.StandardButton.Ok

    dialogs.answer("QMessageBox.warning", shown_warning)
    plain.warning(window, "Could not import", f"{title}: not a chat export")
    show_crash(window, f"ValueError: {title}", "details", "/tmp/log")
    closer.stop()

    assert not watch.opened(), "rich text loaded the image named in an export"
    for tip, literal in tooltips:
        assert literal in shown_text(tip) and "&lt;" not in shown_text(tip)  # markup shown as written
    conversation_tip = window.conversations.index(window.conversations.row_of(conversation.id)).data(
        Qt.ItemDataRole.ToolTipRole)
    assert shown_text(conversation_tip).startswith(title)
    assert shown_text(window.model_label.toolTip()).count("<img") == 1
    for label in (window.turns_title, window.model_label, window.notice_label, window.progress_label):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert window.turns_title.text().startswith(title)
    assert title in window.notice_label.text()
    assert fact_text in texts and "<b>me</b>" in texts and f"From turn 1: {message}" in texts
    assert f"{title}: not a chat export" in texts
    assert any(t.startswith("Something went wrong inside Scallop Curator: ValueError: " + title) for t in texts)
    assert window.reader.toPlainText() == message


def test_the_watch_sees_rich_text_load_an_image(qtbot, bait) -> None:  # type: ignore[no-untyped-def]
    """The test above can fail: the same markup in a rich-text label does open the file."""
    image, watch = bait
    label = QLabel(f'<img src="{image}"> title')
    qtbot.addWidget(label)
    label.show()
    label.grab()
    assert watch.opened()
