"""The memories view and its lazy model on a real store; File → Export's dialog writing a real file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from scallop_curator.domain.review import Status
from scallop_curator.store import Store, memories, operations
from scallop_curator.ui import roles
from scallop_curator.ui.export_dialog import ExportDialog
from scallop_curator.ui.memories_model import MemoriesModel
from tests.ui.test_memories_window import open_window, prepared  # noqa: F401  (fixtures)


def _many(store: Store, count: int) -> None:
    with store._writing():
        for i in range(count):
            memories.add(store.db, f"Fact number {i} about gardening" if i % 2 else f"Fact number {i} about boats",
                         "user" if i % 3 else "Anna", "general" if i % 5 else "work")


def test_model_passes_qtmodeltester_and_pages_lazily(qtmodeltester, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "m.db")
    _many(store, 450)
    model = MemoriesModel(store)
    model.reload()
    assert model.total == 450 and model.rowCount() == MemoriesModel.PAGE
    qtmodeltester.check(model, force_py=True)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 450
    model.set_query(search="garden")
    assert model.total == 225 and all("gardening" in model.memory(r).content for r in range(model.rowCount()))
    model.set_query(search="", subject="anna", category="work")
    assert model.total == memories.count(store.db, subject="Anna", category="work") > 0
    model.sort(0, Qt.SortOrder.AscendingOrder)
    texts = [model.memory(r).content for r in range(model.rowCount())]
    assert texts == sorted(texts, key=str.lower)
    qtmodeltester.check(model, force_py=True)
    store.close()


def test_counting_stops_at_the_cap_and_every_row_still_pages_in(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.db")
    _many(store, 450)
    model = MemoriesModel(store)
    model.COUNT_CAP = 300
    model.reload()
    assert model.total_text == "300+"
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 450 and model.total_text == "450"
    store.close()


def test_inline_edit_forget_restore_and_history(qtmodeltester, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "m.db")
    _, _, memory_id = operations.add_memory(store, "Likes figs", "user", "preference")
    model = MemoriesModel(store)
    model.reload()
    index = model.index(0, 0)
    assert index.flags() & Qt.ItemFlag.ItemIsEditable and not model.index(0, 1).flags() & Qt.ItemFlag.ItemIsEditable
    assert model.setData(index, "Likes fresh figs")
    assert model.index(0, 0).data() == "Likes fresh figs"
    assert not model.setData(index, "   ")  # an empty memory is not an edit
    model.on_changes(operations.forget_memory(store, memory_id))
    assert model.rowCount() == 0  # it left the current set
    model.set_query(statuses=("forgotten",))
    assert model.index(0, 3).data() == "forgotten" and model.index(0, 0).data(roles.ID_ROLE) == memory_id
    history = memories.history(store.db, memory_id)
    assert [(h.old_text, h.new_text) for h in history][1] == ("Likes figs", "Likes fresh figs")
    qtmodeltester.check(model, force_py=True)
    store.close()


def test_memories_page_in_the_window(open_window, prepared, qtbot) -> None:  # type: ignore[no-untyped-def]
    path, conversation_id, (paris, berlin, bike) = prepared
    window = open_window(path)
    window.select_conversation(conversation_id)
    window.select_proposal(paris)
    window.accept_current()
    window.show_page(1)
    view = window.memories_view
    assert window.pages.currentWidget() is view
    assert not window.accept_action.isEnabled()  # typing in the memories view never decides
    assert view.model.rowCount() == 1 and view.model.index(0, 0).data() == "Lives in Paris"
    assert "kept: Lives in Paris" in view.history.toPlainText()
    # a decision in review shows up here through on_changes
    window.show_page(0)
    assert window.accept_action.isEnabled()
    window.select_proposal(bike)
    window.accept_current()
    assert view.model.total == 2
    # search as you type
    view.search.setText("bik")
    qtbot.waitUntil(lambda: view.model.total == 1)
    assert view.model.index(0, 0).data() == "Has a bike"
    # forget, then the source turn is one step away
    view.table.setCurrentIndex(view.model.index(0, 0))
    view.forget_current()
    assert view.model.total == 0 and memories.listed(window.store.db, search="bike") == []
    view.search.clear()
    view.status.setCurrentIndex(view.status.findText("Forgotten"))
    qtbot.waitUntil(lambda: not view.model.waiting and view.model.total == 1)
    view.table.setCurrentIndex(view.model.index(0, 0))
    view.restore_current()
    assert memories.listed(window.store.db, search="bike")[0].status == "current"
    view.status.setCurrentIndex(view.status.findText("All"))
    qtbot.waitUntil(lambda: not view.model.waiting and view.model.total == 2)
    row = next(r for r in range(view.model.rowCount()) if view.model.memory(r).content == "Lives in Paris")
    view.table.setCurrentIndex(view.model.index(row, 0))
    view.show_source()
    assert window.pages.currentIndex() == 0
    turn = window.turns.turn(window.turn_view.currentIndex().row())
    assert turn.id == window.store.proposal(paris).turn_id
    assert window.store.proposal(berlin).status is Status.PENDING


def test_export_dialog_previews_plain_text_and_writes_the_file(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "m.db")
    operations.add_memory(store, "Reads <b>poetry</b>", "user", "preference")
    dialog = ExportDialog(None, store)
    qtbot.addWidget(dialog)
    assert dialog.preview.toPlainText().startswith("About me:")
    assert "<b>poetry</b>" in dialog.preview.toPlainText()  # shown literally
    dialog.target.setCurrentIndex(dialog.target.findData("markdown"))
    out = tmp_path / "out.md"
    dialog.path.setText(str(out))
    with qtbot.waitSignal(dialog.exportFinished, timeout=20_000) as ended:
        dialog.run_export()
    assert ended.args == [True]
    assert "Reads \\<b\\>poetry\\</b\\>" in out.read_text()
    dialog.target.setCurrentIndex(dialog.target.findData("scallopbot"))
    dialog.path.setText(str(tmp_path / "missing.db"))
    with qtbot.waitSignal(dialog.exportFinished, timeout=20_000) as ended:
        dialog.run_export()
    assert ended.args == [False] and "does not exist" in dialog.result.text()
    store.close()


def test_ctrl_z_undoes_and_redoes_memory_changes_from_both_views(open_window, prepared, qtbot) -> None:  # type: ignore[no-untyped-def]
    path, conversation_id, (paris, _berlin, _bike) = prepared
    window = open_window(path)
    with qtbot.waitActive(window):  # window shortcuts (Ctrl+Z) need the active window
        window.activateWindow()
    window.select_conversation(conversation_id)
    window.select_proposal(paris)
    window.accept_current()
    window.show_page(1)
    view = window.memories_view
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(0, 0))
    memory_id = view.current_memory_id()
    assert view.model.setData(view.model.index(0, 0), "Lives in Paris, France")
    view.forget_current()
    assert view.model.total == 0 and window.undo_action.isEnabled()

    qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the forget
    assert memories.get(window.store.db, memory_id).status == memories.CURRENT
    assert view.model.total == 1 and view.model.index(0, 0).data() == "Lives in Paris, France"
    qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the edit
    assert view.model.index(0, 0).data() == "Lives in Paris"
    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(view.table, Qt.Key.Key_Z, redo)
    assert view.model.index(0, 0).data() == "Lives in Paris, France"

    window.show_page(0)  # the same journal from review: undo the edit, then the decision itself
    window.undo()
    assert memories.get(window.store.db, memory_id).content == "Lives in Paris"
    window.undo()
    assert window.store.proposal(paris).status is Status.PENDING and view.model.total == 0
    window.redo()
    window.redo()
    assert view.model.index(0, 0).data() == "Lives in Paris, France"


def test_filters_by_source_conversation_and_days_off_the_ui_thread(open_window, prepared, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QDate

    from scallop_curator.store.changes import EXTERNAL

    path, conversation_id, (paris, _berlin, bike) = prepared
    window = open_window(path)
    window.select_conversation(conversation_id)
    for proposal_id in (paris, bike):
        window.select_proposal(proposal_id)
        window.accept_current()
    _, _, typed = operations.add_memory(window.store, "Likes figs", "user", "preference")  # no conversation
    with window.store._writing():  # kept on other days
        window.store.db.execute("UPDATE memories SET created_at = '2024-03-05T10:00:00+00:00' WHERE id = ?", [typed])
        window.store.db.execute("UPDATE memories SET created_at = '2024-03-09T23:59:00+00:00' WHERE content = 'Has a bike'")
    window.ops.publish(EXTERNAL)  # as the window's watcher does for another connection's changes
    window.show_page(1)
    view = window.memories_view
    qtbot.waitUntil(lambda: not view.model.waiting and view.model.total == 3)

    def shown() -> set[str]:
        qtbot.waitUntil(lambda: not view.model.waiting)
        return {view.model.memory(r).content for r in range(view.model.rowCount())}

    # the source conversation: only conversations memories came from are offered
    assert [view.conversation.itemData(i) for i in range(view.conversation.count())] == [None, conversation_id]
    view.conversation.setCurrentIndex(1)
    assert shown() == {"Lives in Paris", "Has a bike"}
    view.conversation.setCurrentIndex(0)
    # days, both ends included
    view.since.setDate(QDate(2024, 3, 5))
    view.until.setDate(QDate(2024, 3, 9))
    view.apply_filters()
    assert shown() == {"Likes figs", "Has a bike"}
    view.since.setDate(QDate(2024, 3, 6))
    view.apply_filters()
    assert shown() == {"Has a bike"}
    view.until.setDate(view.until.minimumDate())  # "any day"
    view.since.setDate(QDate(2024, 3, 10))
    view.apply_filters()
    assert shown() == {"Lives in Paris"}
    assert view.title.text() == "Memories · 1"


def test_only_the_latest_question_is_answered(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "m.db")
    _many(store, 450)
    model = MemoriesModel(store)
    reloads: list[int] = []
    model.reloaded.connect(lambda: reloads.append(model.total))
    for text in ("b", "bo", "boa", "boat", "boats"):  # typing: each keystroke asks again
        model.request(search=text)
    qtbot.waitUntil(lambda: not model.waiting)
    assert model.total == 225 and all("boats" in model.memory(r).content for r in range(model.rowCount()))
    assert reloads and reloads[-1] == 225 and len(reloads) <= 5
    model.close()
    store.close()


def test_a_bug_in_a_background_question_is_said_and_the_next_one_answered(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, monkeypatch) -> None:
    from scallop_curator.store import memories

    store = Store(tmp_path / "m.db")
    _many(store, 10)
    model = MemoriesModel(store)
    count = memories.count
    monkeypatch.setattr(memories, "count", lambda *_a, **_k: 1 / 0)
    model.request(search="boat")
    qtbot.waitUntil(lambda: not model.waiting, timeout=10_000)
    assert "internal error" in model.error and str(store.path) in model.error
    monkeypatch.setattr(memories, "count", count)
    model.request(search="")  # the thread lived on
    qtbot.waitUntil(lambda: not model.waiting, timeout=10_000)
    assert model.total == 10
    model.close()
    store.close()
