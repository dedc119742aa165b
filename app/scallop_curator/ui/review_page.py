"""The review page's widgets: conversations | turns over the reader | proposals. Only Qt and
light modules: it is built before the window is first shown, before the store is open, so start-up
never waits for the store's imports. The ``ReviewController`` gives the views their models and
the delegates that draw them (nothing to draw before)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.ui import shell_props
from scallop_curator.ui.reader import MessageReader
from scallop_curator.ui.widgets import FilterEdit, pane

DATE_RANGES = [("Any date", 0), ("Past week", 7), ("Past month", 31), ("Past year", 366)]
SORT_ORDERS = [("Newest first", "newest"), ("Oldest first", "oldest"), ("By title", "title")]
NO_CONVERSATION = "Open a chat export to begin (Ctrl+O)"


class ReviewPage(QSplitter):
    """Three panes side by side; the turn list shares its pane with the message reader."""

    def __init__(self) -> None:
        super().__init__(objectName="reviewSplit")  # horizontal
        self.conversation_view = QListView(objectName="conversations")
        self.filter_edit = FilterEdit(self.conversation_view)
        self.filter_edit.setClearButtonEnabled(True)
        self.conversation_view.setUniformItemSizes(True)
        shell_props.no_horizontal_scroll_bar(self.conversation_view)
        self.conversation_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.turn_view = QListView(objectName="turns")
        self.proposal_view = QListView(objectName="proposals")
        for view in (self.turn_view, self.proposal_view):
            view.setResizeMode(QListView.ResizeMode.Adjust)
            view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            view.setWordWrap(True)
            view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.filter_edit.leave_to = self.proposal_view
        self.reader = MessageReader()

        self.turns_title = QLabel(NO_CONVERSATION)
        self.proposals_title = QLabel("Proposed memories")
        self.conversations_title = QLabel("Conversations")
        # Titles come from the export: plain text.
        shell_props.plain_text(self.turns_title, self.proposals_title, self.conversations_title)
        for label in (self.turns_title, self.proposals_title, self.conversations_title):
            label.setStyleSheet("font-weight: 600; padding: 2px 0;")
            label.setWordWrap(True)  # a long title wraps instead of widening the window past the screen
        self.date_combo = QComboBox(objectName="dateFilter")
        for text, days in DATE_RANGES:
            self.date_combo.addItem(text, days)
        self.sort_combo = QComboBox(objectName="sortOrder")
        for text, order in SORT_ORDERS:
            self.sort_combo.addItem(text, order)
        query_row = QWidget()
        query_layout = QVBoxLayout(query_row)
        query_layout.setContentsMargins(0, 0, 0, 0)
        query_layout.addWidget(self.filter_edit)
        combos = QHBoxLayout()
        combos.addWidget(self.date_combo)
        combos.addWidget(self.sort_combo)
        query_layout.addLayout(combos)
        self.addWidget(pane(self.conversations_title, self.conversation_view, query_row))
        self.turn_split = QSplitter(objectName="turnSplit")
        shell_props.vertical(self.turn_split)
        self.turn_split.addWidget(self.turn_view)
        self.turn_split.addWidget(self.reader)
        self.turn_split.setSizes([560, 160])
        self.turn_split.setChildrenCollapsible(True)
        self.addWidget(pane(self.turns_title, self.turn_split))
        self.addWidget(pane(self.proposals_title, self.proposal_view))
        self.setSizes([240, 560, 400])
        self.setChildrenCollapsible(False)
