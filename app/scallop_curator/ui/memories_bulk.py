"""Review → Decide many: one decision for a filtered set of pending proposals (e.g. reject every
pending ``general`` proposal with confidence below 0.6), previewed before it is made, and undone
as one step."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.domain.facts import CATEGORIES
from scallop_curator.domain.review import Status
from scallop_curator.store import Store, operations
from scallop_curator.ui.operations_runner import OperationsRunner

DECISIONS = [("Reject", Status.REJECTED), ("Accept", Status.ACCEPTED), ("Skip", Status.SKIPPED)]
PREVIEW_ROWS = 200


class BulkDialog(QDialog):
    def __init__(self, parent: QWidget | None, store: Store, runner: OperationsRunner,
                 conversation_id: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Decide many proposals")
        self._store, self._runner, self._conversation = store, runner, conversation_id
        self.decision = QComboBox(objectName="bulkDecision")
        for label, status in DECISIONS:
            self.decision.addItem(label, status)
        self.category = QComboBox(objectName="bulkCategory")
        self.category.addItem("Any category", None)
        for category in CATEGORIES:
            self.category.addItem(category, category)
        self.below = QDoubleSpinBox(minimum=0.0, maximum=1.01, singleStep=0.05, value=1.01, decimals=2,
                                    specialValueText="", objectName="bulkBelow")
        self.scope = QComboBox(objectName="bulkScope")
        self.scope.addItem("Every conversation", None)
        if conversation_id:
            self.scope.addItem("This conversation", conversation_id)
        self.summary = QLabel(objectName="bulkSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.preview = QPlainTextEdit(readOnly=True, objectName="bulkPreview")  # plain text only
        form = QFormLayout()
        form.addRow("Decision", self.decision)
        form.addRow("Category", self.category)
        form.addRow("Confidence below", self.below)
        form.addRow("In", self.scope)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = buttons.addButton("Apply", QDialogButtonBox.ButtonRole.ActionRole)
        self.apply_button.clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.preview)
        layout.addWidget(buttons)
        for combo in (self.decision, self.category, self.scope):
            combo.currentIndexChanged.connect(self.update_preview)
        self.below.valueChanged.connect(self.update_preview)
        self.update_preview()

    def matching(self) -> list[int]:
        below = self.below.value() if self.below.value() <= 1.0 else None
        return operations.pending_matching(self._store, self.category.currentData(), below, self.scope.currentData())

    def update_preview(self) -> None:
        ids = self.matching()
        verb = self.decision.currentText().lower()
        self.summary.setText(f"{len(ids):,} pending proposals will be {verb}ed" if verb != "skip"
                             else f"{len(ids):,} pending proposals will be skipped")
        lines = []
        for proposal_id in ids[:PREVIEW_ROWS]:
            proposal = self._store.proposal(proposal_id)
            lines.append(f"{proposal.confidence:.2f}  {proposal.category:<12} {proposal.text}")
        if len(ids) > PREVIEW_ROWS:
            lines.append(f"… and {len(ids) - PREVIEW_ROWS:,} more")
        self.preview.setPlainText("\n".join(lines))
        self.apply_button.setEnabled(bool(ids))

    def apply(self) -> None:
        ids = self.matching()
        status = DECISIONS[self.decision.currentIndex()][1]  # (a str enum would come back from Qt as str)
        if ids and self._runner.run(lambda: operations.decide_many(self._store, ids, status),
                                    "Decisions not saved") is not None:
            self.accept()


def open_bulk_dialog(window: QWidget) -> BulkDialog:
    dialog = BulkDialog(window, window.store, window.ops, window.current_conversation())  # type: ignore[attr-defined]
    dialog.open()
    return dialog
