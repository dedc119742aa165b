"""The window frame: menus, the status bar and the pages, wired to the controllers that own them
(review, import, extraction, memories). Built in two steps so the window shows at once: the
constructor builds a cheap shell (Qt widgets only, geometry restored, actions off), and ``fill``
opens what needs the store (models, controllers, the memories page) right after it is shown.

Signals:
    filled(): the store is open and every view shows it; the actions are on.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QProgressBar, QPushButton

from scallop_curator import paths
from scallop_curator.ui import plain, shell_props, window_state
from scallop_curator.ui.accessible_names import name_widgets
from scallop_curator.ui.review_page import ReviewPage
from scallop_curator.ui.theme import add_theme_menu

if TYPE_CHECKING:  # named in annotations only: PySide builds a class's enums when it is first named
    from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent

    from scallop_curator.domain.review import Status
    from scallop_curator.extraction.client import WorkerClient
    from scallop_curator.importers import ImportOptions
    from scallop_curator.settings import Settings
    from scallop_curator.store import Store
    from scallop_curator.ui.extraction_controller import ExtractionController
    from scallop_curator.ui.import_controller import ImportController
    from scallop_curator.ui.models import ConversationListModel, ProposalsModel, TurnsModel
    from scallop_curator.ui.operations_runner import OperationsRunner
    from scallop_curator.ui.recent_files import RecentFilesMenu
    from scallop_curator.ui.review_controller import ReviewController
    from scallop_curator.ui.welcome import Welcome
    from scallop_curator.ui.window_extraction import ExtractionActions
    from scallop_curator.ui.window_imports import ImportActions

#: Stops an extraction or import. Not Escape: Esc belongs to text fields and dialogs.
CANCEL_KEY = "Ctrl+."


class MainWindow(QMainWindow):
    filled = Signal()

    store: Store
    settings: Settings
    ops: OperationsRunner
    review: ReviewController
    extraction: ExtractionActions
    controller: ExtractionController
    imports: ImportActions
    importer: ImportController
    conversations: ConversationListModel
    turns: TurnsModel
    proposals: ProposalsModel
    welcome: Welcome
    recent_files: RecentFilesMenu

    def __init__(self, store: Store | None = None, settings: Settings | None = None,
                 client: WorkerClient | None = None) -> None:
        """The shell; with a store, filled at once (tests, a second window). ``ui.app`` passes no
        store and calls ``fill`` once the window has been painted."""
        super().__init__()
        from scallop_curator.ui import ui_thread_gc

        ui_thread_gc.install()  # garbage is collected on this thread only, from now on
        self.is_filled = False
        self._shell_actions: list[QAction] = []
        self.setWindowTitle("Scallop Curator")
        self.setAcceptDrops(True)
        self._build_page()
        self._build_status_bar()
        self._build_actions()
        name_widgets(self)
        self.resize(1280, 780)
        window_state.restore_geometry(self)
        self._shown_once = False
        if store is not None:
            self.fill(store, settings, client)

    # ------------------------------------------------------------------ the shell
    def _build_page(self) -> None:
        self.page = ReviewPage()
        page = self.page
        self.splitter = page
        self.conversation_view, self.filter_edit = page.conversation_view, page.filter_edit
        self.date_combo, self.sort_combo = page.date_combo, page.sort_combo
        self.turn_view, self.proposal_view, self.reader = page.turn_view, page.proposal_view, page.reader
        self.turns_title, self.proposals_title = page.turns_title, page.proposals_title
        self.conversations_title = page.conversations_title
        self.setCentralWidget(page)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.model_label = QLabel("opening the store…")
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar(maximumWidth=160, textVisible=False)
        self.cancel_button = QPushButton("Cancel")
        shown = QKeySequence(CANCEL_KEY).toString(QKeySequence.SequenceFormat.NativeText)
        self.cancel_button.setToolTip(f"Stop the extraction ({shown} stops an import too)")
        self.import_label = QLabel()
        self.import_bar = QProgressBar(maximumWidth=120, textVisible=False)
        self.import_cancel_button = QPushButton("Cancel")
        self.import_cancel_button.setToolTip(f"Stop the import; nothing of the unfinished file is kept "
                                             f"({shown} stops an extraction too)")
        self.pending_label = QLabel()
        self.notice_label = QLabel()
        self.resume_label = QLabel(objectName="resumeHint")
        # File, model and server names are not markup.
        shell_props.plain_text(self.model_label, self.progress_label, self.import_label, self.pending_label,
                               self.notice_label, self.resume_label)
        self._notices: list[tuple[float, str]] = []  # (expires at, message), oldest first
        self._notice_timer = QTimer(self, singleShot=True)
        self._notice_timer.timeout.connect(self._show_notices)
        bar.addWidget(self.model_label)
        bar.addWidget(self.progress_label)
        bar.addWidget(self.progress_bar)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.import_label)
        bar.addWidget(self.import_bar)
        bar.addWidget(self.import_cancel_button)
        bar.addWidget(self.notice_label, 1)
        bar.addPermanentWidget(self.resume_label)
        bar.addPermanentWidget(self.pending_label)
        self.resume_label.hide()
        self._show_progress(False)
        self._show_import_progress(False)
        self._model_label_key: tuple[object, ...] | None = None
        self._model_name = ""

    def _action(self, menu: QMenu, text: str, keys: list[str] | str, slot: Any, tip: str = "") -> QAction:
        """A menu action with its shortcuts, off until the window is filled (it needs the store)."""
        action = QAction(text, self)
        sequences = [QKeySequence(k) for k in ([keys] if isinstance(keys, str) else keys) if k]
        if sequences:
            action.setShortcuts(sequences)
        shown = " or ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences)
        action.setToolTip(f"{tip or text} ({shown})" if shown else (tip or text))
        action.setStatusTip(tip or text)
        # Qt.ShortcutContext.WindowShortcut is the default (and naming Qt costs start-up 40 ms, see shell_props)
        action.triggered.connect(slot)
        action.setEnabled(self.is_filled)
        if not self.is_filled:
            self._shell_actions.append(action)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file = self.file_menu = menu.addMenu("&File")
        self._action(file, "&Open chat export…", "Ctrl+O", self.open_dialog)
        self._action(file, "Open the &sample export", "", lambda: self.import_files([paths.sample_export()]))
        self._recent_files_before = file.addSeparator()
        quit_action = self._action(file, "&Quit", "Ctrl+Q", self.close)
        quit_action.setEnabled(True)  # also before the store is open

        edit = menu.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", "Ctrl+Z", self.undo)
        self.redo_action = self._action(edit, "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], self.redo)
        edit.addSeparator()
        self._action(edit, "&Filter conversations", ["Ctrl+F", "/"], self.focus_filter)
        edit.addSeparator()
        self._action(edit, "&Settings…", "Ctrl+,", self.open_settings)

        review = menu.addMenu("&Review")
        self.accept_action = self._action(review, "&Accept", "A", self.accept_current, "Accept and go to the next pending")
        self._action(review, "Accept, &replacing what it conflicts with", "Shift+A", lambda: self.review.accept_replacing(),
                     "Accept; the kept memory it conflicts with becomes superseded")
        self.reject_action = self._action(review, "Re&ject", "X", self.reject_current, "Reject and go to the next pending")
        self.edit_action = self._action(review, "&Edit…", ["E", "Return"], self.edit_current,
                                        "Edit the fact: text, subject, category, confidence, kind")
        self.skip_action = self._action(review, "&Skip", "Space", self.skip_current, "Skip for now")
        review.addSeparator()
        self._action(review, "&Next proposal", "J", lambda: self.review.move_proposal(1))
        self._action(review, "&Previous proposal", "K", lambda: self.review.move_proposal(-1))
        self._action(review, "Next &conversation with pending", "N", lambda: self.review.next_pending_conversation())
        review.addSeparator()
        self._action(review, "Add a memory by &hand…", "H", self.add_manual, "Add a memory to the selected turn")
        self._action(review, "A&udit evaluation runs…", "Ctrl+Shift+A", self.open_audit)
        self._action(review, "Read the whole &message", "M", lambda: self.reader.setFocus(),
                     "Go to the reader with the whole selected message")

        model = self.model_menu = menu.addMenu("&Model")  # fill() may add actions that need the store
        self.extract_action = self._action(model, "&Extract this conversation", "Ctrl+E",
                                           lambda: self.extraction.extract_current())
        self.extract_all_action = self._action(model, "Extract &all that is not extracted yet", "Ctrl+Shift+E",
                                               lambda: self.extraction.extract_all(),
                                               "Extract every user turn that has no result yet")
        self.cancel_action = self._action(model, "&Cancel extraction or import", CANCEL_KEY, self.cancel_work,
                                          "Stop the extraction or import")
        self.resume_action = self._action(model, "&Resume the stopped extraction", "Ctrl+R",
                                          lambda: self.extraction.resume_extraction())
        model.addSeparator()
        self._action(model, "Choose &model…", "", self.open_model_setup)
        self._action(model, "Open a GGUF &file…", "", lambda: self.extraction.choose_model())
        self._action(model, "Use a &prompt file…", "", lambda: self.extraction.choose_prompt())
        self._action(model, "Use the &bundled prompt", "", lambda: self.extraction.reset_prompt())

        view = menu.addMenu("&View")
        status_toggle = QAction("&Status bar", self, checkable=True, checked=True)
        status_toggle.toggled.connect(self.statusBar().setVisible)
        view.addAction(status_toggle)
        add_theme_menu(self, view)
        help_menu = menu.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", ["?", "F1"], self.show_shortcuts).setEnabled(True)
        self._action(help_menu, "&Welcome", "", lambda: self.welcome.show())
        self._action(help_menu, "&About Scallop Curator", "", self.show_about)

    # ------------------------------------------------------------------ filling
    def fill(self, store: Store, settings: Settings | None = None, client: WorkerClient | None = None) -> None:
        """Open everything that needs the store; the heavy modules are imported here, after the
        window is on screen, not when it is built."""
        from scallop_curator.settings import Settings
        from scallop_curator.ui.memories_view import install as install_memories_view
        from scallop_curator.ui.model_label import ModelNamer
        from scallop_curator.ui.operations_runner import OperationsRunner
        from scallop_curator.ui.recent_files import RecentFilesMenu
        from scallop_curator.ui.review_controller import ReviewController
        from scallop_curator.ui.welcome import Welcome
        from scallop_curator.ui.window_extraction import ExtractionActions, ExtractionStatus
        from scallop_curator.ui.window_imports import ImportActions, ImportProgress

        self.store = store
        self.settings = settings or Settings.load()
        self.setWindowTitle(f"Scallop Curator — {store.path.name}")
        self.ops = OperationsRunner(self, store)  # every store change goes through it; views hear on_changes
        self._model_namer = ModelNamer(self)
        self._model_namer.named.connect(self._model_named)
        self.review = ReviewController(self, self.page, store, self.ops, self.notify, self._update_status)
        self.conversations, self.turns, self.proposals = self.review.conversations, self.review.turns, self.review.proposals
        status = ExtractionStatus(self.progress_label, self.progress_bar, self.resume_label, self.resume_action,
                                  self._show_progress)
        self.extraction = ExtractionActions(self, store, self.settings, self.review, status, self.notify,
                                            self._update_status, client)
        self.controller = self.extraction.controller
        progress = ImportProgress(self.import_label, self.import_bar, self._show_import_progress)
        self.imports = ImportActions(self, store.path, self.settings, progress, self.ops, self.review, self.notify,
                                     self._update_status, writer=store.writer)
        self.importer = self.imports.importer
        self.recent_files = RecentFilesMenu(self, self.file_menu, before=self._recent_files_before)
        self._connect()
        install_memories_view(self)  # Ctrl+2: the kept memories; File → Export
        from scallop_curator.ui.skipped_turns import install_turn_actions

        install_turn_actions(self, self.model_menu)  # Extract the selected turn (also a skipped one)
        for action in self._shell_actions:
            action.setEnabled(True)
        self.is_filled = True
        if self.store.interrupt_stale_runs():
            self.notify("The last extraction was interrupted before it finished.", 10000)
        self.review.reload()
        self.review.restore_position()
        self.welcome = Welcome(self)  # the first-run panel in the empty review area
        if self._shown_once:
            window_state.restore_splitters(self)
        self._update_status()
        self.extraction.update_resume_hint()
        self.proposal_view.setFocus()
        QTimer.singleShot(300, self, self._warm_progress)  # once the filled window has painted
        self.filled.emit()

    def _connect(self) -> None:
        self.cancel_button.clicked.connect(self.cancel_extraction)
        self.import_cancel_button.clicked.connect(self.importer.cancel)

    # ------------------------------------------------------------------ imports (the controller's)
    def open_dialog(self) -> None:
        self.imports.open_dialog()

    def import_files(self, files: list[Path], options: ImportOptions | None = None) -> None:
        self.imports.import_files(files, options)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if files and self.is_filled:
            event.acceptProposedAction()
            QTimer.singleShot(0, self, lambda: self.import_files(files))

    # ------------------------------------------------------------------ review (the controller's)
    def current_conversation(self) -> str | None:
        return self.review.current_conversation()

    def current_proposal_row(self) -> int:
        return self.review.current_proposal_row()

    def select_conversation(self, conversation_id: str) -> None:
        self.review.select_conversation(conversation_id)

    def select_proposal(self, proposal_id: int) -> None:
        self.review.select_proposal(proposal_id)

    def accept_current(self) -> None:
        self.review.accept_current()

    def reject_current(self) -> None:
        self.review.reject_current()

    def skip_current(self) -> None:
        self.review.skip_current()

    def edit_current(self) -> None:
        self.review.edit_current()

    def add_manual(self) -> None:
        self.review.add_manual()

    def undo(self) -> None:
        self.review.undo()

    def redo(self) -> None:
        self.review.redo()

    def focus_filter(self) -> None:
        self.review.focus_filter()

    def _decide(self, status: Status, edited_text: str | None = None, advance: bool = True,
                choice: str | None = None, fields: dict[str, object] | None = None) -> None:
        self.review.decide(status, edited_text, advance, choice, fields)

    def _refresh_proposals(self) -> None:
        self.review.refresh_proposals()

    def _refresh_after_change(self) -> None:
        self.review.refresh_after_change()

    def _update_titles(self) -> None:
        self.review.update_titles()

    # ------------------------------------------------------------------ status bar
    def _update_status(self) -> None:
        from scallop_curator.ui.model_setup import describe_source

        pending = self.store.pending_count()
        self.pending_label.setText(f"{pending} pending")
        from scallop_curator.ui.skipped_turns import show_skipped

        show_skipped(self)
        self.undo_action.setEnabled(self.store.can_undo())
        self.redo_action.setEnabled(self.store.can_redo())
        s = self.settings
        key = (s.model_source, s.model_path, s.server_url, s.server_model, s.server_concurrency)
        if key != self._model_label_key:
            # Only when the settings change, not after every decision: finding the model may look
            # in the Hugging Face cache (on a background thread, see ModelNamer).
            self._model_label_key = key
            if s.model_source == "server":
                self._model_name = f"server {s.server_model or s.server_url}"
            else:
                self._model_name = self._model_namer.name(key, s.model_path) or "looking for the model…"
            self.model_label.setToolTip(plain.tooltip(describe_source(s)))
        self._show_model_label()

    def _model_named(self, key: tuple[object, ...], name: str) -> None:
        if key == self._model_label_key:  # not an answer for settings changed since
            self._model_name = name
            self._show_model_label()

    def _show_model_label(self) -> None:
        self.model_label.setText(f"{self._model_name} · {self.extraction.model_state}  │")

    def _warm_progress(self) -> None:
        """Draw the hidden progress parts once, off screen, while nothing else happens. Their first
        showing (style polish, layout, first paint) took 25-30 ms of the UI thread at the start of
        the first extraction or import, its longest stall (benchmarks/ui_stall.py: 45-52 ms, 24-26
        ms with the parts drawn before)."""
        if self.progress_label.isVisible():
            return  # an import or extraction already showed them
        # the characters its texts use ("·", "…", digits): a glyph missing from the UI font makes
        # the first text that needs it look for a fallback font
        self.progress_label.setText("starting · extracting 0/0 turns · ~1 min left · importing … reading")
        self.import_label.setText(self.progress_label.text())
        for widget in (self.progress_label, self.progress_bar, self.cancel_button,
                       self.import_label, self.import_bar, self.import_cancel_button):
            widget.ensurePolished()
            widget.grab()
        self.progress_label.clear()
        self.import_label.clear()

    def _show_progress(self, visible: bool) -> None:
        """The extraction's progress parts."""
        for widget in (self.progress_label, self.progress_bar, self.cancel_button):
            widget.setVisible(visible)

    def _show_import_progress(self, visible: bool) -> None:
        """The import's progress parts."""
        for widget in (self.import_label, self.import_bar, self.import_cancel_button):
            widget.setVisible(visible)

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

    # ------------------------------------------------------------------ dialogs, help, quit
    def cancel_work(self) -> None:
        """The Cancel key and menu entry: whatever runs, the import and the extraction alike."""
        self.importer.cancel()
        self.cancel_extraction()

    def cancel_extraction(self) -> None:
        """The extraction's Cancel: the job, or the reading of its cases; an import goes on."""
        self.extraction.cancel_preparing()
        self.controller.cancel()

    def open_settings(self) -> None:
        from scallop_curator.ui.settings_dialog import open_settings

        open_settings(self)

    def open_model_setup(self) -> None:
        from scallop_curator.ui.model_setup import open_model_setup

        open_model_setup(self)

    def open_audit(self) -> None:
        from scallop_curator.ui.audit_entry import open_audit

        open_audit(self)

    def show_shortcuts(self) -> None:
        from scallop_curator.ui.dialogs import ShortcutSheet

        ShortcutSheet(self, self.actions()).exec()

    def show_about(self) -> None:
        from scallop_curator.ui.about import about_box

        about_box(self, self.store.path).exec()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:  # laid out at its real size now
            self._shown_once = True
            window_state.restore_splitters(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.is_filled:
            self.review.filter_timer.stop()  # a filter typed just before closing must not query a closed store
            self.importer.shutdown()
            self.extraction.cancel_preparing()  # cases still being read start nothing after this
            self.controller.shutdown()
            self.controller.drain()  # store the results that arrived while shutting down
        window_state.save(self)
        event.accept()
