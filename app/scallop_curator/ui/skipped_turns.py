"""Skipped turns in the window: the status bar counts them, and "Extract the selected turn" extracts
one on demand (a skipped turn, or any user turn again), whatever the skip rules say."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from scallop_curator.extraction.speed import SpeedMeter
from scallop_curator.store.skips import skipped_total
from scallop_curator.ui import plain
from scallop_curator.ui.extraction_plan_dialog import clock_of, speed_key


def install_turn_actions(window: Any, menu: QMenu) -> QAction:
    """Model → Extract the selected turn (Ctrl+Shift+T), also on the turn list's context menu."""
    action = window._action(menu, "Extract the selected &turn", "Ctrl+Shift+T", lambda: extract_selected_turn(window),
                            "Extract the selected user turn now, also one your skip rules skipped")
    action.setObjectName("extractTurn")
    window.extract_turn_action = action
    window.turn_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    window.turn_view.addAction(action)
    return action


def extract_selected_turn(window: Any) -> bool:
    """Extract the selected user turn on its own; True when the job started."""
    index = window.turn_view.currentIndex()
    conversation_id = window.current_conversation()
    if not index.isValid() or conversation_id is None:
        window.notify("Select a user turn first.", 3000)
        return False
    turn = window.turns.turn(index.row())
    if turn.role != "user" or not turn.text.strip():
        window.notify("Only a user turn can be extracted.", 3000)
        return False
    extraction = window.extraction
    if extraction.refuse_second_start():
        return False
    prepared = extraction.model_spec()
    if prepared is None:
        return False
    spec, info = prepared
    cases = [case for case in window.store.conversation(conversation_id).extraction_cases(*clock_of(window.settings))
             if case.turn_index == turn.index]
    if not cases:
        plain.information(window, "Nothing to extract", "This turn has no text the model could read.")
        return False
    key, parallel = speed_key(window.settings, info)
    extraction.speed_meter = SpeedMeter(key, parallel)
    extraction.start_job(spec, info, cases)
    # One turn asked for by hand is not a job to resume: the rest of the conversation is not its business.
    window.store.set_meta("extraction.job", None)
    return True


def show_skipped(window: Any) -> None:
    """The status bar's count of skipped turns, beside the pending count (none: not mentioned)."""
    count = skipped_total(window.store)
    label = window.pending_label
    text = label.text().split(" · ")[0]
    if count:
        label.setText(f"{text} · {count:,} skipped")
        label.setToolTip(f"{count:,} turns were left out by your skip rules (Edit → Settings). They are marked in "
                         "the turn list; select one and press Ctrl+Shift+T to extract it.")
    else:
        label.setText(text)
        label.setToolTip("")
