"""The memories view: every kept memory, searched as you type (FTS5), filtered by status, subject,
category, source conversation and the days it was kept (from / to), sorted by any column, edited in
place, forgotten and restored (each undoable with Ctrl+Z), with each memory's history and a step to
the turn it came from. Filtering runs off the UI thread, so typing never stalls. ``install`` adds it to the window beside review (Ctrl+2 / Ctrl+1)
with File → Export."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.domain.facts import CATEGORIES
from scallop_curator.store import Store, memories, operations
from scallop_curator.store.changes import Changes
from scallop_curator.ui.memories_model import MemoriesModel
from scallop_curator.ui.operations_runner import OperationsRunner

STATUS_CHOICES = [("Current", (memories.CURRENT,)), ("Superseded", (memories.SUPERSEDED,)),
                  ("Forgotten", (memories.FORGOTTEN,)), ("All", None)]


class MemoriesView(QWidget):
    """Signals:
        showSource(str, int): the user asked for the turn a memory came from (conversation, turn id).
    """

    showSource = Signal(str, int)

    def __init__(self, store: Store, runner: OperationsRunner) -> None:
        super().__init__(objectName="memoriesView")
        self._store = store
        self._runner = runner
        self.model = MemoriesModel(store, lambda operation: runner.run(operation, "Memory not changed"))
        runner.add_view(self.on_changes)

        self.search = QLineEdit(placeholderText="Search memories (Ctrl+F)", clearButtonEnabled=True, objectName="memorySearch")
        self.status = QComboBox(objectName="memoryStatus")
        for label, statuses in STATUS_CHOICES:
            self.status.addItem(label, statuses)
        self.category = QComboBox(objectName="memoryCategory")
        self.category.addItem("Any category", None)
        for category in CATEGORIES:
            self.category.addItem(category, category)
        self.subject = QComboBox(objectName="memorySubject")
        self._fill_subjects()
        self.conversation = QComboBox(objectName="memoryConversation")
        self.conversation.setMaximumWidth(260)
        self._fill_conversations()
        self.since = self._date_filter("memorySince", "kept from: any day")
        self.until = self._date_filter("memoryUntil", "to: any day")
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)

        self.table = QTableView(objectName="memories")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.history = QPlainTextEdit(readOnly=True, objectName="memoryHistory")  # plain text only
        self.history.setPlaceholderText("The history of the selected memory")
        for widget, name in ((self.search, "Search memories"), (self.status, "Memory status filter"),
                             (self.category, "Memory category filter"), (self.subject, "Memory subject filter"),
                             (self.conversation, "Memory source conversation filter"),
                             (self.since, "Kept from this day"), (self.until, "Kept up to this day"),
                             (self.table, "Kept memories"), (self.table.horizontalHeader(), "Memory columns"),
                             (self.table.verticalHeader(), "Memory rows"), (self.history, "Memory history")):
            widget.setAccessibleName(name)

        self.forget_button = QPushButton("Forget (Del)")
        self.restore_button = QPushButton("Restore")
        self.source_button = QPushButton("Show source turn")
        self.forget_button.clicked.connect(self.forget_current)
        self.restore_button.clicked.connect(self.restore_current)
        self.source_button.clicked.connect(self.show_source)
        forget = QAction("Forget", self, shortcut=QKeySequence(Qt.Key.Key_Delete))
        forget.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        forget.triggered.connect(self.forget_current)
        self.table.addAction(forget)

        filters = QHBoxLayout()
        for widget in (self.search, self.status, self.subject, self.category, self.conversation, self.since,
                       self.until):
            filters.addWidget(widget)
        buttons = QHBoxLayout()
        for widget in (self.forget_button, self.restore_button, self.source_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.history)
        split.setSizes([600, 140])
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.title)
        layout.addWidget(split)
        layout.addLayout(buttons)

        self._search_timer = QTimer(self, singleShot=True, interval=120)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._search_timer.start)
        for combo in (self.status, self.subject, self.category, self.conversation):
            combo.currentIndexChanged.connect(self.apply_filters)
        for edit in (self.since, self.until):
            edit.dateChanged.connect(lambda *_: self._search_timer.start())
        self.model.reloaded.connect(self._after_reload)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_history())
        self.model.reload()  # the first rows at once; later filtering runs in the background
        self._after_reload()
        model = self.model
        self.destroyed.connect(lambda *_: model.close())  # stop its thread with the window

    def _date_filter(self, name: str, any_text: str) -> QDateEdit:
        """A day, or "any day" (the minimum date stands for no limit)."""
        edit = QDateEdit(objectName=name, calendarPopup=True, displayFormat="yyyy-MM-dd")
        edit.setMinimumDate(QDate(1970, 1, 1))
        edit.setSpecialValueText(any_text)
        edit.setDate(edit.minimumDate())
        return edit

    @staticmethod
    def _day(edit: QDateEdit) -> str | None:
        return None if edit.date() == edit.minimumDate() else edit.date().toString("yyyy-MM-dd")

    def _new_source(self, memory_ids: frozenset[int]) -> bool:
        """A changed memory came from a conversation the source filter does not list yet."""
        if not memory_ids:
            return False
        listed = {self.conversation.itemData(i) for i in range(self.conversation.count())}
        marks = ",".join("?" * len(memory_ids))
        found = self._store.db.execute(f"SELECT DISTINCT conversation_id FROM memories WHERE id IN ({marks}) "
                                       "AND conversation_id IS NOT NULL", sorted(memory_ids)).fetchall()
        return any(row[0] not in listed for row in found)

    def _fill_conversations(self) -> None:
        current = self.conversation.currentData()
        self.conversation.blockSignals(True)
        self.conversation.clear()
        self.conversation.addItem("Any conversation", None)
        for conversation_id, title, created in memories.source_conversations(self._store.db):
            self.conversation.addItem(f"{title} · {created[:10]}" if created else title, conversation_id)
        index = self.conversation.findData(current)
        self.conversation.setCurrentIndex(max(index, 0))
        self.conversation.blockSignals(False)

    def _fill_subjects(self) -> None:
        current = self.subject.currentData()
        self.subject.blockSignals(True)
        self.subject.clear()
        self.subject.addItem("Anyone", None)
        for subject in memories.subjects(self._store.db):
            self.subject.addItem(subject, subject)
        index = self.subject.findData(current)
        self.subject.setCurrentIndex(max(index, 0))
        self.subject.blockSignals(False)

    def filters(self) -> dict[str, object]:
        return {"search": self.search.text().strip(), "statuses": self.status.currentData(),
                "subject": self.subject.currentData(), "category": self.category.currentData(),
                "conversation_id": self.conversation.currentData(), "since": self._day(self.since),
                "until": self._day(self.until)}

    def apply_filters(self) -> None:
        """Ask for the filtered rows; they come from the background thread (``_after_reload``)."""
        self._search_timer.stop()  # this reads the search box too
        self.model.request(**self.filters())
        self._update_title()

    def _after_reload(self) -> None:
        self._update_title()
        if self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(0, 0))
        self._show_history()

    def hideEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        """A search still waiting is dropped: once the window closes, the store may be closed too."""
        self._search_timer.stop()
        super().hideEvent(event)

    def close_view(self) -> None:
        """The window is closing: stop the filtering thread."""
        self._search_timer.stop()
        self.model.close()

    def _update_title(self) -> None:
        if self.model.error:
            self.title.setText(self.model.error)
        elif self.model.waiting:
            self.title.setText(f"Memories · {self.model.total_text} · filtering…")
        else:
            self.title.setText(f"Memories · {self.model.total_text}")

    def on_changes(self, changes: Changes) -> None:
        if changes.memories or changes.external or changes.imported:
            if changes.external or changes.imported or self._new_source(changes.memories):
                self._fill_conversations()
            if changes.external:
                self._fill_subjects()
            current = self.current_memory_id()
            self.model.on_changes(changes)
            if not self.table.currentIndex().isValid() and self.model.rowCount():
                row = self.model.row_of(current) if current is not None else -1
                self.table.setCurrentIndex(self.model.index(max(row, 0), 0))
            self._update_title()
            self._show_history()

    # ------------------------------------------------------------------ actions
    def current_memory_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.memory(index.row()).id if index.isValid() else None

    def forget_current(self) -> None:
        memory_id = self.current_memory_id()
        if memory_id is not None:
            self._runner.run(lambda: operations.forget_memory(self._store, memory_id), "Memory not forgotten")

    def restore_current(self) -> None:
        memory_id = self.current_memory_id()
        if memory_id is not None:
            self._runner.run(lambda: operations.restore_memory(self._store, memory_id), "Memory not restored")

    def show_source(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        memory = self.model.memory(index.row())
        if memory.conversation_id and memory.turn_ids:
            self.showSource.emit(memory.conversation_id, memory.turn_ids[0])

    def _show_history(self) -> None:
        memory_id = self.current_memory_id()
        if memory_id is None:
            self.history.setPlainText("")
            return
        lines = []
        for step in memories.history(self._store.db, memory_id):
            if step.old_text is None:
                what = f"kept: {step.new_text}"
            elif step.old_text != step.new_text:
                what = f"text: {step.old_text} → {step.new_text}"
            else:
                what = f"{step.old_status} → {step.new_status}"
            lines.append(f"{step.at[:16].replace('T', ' ')}  {what}  ({step.why or ''})")
        self.history.setPlainText("\n".join(lines))


def install(window: QMainWindow) -> MemoriesView:
    """Put the memories view beside review in ``window`` (Ctrl+1 review, Ctrl+2 memories) and add
    File → Export. Review keys are off while the memories view shows, so typing never decides."""
    from scallop_curator.ui.export_dialog import open_export_dialog

    review_page = window.centralWidget()
    stack = QStackedWidget(objectName="pages")
    view = MemoriesView(window.store, window.ops)  # type: ignore[attr-defined]
    stack.addWidget(review_page)
    stack.addWidget(view)
    window.setCentralWidget(stack)
    window.pages = stack  # type: ignore[attr-defined]
    window.memories_view = view  # type: ignore[attr-defined]
    menus = {action.text(): action.menu() for action in window.menuBar().actions()}
    review_actions = menus["&Review"].actions() if "&Review" in menus else []

    def show(page: int) -> None:
        stack.setCurrentIndex(page)
        for action in review_actions:
            action.setEnabled(page == 0)
        (view.search if page == 1 else getattr(window, "proposal_view", review_page)).setFocus()

    def go_to_source(conversation_id: str, turn_id: int) -> None:
        show(0)
        window.select_conversation(conversation_id)  # type: ignore[attr-defined]
        row = window.turns.row_of_turn(turn_id)  # type: ignore[attr-defined]
        if row >= 0:
            window.turn_view.setCurrentIndex(window.turns.index(row))  # type: ignore[attr-defined]

    view.showSource.connect(go_to_source)
    view_menu = menus.get("&View") or window.menuBar().addMenu("&View")
    for text, keys, page in (("&Review", "Ctrl+1", 0), ("&Memories", "Ctrl+2", 1)):
        action = QAction(text, window, shortcut=QKeySequence(keys))
        action.triggered.connect(lambda _=False, p=page: show(p))
        view_menu.addAction(action)
        window.addAction(action)
    file_menu = menus.get("&File")
    export = QAction("&Export memories…", window, shortcut=QKeySequence("Ctrl+Shift+S"))
    export.triggered.connect(lambda: open_export_dialog(window, window.store))  # type: ignore[attr-defined]
    if file_menu is not None:
        quit_action = next((a for a in file_menu.actions() if a.text() == "&Quit"), None)
        file_menu.insertAction(quit_action, export)
    window.addAction(export)
    if "&Review" in menus:
        from scallop_curator.ui.memories_bulk import open_bulk_dialog

        bulk = QAction("&Decide many…", window, shortcut=QKeySequence("Ctrl+Shift+D"))
        bulk.triggered.connect(lambda: open_bulk_dialog(window))
        menus["&Review"].addAction(bulk)
        window.addAction(bulk)
    window.show_page = show  # type: ignore[attr-defined]
    return view
