"""Names a screen reader says for the main window's panes, filter, buttons and status widgets.

Kept apart from the layout code so the window's builder stays short; a test walks every widget
of the window and fails on an interactive one without a name.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

NAMES: dict[str, tuple[str, str]] = {
    # attribute of the window: (accessible name, accessible description)
    "conversation_view": ("Conversations", "Imported conversations; pick one to review"),
    "filter_edit": ("Filter conversations", "Shows only conversations whose title or text contains this"),
    "date_combo": ("Date range", "Shows only conversations from this period"),
    "sort_combo": ("Sort order", "How the conversation list is sorted"),
    "turn_view": ("Turns", "The turns of the selected conversation"),
    "reader": ("Whole message", "The whole selected message, with the proposal's evidence highlighted"),
    "proposal_view": ("Proposed memories", "What the model proposes to remember; A accepts, X rejects"),
    "turns_title": ("Conversation title", ""),
    "proposals_title": ("Proposals summary", ""),
    "conversations_title": ("Conversation count", ""),
    "model_label": ("Model state", ""),
    "progress_label": ("Extraction progress", ""),
    "progress_bar": ("Extraction progress bar", ""),
    "cancel_button": ("Cancel the extraction", "Stop the extraction (Ctrl+. stops an import too)"),
    "import_label": ("Import progress", ""),
    "import_bar": ("Import progress bar", ""),
    "import_cancel_button": ("Cancel the import", "Stop the import; nothing of the unfinished file is kept"),
    "pending_label": ("Pending proposals", ""),
    "notice_label": ("Notice", ""),
    "splitter": ("Review panes", ""),
}


def name_widgets(window: QWidget) -> None:
    for attribute, (name, description) in NAMES.items():
        widget = getattr(window, attribute, None)
        if isinstance(widget, QWidget):
            widget.setAccessibleName(name)
            if description:
                widget.setAccessibleDescription(description)
