"""Who is "the user" in a multi-speaker file: one choice per log (per pair of people).

A LoCoMo file holds many pairs, so one name for the whole file cannot fit: each log gets its own
choice, pre-set to the name that speaks in the most logs (the person whose history this is), else
the log's first speaker; "For every log" sets them all at once. Names come from the export and are
shown as plain text.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.importers.speakers import SpeakerLog

PER_LOG = "(choose for each log)"


def _plain(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def default_user(log: SpeakerLog, common: str | None) -> str:
    return common if common in log.speakers else log.speakers[0]


def common_name(logs: list[SpeakerLog]) -> str | None:
    """The name in the most logs, when it is in more than one: likely the person whose history this is."""
    counts = Counter(name for log in logs for name in log.speakers)
    if not counts:
        return None
    name, n = counts.most_common(1)[0]
    return name if n > 1 else None


class SpeakerDialog(QDialog):
    """``choices()`` -> {log label: the user's name}, for ``ImportOptions.user_by_log``."""

    def __init__(self, parent: QWidget | None, file_name: str, logs: list[SpeakerLog]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who is the user?")
        self.setMinimumWidth(520)
        self._logs = logs
        layout = QVBoxLayout(self)
        layout.addWidget(_plain(f"{file_name} holds {len(logs)} conversation log(s) between several people.\n"
                                "For each, whose messages should the model read as yours?"))
        common = common_name(logs)
        self.for_all = QComboBox()
        self.for_all.setObjectName("forAll")
        widest = max((len(log.speakers) for log in logs), default=0)
        self._ordinals = [f"each log's {self._nth(i)} speaker" for i in range(widest)]
        shared = [name for name, n in Counter(n for log in logs for n in log.speakers).most_common() if n > 1]
        self.for_all.addItems([PER_LOG, *self._ordinals, *shared])
        top = QFormLayout()
        top.addRow(_plain("For every log"), self.for_all)
        layout.addLayout(top)
        rows = QWidget()
        form = QFormLayout(rows)
        self.combos: dict[str, QComboBox] = {}
        for log in logs:
            combo = QComboBox()
            combo.addItems(list(log.speakers))
            combo.setCurrentText(default_user(log, common))
            combo.setAccessibleName(f"The user in {log.label}")
            form.addRow(_plain(f"{log.label} ({', '.join(log.speakers)})"), combo)
            self.combos[log.label] = combo
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(rows)
        layout.addWidget(scroll)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.for_all.currentTextChanged.connect(self._set_all)

    @staticmethod
    def _nth(i: int) -> str:
        return {0: "first", 1: "second", 2: "third"}.get(i, f"{i + 1}th")

    def _set_all(self, choice: str) -> None:
        if choice == PER_LOG:
            return
        for log in self._logs:
            combo = self.combos[log.label]
            if choice in self._ordinals:
                position = self._ordinals.index(choice)
                if position < len(log.speakers):
                    combo.setCurrentText(log.speakers[position])
            elif choice in log.speakers:
                combo.setCurrentText(choice)

    def choices(self) -> dict[str, str]:
        return {label: combo.currentText() for label, combo in self.combos.items()}
