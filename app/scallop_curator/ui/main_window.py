"""The review window: conversations | turns | proposals, a status bar with the model's state,
and every review action as a keyboard-first menu action."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from scallop_curator import paths
from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import RunInfo
from scallop_curator.domain.review import Status
from scallop_curator.extraction.client import WorkerClient
from scallop_curator.extraction.models_on_disk import describe, resolve_model
from scallop_curator.settings import Settings
from scallop_curator.store import Store, operations
from scallop_curator.store.changes import Changes
from scallop_curator.ui import plain, roles
from scallop_curator.ui.accessible_names import name_widgets
from scallop_curator.ui.audit_entry import open_audit
from scallop_curator.ui.delegates import (
    ConversationDelegate,
    ProposalDelegate,
    TurnDelegate,
)
from scallop_curator.ui.dialogs import FactEditDialog, FactFields, ShortcutSheet, quote
from scallop_curator.ui.extraction_controller import ExtractionController
from scallop_curator.ui.import_controller import ImportController
from scallop_curator.ui.model_setup import describe_source, open_model_setup
from scallop_curator.ui.models import ConversationListModel, ProposalsModel, TurnsModel
from scallop_curator.ui.memories_view import install as install_memories_view
from scallop_curator.ui.operations_runner import OperationsRunner
from scallop_curator.ui.recent_files import RecentFilesMenu
from scallop_curator.ui.reader import MessageReader
from scallop_curator.ui.settings_dialog import open_settings
from scallop_curator.ui.theme import add_theme_menu
from scallop_curator.ui.welcome import Welcome
from scallop_curator.ui.widgets import FilterEdit, pane
from scallop_curator.ui.window_extraction import ExtractionActions
from scallop_curator.ui.window_imports import ImportActions

DATE_RANGES = [("Any date", 0), ("Past week", 7), ("Past month", 31), ("Past year", 366)]
SORT_ORDERS = [("Newest first", "newest"), ("Oldest first", "oldest"), ("By title", "title")]
#: Stops an extraction or import. Not Escape: Esc belongs to text fields and dialogs.
CANCEL_KEY = "Ctrl+."


class MainWindow(ImportActions, ExtractionActions, QMainWindow):
    def __init__(self, store: Store, settings: Settings | None = None, client: WorkerClient | None = None) -> None:
        super().__init__()
        self.store = store
        self.settings = settings or Settings.load()
        self.controller = ExtractionController(client)
        self.importer = ImportController(store.path)
        self._run: tuple[int, RunInfo] | None = None
        self._remaining: list[ExtractionCase] = []  # what a stopped extraction still has to do
        self._syncing = False
        self.setWindowTitle(f"Scallop Curator — {store.path.name}")
        self.setAcceptDrops(True)
        self.ops = OperationsRunner(self, store)  # every store change goes through it; views hear on_changes
        self.ops.add_view(self.on_changes)
        self._build_views()
        self._build_status_bar()
        self._build_actions()
        install_memories_view(self)  # Ctrl+2: the kept memories; File → Export
        self._connect()
        self._import_new: str | None = None
        if self.store.interrupt_stale_runs():
            self.notify("The last extraction was interrupted before it finished.", 10000)
        self.conversations.reload()
        self.conversations_title.setText(f"Conversations · {self.conversations.total:,}")
        self._restore_state()
        self.welcome = Welcome(self)  # the first-run panel in the empty review area
        name_widgets(self)
        self._update_status()
        self._update_resume_hint()
        self.proposal_view.setFocus()

    # ------------------------------------------------------------------ layout
    def _build_views(self) -> None:
        self.conversations = ConversationListModel(self.store)
        self.turns = TurnsModel(self.store)
        self.proposals = ProposalsModel(self.store)

        self.conversation_view = QListView(objectName="conversations")
        self.filter_edit = FilterEdit(self.conversation_view)
        self.filter_edit.setClearButtonEnabled(True)
        self.conversation_view.setModel(self.conversations)
        self.conversation_view.setItemDelegate(ConversationDelegate(self.conversation_view))
        self.conversation_view.setUniformItemSizes(True)
        self.conversation_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conversation_view.setResizeMode(QListView.ResizeMode.Adjust)

        self.turn_view = QListView(objectName="turns")
        self.turn_view.setModel(self.turns)
        self.turn_view.setItemDelegate(TurnDelegate(self.turn_view))
        self.proposal_view = QListView(objectName="proposals")
        self.proposal_view.setModel(self.proposals)
        self.proposal_view.setItemDelegate(ProposalDelegate(self.proposal_view))
        for view in (self.turn_view, self.proposal_view):
            view.setResizeMode(QListView.ResizeMode.Adjust)
            view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            view.setWordWrap(True)
            view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.filter_edit.leave_to = self.proposal_view
        self.reader = MessageReader()

        self.turns_title = QLabel("Open a chat export to begin (Ctrl+O)")
        self.turns_title.setTextFormat(Qt.TextFormat.PlainText)
        self.proposals_title = QLabel("Proposed memories")
        conv_title = QLabel("Conversations")
        self.conversations_title = conv_title
        for label in (self.turns_title, self.proposals_title, conv_title):
            label.setStyleSheet("font-weight: 600; padding: 2px 0;")
            label.setWordWrap(True)  # a long title wraps instead of widening the window past the screen
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.date_combo = QComboBox(objectName="dateFilter")
        for label, days in DATE_RANGES:
            self.date_combo.addItem(label, days)
        self.sort_combo = QComboBox(objectName="sortOrder")
        for label, order in SORT_ORDERS:
            self.sort_combo.addItem(label, order)
        query_row = QWidget()
        query_layout = QVBoxLayout(query_row)
        query_layout.setContentsMargins(0, 0, 0, 0)
        query_layout.addWidget(self.filter_edit)
        combos = QHBoxLayout()
        combos.addWidget(self.date_combo)
        combos.addWidget(self.sort_combo)
        query_layout.addLayout(combos)
        splitter.addWidget(pane(conv_title, self.conversation_view, query_row))
        turn_split = QSplitter(Qt.Orientation.Vertical, objectName="turnSplit")
        turn_split.addWidget(self.turn_view)
        turn_split.addWidget(self.reader)
        turn_split.setSizes([560, 160])
        turn_split.setChildrenCollapsible(True)
        splitter.addWidget(pane(self.turns_title, turn_split))
        splitter.addWidget(pane(self.proposals_title, self.proposal_view))
        splitter.setSizes([240, 560, 400])
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        self.setCentralWidget(splitter)
        self.resize(1280, 780)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.model_label = QLabel()
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar(maximumWidth=160, textVisible=False)
        self.cancel_button = QPushButton("Cancel")
        shown = QKeySequence(CANCEL_KEY).toString(QKeySequence.SequenceFormat.NativeText)
        self.cancel_button.setToolTip(f"Stop the extraction or import ({shown})")
        self.pending_label = QLabel()
        self.notice_label = QLabel()
        self.resume_label = QLabel(objectName="resumeHint")
        for label in (self.model_label, self.progress_label, self.pending_label, self.notice_label, self.resume_label):
            label.setTextFormat(Qt.TextFormat.PlainText)  # file, model and server names are not markup
        self._notices: list[tuple[float, str]] = []  # (expires at, message), oldest first
        self._notice_timer = QTimer(self, singleShot=True)
        self._notice_timer.timeout.connect(self._show_notices)
        bar.addWidget(self.model_label)
        bar.addWidget(self.progress_label)
        bar.addWidget(self.progress_bar)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.notice_label, 1)
        bar.addPermanentWidget(self.resume_label)
        bar.addPermanentWidget(self.pending_label)
        self._show_progress(False)
        self._model_state = "not loaded"
        self._model_label_key: tuple[object, ...] | None = None
        self._model_name = ""

    def _action(self, menu, text: str, keys: list[str] | str, slot, tip: str = "") -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self)
        sequences = [QKeySequence(k) for k in ([keys] if isinstance(keys, str) else keys) if k]
        if sequences:
            action.setShortcuts(sequences)
        shown = " or ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences)
        action.setToolTip(f"{tip or text} ({shown})" if shown else (tip or text))
        action.setStatusTip(tip or text)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file = menu.addMenu("&File")
        self._action(file, "&Open chat export…", "Ctrl+O", self.open_dialog)
        self._action(file, "Open the &sample export", "", lambda: self.import_files([paths.sample_export()]))
        self.recent_files = RecentFilesMenu(self, file)
        file.addSeparator()
        self._action(file, "&Quit", "Ctrl+Q", self.close)

        edit = menu.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", "Ctrl+Z", self.undo)
        self.redo_action = self._action(edit, "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], self.redo)
        edit.addSeparator()
        self._action(edit, "&Filter conversations", ["Ctrl+F", "/"], self.focus_filter)
        edit.addSeparator()
        self._action(edit, "&Settings…", "Ctrl+,", lambda: open_settings(self))

        review = menu.addMenu("&Review")
        self.accept_action = self._action(review, "&Accept", "A", self.accept_current, "Accept and go to the next pending")
        self._action(review, "Accept, &replacing what it conflicts with", "Shift+A",
                     lambda: self._decide(Status.ACCEPTED, choice=operations.REPLACE),
                     "Accept; the kept memory it conflicts with becomes superseded")
        self.reject_action = self._action(review, "Re&ject", "X", self.reject_current, "Reject and go to the next pending")
        self.edit_action = self._action(review, "&Edit…", ["E", "Return"], self.edit_current,
                                        "Edit the fact: text, subject, category, confidence, kind")
        self.skip_action = self._action(review, "&Skip", "Space", self.skip_current, "Skip for now")
        review.addSeparator()
        self._action(review, "&Next proposal", "J", lambda: self.move_proposal(1))
        self._action(review, "&Previous proposal", "K", lambda: self.move_proposal(-1))
        self._action(review, "Next &conversation with pending", "N", self.next_pending_conversation)
        review.addSeparator()
        self._action(review, "Add a memory by &hand…", "H", self.add_manual, "Add a memory to the selected turn")
        self._action(review, "A&udit evaluation runs…", "Ctrl+Shift+A", lambda: open_audit(self))
        self._action(review, "Read the whole &message", "M", lambda: self.reader.setFocus(),
                     "Go to the reader with the whole selected message")

        model = menu.addMenu("&Model")
        self.extract_action = self._action(model, "&Extract this conversation", "Ctrl+E", self.extract_current)
        self.extract_all_action = self._action(model, "Extract &all that is not extracted yet", "Ctrl+Shift+E",
                                               self.extract_all, "Extract every user turn that has no result yet")
        self.cancel_action = self._action(model, "&Cancel extraction or import", CANCEL_KEY, self.cancel_work,
                                          "Stop the extraction or import")
        self.resume_action = self._action(model, "&Resume the stopped extraction", "Ctrl+R", self.resume_extraction)
        self.resume_action.setEnabled(False)
        model.addSeparator()
        self._action(model, "Choose &model…", "", lambda: open_model_setup(self))
        self._action(model, "Open a GGUF &file…", "", self.choose_model)
        self._action(model, "Use a &prompt file…", "", self.choose_prompt)
        self._action(model, "Use the &bundled prompt", "", self.reset_prompt)

        view = menu.addMenu("&View")
        status_toggle = QAction("&Status bar", self, checkable=True, checked=True)
        status_toggle.toggled.connect(self.statusBar().setVisible)
        view.addAction(status_toggle)
        add_theme_menu(self, view)
        help_menu = menu.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", ["?", "F1"], self.show_shortcuts)
        self._action(help_menu, "&Welcome", "", lambda: self.welcome.show())
        self._action(help_menu, "&About Scallop Curator", "", self.show_about)

    def _connect(self) -> None:
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(self._apply_query)
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self.date_combo.currentIndexChanged.connect(self._apply_query)
        self.sort_combo.currentIndexChanged.connect(self._apply_query)
        self.importer.progress.connect(self._import_progress)
        self.importer.fileDone.connect(self._import_done)
        self.importer.fileFailed.connect(lambda message: plain.warning(self, "Could not import", message))
        self.importer.needsSpeaker.connect(self._ask_speaker)
        self.importer.finished.connect(self._import_finished)
        self.conversation_view.selectionModel().currentChanged.connect(self._conversation_changed)
        self.proposal_view.selectionModel().currentChanged.connect(self._proposal_changed)
        self.turn_view.selectionModel().currentChanged.connect(self._turn_changed)
        self.cancel_button.clicked.connect(self.cancel_work)
        self.controller.modelState.connect(self._model_state_changed)
        self.controller.progress.connect(self._progress)
        self.controller.resultReady.connect(self._store_result)
        self.controller.resultNotStored.connect(self._result_not_stored)
        self.controller.finished.connect(self._extraction_finished)
        self.controller.failed.connect(self._extraction_failed)

    # ------------------------------------------------------------------ state
    def current_conversation(self) -> str | None:
        return self.turns.conversation_id

    def current_proposal_row(self) -> int:
        index = self.proposal_view.currentIndex()
        return index.row() if index.isValid() else -1

    def _restore_state(self) -> None:
        qsettings = QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)
        geometry = qsettings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = qsettings.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        conversation = self.store.get_meta("ui.conversation")
        proposal = self.store.get_meta("ui.proposal")
        if conversation and self.conversations.row_of(conversation) >= 0:
            self.select_conversation(conversation)
            if proposal and proposal.isdigit():
                self.select_proposal(int(proposal))
        elif self.conversations.rowCount():
            self.conversation_view.setCurrentIndex(self.conversations.index(0))

    def _save_window(self) -> None:
        qsettings = QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)
        qsettings.setValue("geometry", self.saveGeometry())
        qsettings.setValue("splitter", self.splitter.saveState())
        qsettings.sync()

    def select_conversation(self, conversation_id: str) -> None:
        row = self.conversations.row_of(conversation_id)
        if row < 0 and (self.conversations.text or self.conversations.since):
            self._clear_query()
            row = self.conversations.row_of(conversation_id)
        if row < 0:
            return
        index = self.conversations.index(row)
        self.conversation_view.setCurrentIndex(index)
        self.conversation_view.scrollTo(index)

    def _apply_query(self) -> None:
        days = self.date_combo.currentData() or 0
        since = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat() if days else None
        current = self.current_conversation()
        self.conversations.set_query(self.filter_edit.text().strip(), since, self.sort_combo.currentData())
        row = self.conversations.row_of(current) if current else -1
        if row >= 0:
            self.conversation_view.setCurrentIndex(self.conversations.index(row))
        self.conversations_title.setText(f"Conversations · {self.conversations.total:,}")

    def _clear_query(self) -> None:
        for widget in (self.filter_edit, self.date_combo):
            widget.blockSignals(True)
        self.filter_edit.clear()
        self.date_combo.setCurrentIndex(0)
        for widget in (self.filter_edit, self.date_combo):
            widget.blockSignals(False)
        self.conversations.set_query("", None)

    def select_proposal(self, proposal_id: int) -> None:
        row = self.proposals.row_of(proposal_id)
        if row >= 0:
            self.proposal_view.setCurrentIndex(self.proposals.index(row))

    def _conversation_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        conversation_id = current.data(roles.ID_ROLE) if current.isValid() else None
        if conversation_id == self.turns.conversation_id:
            return
        self.turns.load(conversation_id)
        self.proposals.load(conversation_id)
        self.reader.show_turn(None)
        self.store.set_meta("ui.conversation", conversation_id)
        self._update_titles()
        if self.proposals.rowCount():
            first = self.proposals.next_pending(-1)
            self.proposal_view.setCurrentIndex(self.proposals.index(max(first, 0)))
        self._update_status()

    def _proposal_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        proposal = self.proposals.proposal(current.row())
        self.store.set_meta("ui.proposal", str(proposal.id))
        self.turns.set_highlight(proposal.turn_id)
        turn_row = self.turns.row_of_turn(proposal.turn_id)
        if turn_row >= 0:
            self.reader.show_turn(self.turns.turn(turn_row), proposal.text)
        if self._syncing:
            return
        self._syncing = True
        try:
            row = self.turns.row_of_turn(proposal.turn_id)
            if row >= 0:
                index = self.turns.index(row)
                self.turn_view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                self.turn_view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        finally:
            self._syncing = False

    def _turn_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or self._syncing:
            return
        turn = self.turns.turn(current.row())
        rows = self.proposals.rows_for_turn(turn.id)
        self.turns.set_highlight(turn.id)
        self.reader.show_turn(turn, self.proposals.proposal(rows[0]).text if rows else None)
        if rows:
            self._syncing = True
            try:
                index = self.proposals.index(rows[0])
                self.proposal_view.setCurrentIndex(index)
                self.proposal_view.scrollTo(index)
            finally:
                self._syncing = False
        else:
            self.proposal_view.selectionModel().clearCurrentIndex()
            self.proposal_view.clearSelection()

    def _update_titles(self) -> None:
        conversation_id = self.current_conversation()
        if conversation_id is None:
            self.turns_title.setText("Open a chat export to begin (Ctrl+O)")
            self.proposals_title.setText("Proposed memories")
            return
        # The filter may hide the open conversation (also during an extraction): read it directly.
        summary = self.conversations.summary_of(conversation_id)
        if summary is None:
            return
        date = f" · {summary.created_at[:10]}" if summary.created_at else ""
        self.turns_title.setText(f"{summary.title} · {summary.turn_count} turns{date}")
        if not summary.extracted:
            hint = "not extracted yet: press Ctrl+E"
        else:
            hint = f"{summary.pending} pending of {summary.proposals}"
            if summary.unextracted:
                hint += f" · {summary.unextracted} turns not extracted"
        self.proposals_title.setText(f"Proposed memories · {hint}")

    def _update_status(self) -> None:
        pending = self.store.pending_count()
        self.pending_label.setText(f"{pending} pending")
        self.undo_action.setEnabled(self.store.can_undo())
        self.redo_action.setEnabled(self.store.can_redo())
        s = self.settings
        key = (s.model_source, s.model_path, s.server_url, s.server_model, s.server_concurrency)
        if key != self._model_label_key:
            # Resolving the model looks in the Hugging Face cache on disk: only when settings change,
            # not after every decision.
            self._model_label_key = key
            if s.model_source == "server":
                self._model_name = f"server {s.server_model or s.server_url}"
            else:
                model = resolve_model(s.model_path)
                self._model_name = describe(model) if model else "no model chosen"
            self.model_label.setToolTip(plain.tooltip(describe_source(s)))
        self.model_label.setText(f"{self._model_name} · {self._model_state}  │")

    def notify(self, message: str, milliseconds: int = 5000) -> None:
        """A passing note in the status bar that never hides the model's state or progress. Notes
        stack (the newest last, at most three): a second one does not wipe out the first."""
        now = time.monotonic()
        kept = [(end, text) for end, text in self._notices if end > now and text != message]
        self._notices = [*kept[-2:], (now + milliseconds / 1000, message)]
        self._show_notices()

    def _show_notices(self) -> None:
        now = time.monotonic()
        self._notices = [(end, text) for end, text in self._notices if end > now]
        self.notice_label.setText("  │  ".join(text for _, text in self._notices))
        self.notice_label.setToolTip(plain.tooltip("\n".join(text for _, text in self._notices)))
        if self._notices:
            self._notice_timer.start(max(int((min(end for end, _ in self._notices) - now) * 1000), 0) + 20)

    # ------------------------------------------------------------------ review
    def _decide(self, status: Status, edited_text: str | None = None, advance: bool = True,
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
                self.proposal_view.setCurrentIndex(self.proposals.index(following))

    def accept_current(self) -> None:
        self._decide(Status.ACCEPTED)

    def reject_current(self) -> None:
        self._decide(Status.REJECTED)

    def skip_current(self) -> None:
        self._decide(Status.SKIPPED)

    def edit_current(self) -> None:
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
        dialog = FactEditDialog(self, "Edit memory", fields=current, context=context)
        if not dialog.exec():
            return
        values = dialog.values()
        if not values.content:
            return
        edited_text = values.content if values.content != proposal.content else None
        self._decide(Status.EDITED, edited_text, advance=True, fields=values.others())

    def add_manual(self) -> None:
        index = self.turn_view.currentIndex()
        if not index.isValid():
            self.notify("Select a turn first, then press H to add a memory to it.", 4000)
            return
        turn = self.turns.turn(index.row())
        context = f"To turn {turn.index + 1} ({turn.role}): “{quote(turn.text)}”"
        dialog = FactEditDialog(self, "Add a memory by hand", "", context=context)
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

    def on_changes(self, changes: Changes) -> None:
        """Views refresh from what an operation (this window's, or another connection's) changed."""
        if changes.external or changes.imported:
            model = self.conversations
            if self.store.conversation_count(model.text, model.since) != model.total:
                self._apply_query()
            else:
                model.refresh_counts()
        self._refresh_after_change()

    def _jump_to(self, proposal_id: int | None) -> None:
        if proposal_id is None:
            return
        proposal = self.store.proposal(proposal_id)
        self._refresh_after_change()
        if proposal.conversation_id != self.current_conversation():
            self.select_conversation(proposal.conversation_id)
        self.select_proposal(proposal_id)

    def _refresh_proposals(self) -> None:
        """Re-read proposals keeping the selection; with none yet, select the first pending."""
        row = self.current_proposal_row()
        current = self.proposals.proposal(row).id if row >= 0 else None
        self.proposals.refresh()
        if current is not None and self.proposals.row_of(current) >= 0:
            if self.proposals.row_of(current) != self.current_proposal_row():
                self.select_proposal(current)
        elif self.proposals.rowCount():
            first = self.proposals.next_pending(-1)
            self.proposal_view.setCurrentIndex(self.proposals.index(max(first, 0)))

    def _refresh_after_change(self) -> None:
        self._refresh_proposals()
        self.turns.refresh()
        if self.current_conversation():
            self.conversations.refresh_counts([self.current_conversation()])
        self._update_titles()
        self._update_status()

    def move_proposal(self, step: int) -> None:
        count = self.proposals.rowCount()
        if count:
            row = min(max(self.current_proposal_row() + step, 0), count - 1)
            self.proposal_view.setCurrentIndex(self.proposals.index(row))

    def next_pending_conversation(self) -> None:
        model = self.conversations
        pending = model.text, model.since, model.order
        ids = self.store.conversation_ids(*pending, pending_only=True)
        current = self.current_conversation()
        candidates = [i for i in ids if i != current]
        if not candidates:
            self.notify("No other conversation has pending proposals.", 3000)
            return
        order = self.store.conversation_ids(*pending)
        position = order.index(current) if current in order else -1
        after = [i for i in candidates if order.index(i) > position]
        self.select_conversation((after or candidates)[0])
        self.proposal_view.setFocus()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def cancel_work(self) -> None:
        self.importer.cancel()
        self.controller.cancel()

    # ------------------------------------------------------------------ help, quit
    def show_shortcuts(self) -> None:
        ShortcutSheet(self, self.actions()).exec()

    def show_about(self) -> None:
        from scallop_curator.ui.about import about_box

        about_box(self, self.store.path).exec()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._filter_timer.stop()  # a filter typed just before closing must not query a closed store
        self.importer.shutdown()
        self.controller.shutdown()
        self.controller.drain()  # store the results that arrived while shutting down
        self._save_window()
        event.accept()
