"""The audit window: go through the cases where a model and its reference disagree, keep one side
or write your own (keyboard first), look at the charts, and export the adjudicated cases.

Every decision is committed to the store before the window moves on, and can be undone.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.evaluation import audit, export, runs
from scallop_curator.evaluation.agreement import Kind
from scallop_curator.store import Store, StoreError
from scallop_curator.ui.audit_charts import BarChart
from scallop_curator.ui.audit_models import AuditQueueModel, FactPane

log = logging.getLogger("ui")

HINT = ("M keep the model's · R keep the reference · W write your own (Ctrl+Enter saves, Esc cancels) · "
        "J / K next / previous · Ctrl+Z undo · Ctrl+Shift+Z redo")
NO_RUNS = "No evaluation runs yet. Run: scallop-curator eval CASES… --model FILE.gguf"
NO_CAP = -1


def _plain(text: str, name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setObjectName(name)
    edit.setReadOnly(True)
    edit.setTabChangesFocus(True)
    edit.setPlainText(text)
    return edit


class AuditWindow(QWidget):
    """Non-modal window over the store's evaluation runs."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.store = store
        self.setWindowTitle("Audit evaluation runs — Scallop Curator")
        self.resize(1100, 720)
        self.queue = AuditQueueModel(store)
        self._build()
        self._build_actions()
        self.reload_runs()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.run_box = QComboBox(objectName="runBox")
        self.compare_box = QComboBox(objectName="compareBox")
        self.kind_box = QComboBox(objectName="kindBox")
        self.kind_box.addItem("every kind", None)
        for kind in audit.KIND_ORDER:
            self.kind_box.addItem(kind.value, kind.value)
        self.undecided = QCheckBox("undecided only", objectName="undecidedOnly")
        bar = QHBoxLayout()
        for label, widget in (("Run", self.run_box), ("Kind", self.kind_box)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget, 1)
        bar.addWidget(self.undecided)
        self.review_button = QPushButton("Add a run from your review", objectName="reviewRunButton")
        self.review_button.setToolTip("The model's proposals against what you kept, edited or added, as a run to audit")
        bar.addWidget(self.review_button)

        self.list = QListView(objectName="auditQueue")
        self.list.setModel(self.queue)
        self.list.setUniformItemSizes(True)
        self.message = _plain("", "auditMessage")
        self.context = _plain("", "auditContext")
        self.model_pane = FactPane("modelFacts")
        self.reference_pane = FactPane("referenceFacts")
        self.decision_label = QLabel(objectName="decisionLabel")
        self.decision_label.setTextFormat(Qt.TextFormat.PlainText)
        self.own_editor = QPlainTextEdit(objectName="ownFacts")
        self.own_editor.setPlaceholderText("one fact a line: content | subject | category | action")
        self.own_editor.setTabChangesFocus(True)
        self.own_editor.hide()
        self.own_error = QLabel(objectName="ownError")
        self.own_error.setTextFormat(Qt.TextFormat.PlainText)
        self.own_error.hide()

        detail = QGridLayout()
        detail.addWidget(QLabel("Context (the assistant's previous reply)"), 0, 0, 1, 2)
        detail.addWidget(self.context, 1, 0, 1, 2)
        detail.addWidget(QLabel("Message"), 2, 0, 1, 2)
        detail.addWidget(self.message, 3, 0, 1, 2)
        detail.addWidget(QLabel("Model"), 4, 0)
        detail.addWidget(QLabel("Reference"), 4, 1)
        detail.addWidget(self.model_pane, 5, 0)
        detail.addWidget(self.reference_pane, 5, 1)
        detail.addWidget(self.decision_label, 6, 0, 1, 2)
        detail.addWidget(self.own_editor, 7, 0, 1, 2)
        detail.addWidget(self.own_error, 8, 0, 1, 2)
        hint = QLabel(HINT)
        hint.setTextFormat(Qt.TextFormat.PlainText)
        hint.setWordWrap(True)
        detail.addWidget(hint, 9, 0, 1, 2)
        right = QWidget()
        right.setLayout(detail)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(right)
        split.setSizes([360, 740])

        charts = QWidget()
        grid = QGridLayout(charts)
        self.category_chart = BarChart("Agreement by category")
        self.latency_chart = BarChart("Latency (cases per ms bin)")
        self.kinds_chart = BarChart("Disagreement kinds (cases)")
        self.runs_chart = BarChart("Run against run")
        compare_row = QHBoxLayout()
        compare_row.addWidget(QLabel("Compare with"))
        compare_row.addWidget(self.compare_box, 1)
        grid.addLayout(compare_row, 0, 0, 1, 2)
        for i, chart in enumerate((self.category_chart, self.latency_chart, self.kinds_chart, self.runs_chart)):
            grid.addWidget(chart, 1 + i // 2, i % 2)

        exporter = QWidget()
        column = QVBoxLayout(exporter)
        self.cap = QSpinBox(objectName="emptyCap")
        self.cap.setRange(NO_CAP, 10_000)
        self.cap.setSpecialValueText("no cap")
        self.cap.setValue(NO_CAP)
        self.export_summary = QLabel(objectName="exportSummary")
        self.export_summary.setTextFormat(Qt.TextFormat.PlainText)
        self.export_button = QPushButton("Export as JSON Lines…", objectName="exportButton")
        cap_row = QHBoxLayout()
        cap_row.addWidget(QLabel("Empty targets per session at most"))
        cap_row.addWidget(self.cap)
        cap_row.addStretch(1)
        column.addLayout(cap_row)
        column.addWidget(self.export_summary)
        column.addWidget(self.export_button)
        column.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.addTab(split, "Cases")
        self.tabs.addTab(charts, "Charts")
        self.tabs.addTab(exporter, "Export for training")
        self.status = QLabel(objectName="auditStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)

        self.run_box.currentIndexChanged.connect(self._run_changed)
        self.compare_box.currentIndexChanged.connect(lambda _i: self._update_charts())
        self.kind_box.currentIndexChanged.connect(self._filter_changed)
        self.undecided.toggled.connect(self._filter_changed)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.cap.valueChanged.connect(lambda _v: self._update_export())
        self.export_button.clicked.connect(self._export_dialog)
        self.review_button.clicked.connect(self.add_review_run)

    def _build_actions(self) -> None:
        def action(text: str, keys: list[str], slot) -> QAction:  # type: ignore[no-untyped-def]
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(k) for k in keys])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        action("Keep the model's facts", ["M"], lambda: self.decide(runs.Decision.MODEL))
        action("Keep the reference's facts", ["R"], lambda: self.decide(runs.Decision.REFERENCE))
        action("Write your own", ["W"], self.start_own)
        action("Save your own", ["Ctrl+Return", "Ctrl+Enter"], self.save_own)
        action("Cancel", ["Escape"], self.cancel_own)
        action("Next case", ["J"], lambda: self.move(1))
        action("Previous case", ["K"], lambda: self.move(-1))
        action("Undo", ["Ctrl+Z"], self.undo)
        action("Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], self.redo)

    # ------------------------------------------------------------------ runs and queue
    def reload_runs(self) -> None:
        saved = runs.list_runs(self.store)
        for box in (self.run_box, self.compare_box):
            box.blockSignals(True)
            box.clear()
        self.compare_box.addItem("no other run", None)
        for run in reversed(saved):  # newest first
            agreement = run.figures.get("agreement")
            text = (f"#{run.id} {run.label} / {run.profile} — {run.n_cases} cases, agreement "
                    + ("—" if agreement is None else f"{agreement:.3f}"))
            self.run_box.addItem(text, run.id)
            self.compare_box.addItem(text, run.id)
        for box in (self.run_box, self.compare_box):
            box.blockSignals(False)
        self.status.setText("" if saved else NO_RUNS)
        self._run_changed()

    def add_review_run(self) -> int | None:
        from scallop_curator.evaluation.review_run import save_review_run

        try:
            run_id = save_review_run(self.store)
        except StoreError as problem:
            self.status.setText(str(problem))
            return None
        if run_id is None:
            self.status.setText("Nothing has been reviewed yet: accept, edit or reject some proposals first.")
            return None
        self.reload_runs()
        self.select_run(run_id)
        return run_id

    def select_run(self, run_id: int) -> None:
        self.run_box.setCurrentIndex(self.run_box.findData(run_id))

    def _run_changed(self, *_args: object) -> None:
        self.queue.set_run(self.run_box.currentData())
        self._after_reset()

    def _filter_changed(self, *_args: object) -> None:
        value = self.kind_box.currentData()
        self.queue.set_filter(Kind(value) if value else None, self.undecided.isChecked())
        self._after_reset()

    def _after_reset(self) -> None:
        if self.queue.rowCount():
            self.select_row(0)
        else:
            self._show(None)
        self._update_charts()
        self._update_export()

    def select_row(self, row: int) -> None:
        index = self.queue.index(row)
        self.list.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.list.scrollTo(index)

    def current_row(self) -> int:
        return self.list.currentIndex().row()

    def current(self) -> runs.StoredResult | None:
        row = self.current_row()
        return self.queue.result(row) if 0 <= row < self.queue.rowCount() else None

    def move(self, step: int) -> None:
        if self.queue.rowCount():
            self.select_row(max(0, min(self.queue.rowCount() - 1, self.current_row() + step)))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.cancel_own()
        self._show(self.queue.result(current.row()) if current.isValid() else None)

    def _show(self, item: runs.StoredResult | None) -> None:
        if item is None:
            for pane in (self.message, self.context, self.model_pane, self.reference_pane):
                pane.setPlainText("")
            self.decision_label.setText("No disagreeing cases here." if self.queue.run_id is not None else "")
            return
        self.message.setPlainText(item.case.message)
        self.context.setPlainText(item.case.context or "(none)")
        model_marks, reference_marks = audit.side_marks(item)
        quiet_model = "(nothing: the model stayed quiet)" if item.parse_ok else f"(unparseable answer: {item.error})"
        self.model_pane.show_facts(item.model_facts, model_marks, quiet_model)
        self.reference_pane.show_facts(item.case.reference.facts, reference_marks, "(nothing to keep)")
        kinds = ", ".join(k.value for k in audit.KIND_ORDER if k in item.kinds)
        decided = {None: "undecided", runs.Decision.MODEL: "kept the model's", runs.Decision.REFERENCE:
                   "kept the reference's", runs.Decision.OWN: "your own"}[item.decision]
        text = f"{item.case.case_id}: {kinds}; score {item.score:.2f}; {decided}"
        if item.decision is runs.Decision.OWN and item.decided_facts is not None:
            text += "\n" + (audit.facts_text(item.decided_facts) or "(nothing to keep)")
        self.decision_label.setText(text)

    # ------------------------------------------------------------------ decisions
    def decide(self, decision: runs.Decision, own: list | None = None) -> None:
        item = self.current()
        if item is None:
            return
        try:
            runs.decide(self.store, item.id, decision, own)  # committed before the window moves on
        except StoreError as problem:
            self.status.setText(str(problem))
            return
        self._refresh(item.id)
        self.move(1)

    def start_own(self) -> None:
        item = self.current()
        if item is None:
            return
        start = item.decided_facts if item.decided_facts is not None else item.case.reference.facts
        self.own_editor.setPlainText(audit.facts_text(start))
        self.own_error.hide()
        self.own_editor.show()
        self.own_editor.setFocus()

    def save_own(self) -> None:
        if not self.own_editor.isVisible():
            return
        try:
            facts = audit.parse_own(self.own_editor.toPlainText())
        except ValueError as problem:
            self.own_error.setText(str(problem))
            self.own_error.show()
            return
        self.own_editor.hide()
        self.own_error.hide()
        self.list.setFocus()
        self.decide(runs.Decision.OWN, facts)

    def cancel_own(self) -> None:
        if self.own_editor.isVisible():
            self.own_editor.hide()
            self.own_error.hide()
            self.list.setFocus()

    def undo(self) -> None:
        self._jump(runs.undo(self.store))

    def redo(self) -> None:
        self._jump(runs.redo(self.store))

    def _jump(self, result_id: int | None) -> None:
        if result_id is None:
            self.status.setText("Nothing to undo or redo.")
            return
        self.status.setText("")
        self._refresh(result_id)
        row = self.queue.row_of(result_id)
        if row >= 0:
            self.select_row(row)

    def _refresh(self, result_id: int) -> None:
        self.queue.refresh_row(result_id)
        item = self.current()
        if item is not None and item.id == result_id:
            self._show(item)
        self._update_charts()
        self._update_export()

    # ------------------------------------------------------------------ charts and export
    def _update_charts(self) -> None:
        results = self.queue.all_results
        by_category = audit.agreement_by_category(results)
        self.category_chart.set_data(list(by_category), [("agreement", list(by_category.values()))])
        histogram = audit.latency_histogram(results)
        self.latency_chart.set_data(list(histogram), [("cases", list(histogram.values()))], "{:.0f}")
        kinds = audit.kind_counts(results)
        self.kinds_chart.set_data(list(kinds), [("cases", list(kinds.values()))], "{:.0f}")
        series = []
        for run_id in (self.run_box.currentData(), self.compare_box.currentData()):
            if run_id is not None:
                run = runs.get_run(self.store, run_id)
                series.append((f"#{run.id} {run.label} / {run.profile}",
                               [run.figures.get(name) or 0.0 for name in audit.RUN_FIGURES]))
        self.runs_chart.set_data([n.replace("_", " ") for n in audit.RUN_FIGURES], series)

    def export_plan(self) -> export.ExportPlan:
        cap = None if self.cap.value() == NO_CAP else self.cap.value()
        return export.plan(self.queue.all_results, cap)

    def _update_export(self) -> None:
        self.export_summary.setText(self.export_plan().describe() if self.queue.run_id is not None else NO_RUNS)
        self.export_button.setEnabled(self.queue.run_id is not None)

    def export_to(self, path: str | Path) -> int:
        try:
            written = export.write(path, self.export_plan())
        except OSError as error:
            self.status.setText(f"Cannot write {path}: {error.strerror or error}")
            return 0
        self.status.setText(f"{written} cases written to {path}")
        return written

    def _export_dialog(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Export adjudicated cases", "cases.jsonl",
                                                    "JSON Lines (*.jsonl)")
        if path:
            self.export_to(path)


def open_audit(parent: QWidget, store: Store) -> AuditWindow:
    """Show the audit window (one per main window), refreshed from the store."""
    window = parent.findChild(AuditWindow)
    if window is None:
        window = AuditWindow(store, parent)
    else:
        window.reload_runs()
    window.show()
    window.raise_()
    window.activateWindow()
    return window
