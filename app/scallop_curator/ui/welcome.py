"""The first-run welcome: three steps (open an export, get a model, review) in the empty review area.

It is a panel, not a dialog, so it never blocks: it takes the place of the empty turn list while
the store has no conversations, goes away by itself once an import brings some, and comes back
from Help → Welcome. Closing it is remembered, so it is shown by itself only once.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from scallop_curator import paths

STEPS = [
    ("1. Open an export",
     "Import the chat history you downloaded from ChatGPT, Claude, Gemini, Open WebUI, SillyTavern, "
     "plain transcripts and more "
     "(File → Open chat export, Ctrl+O, or drop the file on the window). The import happens on this computer; nothing is uploaded."),
    ("2. Get a model",
     "Choose a small local model (Model → Choose model…): download one, pick a GGUF file you have, "
     "or use a server you run yourself."),
    ("3. Review",
     "Extract a conversation (Ctrl+E) and go through the memories the model proposes: "
     "A accepts, X rejects, E edits, Space skips. Every decision is saved at once and can be undone."),
]
_SEEN_KEY = "welcome/closed"


def _state() -> QSettings:
    return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)


def was_closed() -> bool:
    return str(_state().value(_SEEN_KEY, "false")).lower() == "true"


def _remember_closed() -> None:
    state = _state()
    state.setValue(_SEEN_KEY, "true")
    state.sync()


class WelcomePanel(QFrame):
    """Three steps, a button for each, and Close."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="welcome")
        self.setAccessibleName("Welcome")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.title = QLabel("Welcome to Scallop Curator")
        self._size_title()
        layout.addWidget(self.title)
        intro = QLabel("Turn your chat history into memories you have checked yourself, in three steps:")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        for heading, text in STEPS:
            step_title = QLabel(heading)
            bold = step_title.font()
            bold.setBold(True)
            step_title.setFont(bold)
            body = QLabel(text)
            body.setWordWrap(True)
            layout.addSpacing(self.fontMetrics().height() // 2)
            layout.addWidget(step_title)
            layout.addWidget(body)
        layout.addSpacing(self.fontMetrics().height())
        buttons = QHBoxLayout()
        self.open_button = QPushButton("&Open an export…")
        self.model_button = QPushButton("&Choose a model…")
        self.sample_button = QPushButton("Try the &sample")
        self.close_button = QPushButton("Close")
        self.open_button.setAccessibleName("Open an export")
        self.model_button.setAccessibleName("Choose a model")
        self.sample_button.setAccessibleName("Try the sample")
        self.close_button.setAccessibleName("Close the welcome")
        for button in (self.open_button, self.model_button, self.sample_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        for label in self.findChildren(QLabel):
            label.setTextFormat(Qt.TextFormat.PlainText)

    def _size_title(self) -> None:
        """1.4 times the panel's font, recomputed when the system font changes."""
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._size_title()
        super().changeEvent(event)


class Welcome:
    """Puts the panel in a stack with the turn list, in the turn list's place in its pane."""

    def __init__(self, window: QWidget) -> None:
        self.window = window
        view: QWidget = window.turn_view  # type: ignore[attr-defined]
        parent = view.parentWidget()
        self.stack = QStackedWidget(objectName="reviewArea")
        self.stack.setAccessibleName("Review area")
        if isinstance(parent, QSplitter):  # the turn list shares its pane with the message reader
            parent.replaceWidget(parent.indexOf(view), self.stack)
        else:
            parent.layout().replaceWidget(view, self.stack)
        self.stack.addWidget(view)
        self.panel = WelcomePanel()
        self.stack.addWidget(self.panel)
        self.panel.open_button.clicked.connect(window.open_dialog)  # type: ignore[attr-defined]
        self.panel.model_button.clicked.connect(self._choose_model)
        self.panel.sample_button.clicked.connect(self._try_sample)
        self.panel.close_button.clicked.connect(self.close)
        window.importer.finished.connect(self._imported)  # type: ignore[attr-defined]
        if window.conversations.total == 0 and not was_closed():  # type: ignore[attr-defined]
            self.show(focus=False)  # the keyboard stays on the review panes

    def is_shown(self) -> bool:
        return self.stack.currentWidget() is self.panel

    def show(self, focus: bool = True) -> None:
        self.stack.setCurrentWidget(self.panel)
        if focus:
            self.panel.open_button.setFocus()

    def close(self) -> None:
        _remember_closed()
        self._back_to_review()

    def _back_to_review(self) -> None:
        had_focus = self.panel.isAncestorOf(self.window.focusWidget()) if self.window.focusWidget() else False
        self.stack.setCurrentWidget(self.window.turn_view)  # type: ignore[attr-defined]
        if had_focus:
            self.window.proposal_view.setFocus()  # type: ignore[attr-defined]

    def _choose_model(self) -> None:
        from scallop_curator.ui.model_setup import open_model_setup

        open_model_setup(self.window)

    def _try_sample(self) -> None:
        self.window.import_files([paths.sample_export()])  # type: ignore[attr-defined]

    def _imported(self, _status: str) -> None:
        if self.is_shown() and self.window.conversations.total > 0:  # type: ignore[attr-defined]
            _remember_closed()  # the first step is done: no need to welcome again
            self._back_to_review()
