"""Review: the conversation, turn and proposal models behind the review page, what is selected,
and every review action (decide, edit, add by hand, undo, redo, moving around). Each store change
is an operation run through the window's ``OperationsRunner``; the views refresh in
``on_changes``, also after another window's or the CLI's commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QTimer
from PySide6.QtWidgets import QAbstractItemView, QWidget

from scallop_curator.domain.review import Status
from scallop_curator.store import Store, operations
from scallop_curator.store.changes import Changes
from scallop_curator.ui import roles
from scallop_curator.ui.delegates import ConversationDelegate, ProposalDelegate, TurnDelegate
from scallop_curator.ui.models import ConversationListModel, ProposalsModel, TurnsModel
from scallop_curator.ui.operations_runner import OperationsRunner
from scallop_curator.ui.review_page import NO_CONVERSATION, ReviewPage

#: Store keys of the last position, per store (another store has other conversations).
LAST_CONVERSATION = "ui.conversation"
LAST_PROPOSAL = "ui.proposal"


class ReviewController(QObject):
    def __init__(self, parent: QWidget, page: ReviewPage, store: Store, ops: OperationsRunner,
                 notify: Callable[[str, int], None], status_changed: Callable[[], None]) -> None:
        super().__init__(parent)
        self._parent = parent
        self.page = page
        self.store = store
        self.ops = ops
        self._notify = notify
        self._status_changed = status_changed
        self._syncing = False
        self.conversations = ConversationListModel(store)
        self.turns = TurnsModel(store)
        self.proposals = ProposalsModel(store)
        page.conversation_view.setModel(self.conversations)
        page.turn_view.setModel(self.turns)
        page.proposal_view.setModel(self.proposals)
        page.conversation_view.setItemDelegate(ConversationDelegate(page.conversation_view))
        page.turn_view.setItemDelegate(TurnDelegate(page.turn_view))
        page.proposal_view.setItemDelegate(ProposalDelegate(page.proposal_view))
        self.filter_timer = QTimer(self, singleShot=True, interval=150)
        self.filter_timer.timeout.connect(self.apply_query)
        page.filter_edit.textChanged.connect(self.filter_timer.start)
        page.date_combo.currentIndexChanged.connect(self.apply_query)
        page.sort_combo.currentIndexChanged.connect(self.apply_query)
        page.conversation_view.selectionModel().currentChanged.connect(self._conversation_changed)
        page.proposal_view.selectionModel().currentChanged.connect(self._proposal_changed)
        page.turn_view.selectionModel().currentChanged.connect(self._turn_changed)
        ops.add_view(self.on_changes)

    # ------------------------------------------------------------------ state
    def current_conversation(self) -> str | None:
        return self.turns.conversation_id

    def current_proposal_row(self) -> int:
        index = self.page.proposal_view.currentIndex()
        return index.row() if index.isValid() else -1

    def reload(self) -> None:
        """Re-read the conversation list (after an import, or at start)."""
        self.conversations.reload()
        self._update_count()

    def restore_position(self) -> None:
        """Back where the user left this store; a conversation or proposal gone since (deleted by
        a re-import, another store) falls back to the first conversation, never to an error."""
        conversation = self.store.get_meta(LAST_CONVERSATION)
        proposal = self.store.get_meta(LAST_PROPOSAL)
        if conversation and self.conversations.row_of(conversation) >= 0:
            self.select_conversation(conversation)
            if proposal and proposal.isdigit():
                self.select_proposal(int(proposal))
        elif self.conversations.rowCount():
            self.page.conversation_view.setCurrentIndex(self.conversations.index(0))

    def select_conversation(self, conversation_id: str) -> None:
        row = self.conversations.row_of(conversation_id)
        if row < 0 and (self.conversations.text or self.conversations.since):
            self.clear_query()
            row = self.conversations.row_of(conversation_id)
        if row < 0:
            return
        index = self.conversations.index(row)
        self.page.conversation_view.setCurrentIndex(index)
        self.page.conversation_view.scrollTo(index)

    def select_proposal(self, proposal_id: int) -> None:
        row = self.proposals.row_of(proposal_id)
        if row >= 0:
            self.page.proposal_view.setCurrentIndex(self.proposals.index(row))

    def select_first_if_none(self) -> None:
        if self.current_conversation() is None and self.conversations.rowCount():
            self.page.conversation_view.setCurrentIndex(self.conversations.index(0))

    def apply_query(self) -> None:
        page = self.page
        days = page.date_combo.currentData() or 0
        since = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat() if days else None
        current = self.current_conversation()
        self.conversations.set_query(page.filter_edit.text().strip(), since, page.sort_combo.currentData())
        row = self.conversations.row_of(current) if current else -1
        if row >= 0:
            page.conversation_view.setCurrentIndex(self.conversations.index(row))
        self._update_count()

    def clear_query(self) -> None:
        widgets = (self.page.filter_edit, self.page.date_combo)
        for widget in widgets:
            widget.blockSignals(True)
        self.page.filter_edit.clear()
        self.page.date_combo.setCurrentIndex(0)
        for widget in widgets:
            widget.blockSignals(False)
        self.conversations.set_query("", None)

    def _update_count(self) -> None:
        self.page.conversations_title.setText(f"Conversations · {self.conversations.total:,}")

    # ------------------------------------------------------------------ selection
    def _conversation_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        conversation_id = current.data(roles.ID_ROLE) if current.isValid() else None
        if conversation_id == self.turns.conversation_id:
            return
        self.turns.load(conversation_id)
        self.proposals.load(conversation_id)
        self.page.reader.show_turn(None)
        self.store.set_meta(LAST_CONVERSATION, conversation_id)
        self.update_titles()
        if self.proposals.rowCount():
            first = self.proposals.next_pending(-1)
            self.page.proposal_view.setCurrentIndex(self.proposals.index(max(first, 0)))
        self._status_changed()

    def _proposal_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        proposal = self.proposals.proposal(current.row())
        self.store.set_meta(LAST_PROPOSAL, str(proposal.id))
        self.turns.set_highlight(proposal.turn_id)
        turn_row = self.turns.row_of_turn(proposal.turn_id)
        if turn_row >= 0:
            self.page.reader.show_turn(self.turns.turn(turn_row), proposal.text)
        if self._syncing or turn_row < 0:
            return
        self._syncing = True
        try:
            index = self.turns.index(turn_row)
            turn_view = self.page.turn_view
            turn_view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            turn_view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        finally:
            self._syncing = False

    def _turn_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or self._syncing:
            return
        turn = self.turns.turn(current.row())
        rows = self.proposals.rows_for_turn(turn.id)
        self.turns.set_highlight(turn.id)
        self.page.reader.show_turn(turn, self.proposals.proposal(rows[0]).text if rows else None)
        proposal_view = self.page.proposal_view
        if rows:
            self._syncing = True
            try:
                index = self.proposals.index(rows[0])
                proposal_view.setCurrentIndex(index)
                proposal_view.scrollTo(index)
            finally:
                self._syncing = False
        else:
            proposal_view.selectionModel().clearCurrentIndex()
            proposal_view.clearSelection()

    def update_titles(self) -> None:
        page = self.page
        conversation_id = self.current_conversation()
        if conversation_id is None:
            page.turns_title.setText(NO_CONVERSATION)
            page.proposals_title.setText("Proposed memories")
            return
        # The filter may hide the open conversation (also during an extraction): read it directly.
        summary = self.conversations.summary_of(conversation_id)
        if summary is None:
            return
        date = f" · {summary.created_at[:10]}" if summary.created_at else ""
        page.turns_title.setText(f"{summary.title} · {summary.turn_count} turns{date}")
        if not summary.extracted:
            hint = "not extracted yet: press Ctrl+E"
        else:
            hint = f"{summary.pending} pending of {summary.proposals}"
            if summary.unextracted:
                hint += f" · {summary.unextracted} turns not extracted"
        page.proposals_title.setText(f"Proposed memories · {hint}")

    # ------------------------------------------------------------------ decisions
    def decide(self, status: Status, edited_text: str | None = None, advance: bool = True,
               choice: str | None = None, fields: dict[str, object] | None = None) -> None:
        row = self.current_proposal_row()
        if row < 0:
            return
        proposal = self.proposals.proposal(row)
        # committed before the UI moves on; views refresh in on_changes
        if self.ops.run(lambda: operations.decide(self.store, proposal.id, status, edited_text, choice, fields),
                        "Decision not saved") is None:
            return
        if advance:
            following = self.proposals.next_pending(row)
            if following >= 0:
                self.page.proposal_view.setCurrentIndex(self.proposals.index(following))

    def accept_current(self) -> None:
        self.decide(Status.ACCEPTED)

    def accept_replacing(self) -> None:
        self.decide(Status.ACCEPTED, choice=operations.REPLACE)

    def reject_current(self) -> None:
        self.decide(Status.REJECTED)

    def skip_current(self) -> None:
        self.decide(Status.SKIPPED)

    def edit_current(self) -> None:
        from scallop_curator.ui.dialogs import FactEditDialog, FactFields, quote

        row = self.current_proposal_row()
        if row < 0:
            return
        proposal = self.proposals.proposal(row)
        current = FactFields(proposal.text, proposal.subject, proposal.category, proposal.confidence,
                             proposal.action, proposal.old_value, proposal.replaces)
        turn_row = self.turns.row_of_turn(proposal.turn_id)
        context = ""
        if turn_row >= 0:
            context = f"From turn {proposal.turn_index + 1}: “{quote(self.turns.turn(turn_row).text)}”"
        dialog = FactEditDialog(self._parent, "Edit memory", fields=current, context=context)
        if not dialog.exec():
            return
        values = dialog.values()
        if not values.content:
            return
        edited_text = values.content if values.content != proposal.content else None
        self.decide(Status.EDITED, edited_text, advance=True, fields=values.others())

    def add_manual(self) -> None:
        from scallop_curator.ui.dialogs import FactEditDialog, quote

        index = self.page.turn_view.currentIndex()
        if not index.isValid():
            self._notify("Select a turn first, then press H to add a memory to it.", 4000)
            return
        turn = self.turns.turn(index.row())
        context = f"To turn {turn.index + 1} ({turn.role}): “{quote(turn.text)}”"
        dialog = FactEditDialog(self._parent, "Add a memory by hand", "", context=context)
        if not dialog.exec():
            return
        values = dialog.values()
        changes = self.ops.run(lambda: operations.add_by_hand(
            self.store, turn.conversation_id, turn.id, values.content, values.subject, values.category),
            "Memory not added")
        if changes is not None and changes.focus is not None:
            self.select_proposal(changes.focus)

    def undo(self) -> None:
        changes = self.ops.run(lambda: operations.undo(self.store), "Nothing undone")
        self._jump_to(changes.focus if changes else None)

    def redo(self) -> None:
        changes = self.ops.run(lambda: operations.redo(self.store), "Nothing redone")
        self._jump_to(changes.focus if changes else None)

    # ------------------------------------------------------------------ refreshing
    def on_changes(self, changes: Changes) -> None:
        """Views refresh from what an operation (this window's, or another connection's) changed."""
        if changes.external or changes.imported:
            model = self.conversations
            if changes.imported or self.store.conversation_count(model.text, model.since) != model.total:
                # a file came in: new conversations, or new turns that move old ones in the order
                self.apply_query()
            else:
                model.refresh_counts()
        elif changes.conversations and not (changes.proposals or changes.turns or changes.memories
                                            or changes.journal or changes.focus is not None):
            # A turn's result was stored (extraction): those conversations' counts, and this one's
            # lists only when it is among them; the selection stays where the user is.
            self.conversations.refresh_counts(sorted(changes.conversations))
            if self.current_conversation() in changes.conversations:
                self.refresh_proposals()
                self.turns.refresh()
            self.update_titles()
            self._status_changed()
            return
        self.refresh_after_change()

    def _jump_to(self, proposal_id: int | None) -> None:
        if proposal_id is None:
            return
        proposal = self.store.proposal(proposal_id)
        self.refresh_after_change()
        if proposal.conversation_id != self.current_conversation():
            self.select_conversation(proposal.conversation_id)
        self.select_proposal(proposal_id)

    def refresh_proposals(self) -> None:
        """Re-read proposals keeping the selection; with none yet, select the first pending."""
        row = self.current_proposal_row()
        current = self.proposals.proposal(row).id if row >= 0 else None
        self.proposals.refresh()
        if current is not None and self.proposals.row_of(current) >= 0:
            if self.proposals.row_of(current) != self.current_proposal_row():
                self.select_proposal(current)
        elif self.proposals.rowCount():
            first = self.proposals.next_pending(-1)
            self.page.proposal_view.setCurrentIndex(self.proposals.index(max(first, 0)))

    def refresh_after_change(self) -> None:
        self.refresh_proposals()
        self.turns.refresh()
        if self.current_conversation():
            self.conversations.refresh_counts([self.current_conversation()])
        self.update_titles()
        self._status_changed()

    # ------------------------------------------------------------------ moving around
    def move_proposal(self, step: int) -> None:
        count = self.proposals.rowCount()
        if count:
            row = min(max(self.current_proposal_row() + step, 0), count - 1)
            self.page.proposal_view.setCurrentIndex(self.proposals.index(row))

    def next_pending_conversation(self) -> None:
        model = self.conversations
        query = model.text, model.since, model.order
        ids = self.store.conversation_ids(*query, pending_only=True)
        current = self.current_conversation()
        candidates = [i for i in ids if i != current]
        if not candidates:
            self._notify("No other conversation has pending proposals.", 3000)
            return
        order = self.store.conversation_ids(*query)
        position = order.index(current) if current in order else -1
        after = [i for i in candidates if order.index(i) > position]
        self.select_conversation((after or candidates)[0])
        self.page.proposal_view.setFocus()

    def focus_filter(self) -> None:
        self.page.filter_edit.setFocus()
        self.page.filter_edit.selectAll()
