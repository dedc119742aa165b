"""Decide many: a filtered set of pending proposals, previewed, decided in one step, undone as one."""

from __future__ import annotations

from scallop_curator.domain.review import Status
from scallop_curator.ui.memories_bulk import open_bulk_dialog
from tests.ui.test_memories_window import open_window, prepared  # noqa: F401  (fixtures)


def test_bulk_decision_with_preview_is_one_undo_step(open_window, prepared) -> None:  # type: ignore[no-untyped-def]
    path, conversation_id, (paris, berlin, bike) = prepared
    window = open_window(path)
    window.select_conversation(conversation_id)
    dialog = open_bulk_dialog(window)
    assert dialog.summary.text() == "3 pending proposals will be rejected"
    dialog.category.setCurrentIndex(dialog.category.findData("location"))
    dialog.below.setValue(0.95)
    assert dialog.summary.text() == "2 pending proposals will be rejected"
    assert "Lives in Paris" in dialog.preview.toPlainText() and "bike" not in dialog.preview.toPlainText()
    dialog.below.setValue(0.5)
    assert dialog.summary.text().startswith("0 ") and not dialog.apply_button.isEnabled()
    dialog.below.setValue(0.95)
    dialog.apply()
    assert [window.store.proposal(i).status for i in (paris, berlin, bike)] == [
        Status.REJECTED, Status.REJECTED, Status.PENDING]
    assert window.proposals.proposal(window.proposals.row_of(paris)).status is Status.REJECTED  # views heard
    window.undo()
    assert [window.store.proposal(i).status for i in (paris, berlin)] == [Status.PENDING, Status.PENDING]
    window.redo()
    assert [window.store.proposal(i).status for i in (paris, berlin)] == [Status.REJECTED, Status.REJECTED]
