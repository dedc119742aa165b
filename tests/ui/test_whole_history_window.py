"""The window's side of issue 11's "A whole history": the plan shown before a large extraction (turns,
tokens, time, order; Start or Cancel), skip rules set in Settings and skipped turns marked, counted
and extracted on demand, and the timezone and time grain a prompt's date is shown at."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from helpers import import_and_wait, write_chatgpt_export
from scallop_curator import paths
from scallop_curator.settings import Settings
from scallop_curator.ui import roles
from scallop_curator.ui.extraction_plan_dialog import ExtractionPlanDialog
from scallop_curator.ui.settings_dialog import SettingsDialog

LONG = "I work as a planner at the container terminal in Rotterdam, mostly on night shifts."


def _export(tmp_path: Path) -> Path:
    """Two conversations, a day apart; each has short replies the rules can skip."""
    return write_chatgpt_export(tmp_path / "conversations.json", [
        ("Work", 1_747_000_000, [("user", LONG), ("assistant", "Night shifts are hard."), ("user", "ok"),
                                 ("assistant", "Anything else?"), ("user", "My sister Ana visits in June, she loves it here.")]),
        ("Exam", 1_747_090_000, [("user", "thanks"), ("assistant", "You're welcome."),
                                 ("user", "I passed the Dutch A2 exam in January after months of flashcards.")]),
    ])


def _note(window, text: str) -> str:  # type: ignore[no-untyped-def]
    row = next(r for r in range(window.turns.rowCount()) if window.turns.turn(r).text == text)
    return str(window.turns.index(row).data(roles.NOTE_ROLE))


def _select_turn(window, text: str) -> None:  # type: ignore[no-untyped-def]
    row = next(r for r in range(window.turns.rowCount()) if window.turns.turn(r).text == text)
    window.turn_view.setCurrentIndex(window.turns.index(row))


def _plan_dialog() -> ExtractionPlanDialog | None:
    found = QApplication.activeModalWidget()
    return found if isinstance(found, ExtractionPlanDialog) else None


def _drive_plan(qtbot, act) -> list[str]:  # type: ignore[no-untyped-def]
    """Once the plan dialog is open and has counted exactly, hand it to ``act``; returns what it showed."""
    shown: list[str] = []

    def drive() -> None:
        dialog = _plan_dialog()
        if dialog is None:
            QTimer.singleShot(20, drive)
            return
        qtbot.waitUntil(lambda: "counting" not in dialog.summary.text(), timeout=60_000)
        shown.extend([dialog.windowTitle(), dialog.summary.text(), dialog.rules_label.text()])
        act(dialog)

    QTimer.singleShot(0, drive)
    return shown


def _selected_conversation(window, title: str) -> str:  # type: ignore[no-untyped-def]
    summary = next(s for s in window.store.conversations() if s.title == title)
    window.select_conversation(summary.id)
    return summary.id


@pytest.mark.modal("ExtractionPlanDialog")
def test_a_large_extraction_shows_its_plan_skips_by_rule_and_extracts_a_skipped_turn_on_demand(
        qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, _export(tmp_path))
    window.settings.extraction.skip_min_chars = 10
    window.settings.extraction.confirm_turns = 2  # four turns to extract: "large" here
    started: list[list[tuple[str, int]]] = []
    real_start = window.controller.start
    window.controller.start = lambda spec, cases, sink=None: (started.append([(c.conversation_id, c.turn_index) for c in cases]),
                                                   real_start(spec, cases, sink))[1]

    def choose_oldest(dialog: ExtractionPlanDialog) -> None:
        dialog.order_combo.setCurrentIndex(dialog.order_combo.findData("oldest"))
        dialog.start_button.click()

    shown = _drive_plan(qtbot, choose_oldest)
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        window.extraction.extract_all()
    assert finished.args == ["done"]

    title, summary, rules = shown
    assert title == "Extract 3 turns?"
    assert "3 turns to extract (2 skipped: 2 short)" in summary
    assert "counted with the model's vocabulary" in summary  # the demo model's own tokenizer, on a thread
    assert "time: not known yet" in summary  # nothing measured on this model before
    assert "messages under 10 characters" in rules and "Extract the selected turn" in rules
    # Oldest first: the Work conversation (a day older) before the Exam one.
    work = next(s.id for s in window.store.conversations() if s.title == "Work")
    exam = next(s.id for s in window.store.conversations() if s.title == "Exam")
    assert started == [[(work, 0), (work, 4), (exam, 2)]]
    assert Settings.load().extraction.order == "oldest"  # the choice is remembered
    # The run measured this machine's speed on this model, for the next plan's estimate.
    measured = json.loads((paths.cache_dir() / "speed.json").read_text(encoding="utf-8"))
    assert [entry["turns_measured"] for entry in measured.values()] == [3]

    # Marked, counted in the status bar and the list; not taken for a stopped job to resume.
    _selected_conversation(window, "Work")
    assert _note(window, "ok").startswith("⊘ skipped: short (under 10 characters)")
    assert "2 skipped" in window.pending_label.text()
    row = window.conversations.row_of(work)
    assert "1 skipped" in window.conversations.index(row).data(roles.SUBTITLE_ROLE)
    assert "not extracted" not in window.conversations.index(row).data(roles.SUBTITLE_ROLE)
    assert not window.resume_action.isEnabled()

    # Extract the skipped turn on demand: the rules do not apply to a turn asked for by hand.
    _select_turn(window, "ok")
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as again:
        window.extract_turn_action.trigger()
    assert again.args == ["done"]
    assert "skipped" not in _note(window, "ok")
    assert "1 skipped" in window.pending_label.text()
    assert started[-1] == [(work, 2)]
    assert not window.resume_action.isEnabled()


@pytest.mark.modal("ExtractionPlanDialog")
def test_cancelling_the_plan_starts_nothing_and_marks_nothing(qtbot, open_window, tmp_path: Path,
                                                              demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    from scallop_curator.extraction.model_file import fingerprint
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.extraction.speed import Speed, local_key, save_speed

    # A speed measured earlier (by the window or by `extract`) on this model and prompt.
    save_speed(local_key(fingerprint(demo_model), load_prompt("compact").version),
               Speed(seconds_per_token=0.001, seconds_per_turn=40.0, turns_measured=12))
    window = open_window()
    import_and_wait(qtbot, window, _export(tmp_path))
    window.settings.extraction.skip_min_chars = 10
    window.settings.extraction.confirm_turns = 50  # 3 turns, but over 2 minutes at that speed
    shown = _drive_plan(qtbot, lambda dialog: dialog.reject())
    window.extraction.extract_all()
    assert shown and shown[0] == "Extract 3 turns?"
    assert "time: about 2 min at this machine's measured speed" in shown[1]
    assert not window.controller.busy and window.store.last_run_status() is None
    assert "skipped" not in window.pending_label.text()
    assert "Extraction not started." in window.notice_label.text()


def test_a_small_extraction_starts_at_once_with_the_rules_applied(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, _export(tmp_path))
    window.settings.extraction.skip_code = True
    window.settings.extraction.skip_min_chars = 7  # "thanks" is six characters
    _selected_conversation(window, "Exam")
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        window.extraction.extract_current()  # no plan dialog: the guard fails the test if one opens
    assert _note(window, "thanks").startswith("⊘ skipped: short (under 7 characters)")
    assert "proposed" in _note(window, "I passed the Dutch A2 exam in January after months of flashcards.")
    assert "1 skipped" in window.pending_label.text()


def _export_with_an_untimed_turn(tmp_path: Path) -> Path:
    path = write_chatgpt_export(tmp_path / "untimed.json", [
        ("Move", 1_747_000_000, [("user", "Hello there, a question about moving."), ("assistant", "Sure."),
                                 ("user", LONG)]),
    ])
    data = json.loads(path.read_text(encoding="utf-8"))
    data[0]["mapping"]["c0-m2"]["message"]["create_time"] = None  # this message has no time of its own
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_timezone_and_grain_from_settings_reach_the_prompt_and_an_untimed_turn_says_so(
        qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, _export_with_an_untimed_turn(tmp_path))
    window.settings.extraction.timezone = "Asia/Tokyo"
    window.settings.extraction.time_grain = "hour"
    cid = _selected_conversation(window, "Move")
    timed, untimed = window.extraction.unextracted_cases([cid])
    assert timed.timezone == "Asia/Tokyo" and timed.time_source == "turn"
    assert timed.time is not None and timed.time.minute == 0 and timed.time.utcoffset().total_seconds() == 9 * 3600
    assert untimed.time_source == "conversation"  # the conversation's date, from the store

    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        window.extraction.extract_current()
    proposal = next(r for r in range(window.proposals.rowCount())
                    if "Rotterdam" in window.proposals.index(r).data())
    index = window.proposals.index(proposal)
    assert "dated by its conversation" in index.data(roles.DETAIL_ROLE)
    assert "the prompt was given the conversation's date (2025-05-11)" in html.unescape(index.data(_tooltip()))
    row = next(r for r in range(window.turns.rowCount()) if window.turns.turn(r).text == LONG)
    assert "conversation's date" in html.unescape(window.turns.index(row).data(_tooltip()))


def _tooltip() -> Any:
    from PySide6.QtCore import Qt

    return Qt.ItemDataRole.ToolTipRole


def test_settings_dialog_sets_timezone_grain_and_skip_rules(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    # The compact prompt shows no time: the grain does not apply to it.
    assert not dialog.grain_combo.isEnabled() and "shows no date or time" in dialog.clock_hint.text()
    dialog.profile_combo.setCurrentIndex(dialog.profile_combo.findData("scallopbot"))
    assert dialog.grain_combo.isEnabled() and "date and time" in dialog.clock_hint.text()
    dialog.timezone_combo.setEditText("Mars/Olympus_Mons")
    dialog.ok_button.click()
    assert dialog.result() != dialog.DialogCode.Accepted  # stays open, says why
    assert "unknown timezone" in dialog.timezone_error.text() and settings.extraction.timezone is None

    dialog.timezone_combo.setEditText("Asia/Tokyo")
    dialog.grain_combo.setCurrentIndex(dialog.grain_combo.findData("minute"))
    dialog.skip_short.setValue(12)
    dialog.skip_code.setChecked(True)
    dialog.confirm_turns.setValue(200)
    dialog.ok_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = Settings.load()
    assert saved.prompt_profile == "scallopbot"
    assert (saved.extraction.timezone, saved.extraction.time_grain) == ("Asia/Tokyo", "minute")
    assert (saved.extraction.skip_min_chars, saved.extraction.skip_code, saved.extraction.confirm_turns) == (12, True, 200)

    reopened = SettingsDialog(None, saved)
    qtbot.addWidget(reopened)
    assert reopened.timezone_combo.currentText() == "Asia/Tokyo"
    assert reopened.grain_combo.currentData() == "minute" and reopened.skip_short.value() == 12
    assert reopened.skip_code.isChecked()
    # Back to this computer's zone: stored as None, so the file follows the machine.
    reopened.timezone_combo.setCurrentIndex(0)
    reopened.ok_button.click()
    assert Settings.load().extraction.timezone is None


@pytest.mark.modal("ExtractionPlanDialog")
def test_review_goes_on_while_a_large_extraction_runs(qtbot, open_window, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from scallop_curator.domain.review import Status

    monkeypatch.setenv("FAKE_ENGINE_DELAY", "1.5")  # the worker process reads it: turns take a while
    window = open_window()
    import_and_wait(qtbot, window, _export(tmp_path))
    window.settings.extraction.confirm_turns = 1
    window.settings.extraction.order = "oldest"  # Work's first turn (a proposal) first, most of the job after it
    _drive_plan(qtbot, lambda dialog: dialog.start_button.click())
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000):
        window.extraction.extract_all()
    assert _plan_dialog() is None and window.controller.busy  # the plan is closed; the model works on
    _selected_conversation(window, "Work")
    qtbot.waitUntil(lambda: window.proposals.rowCount() > 0, timeout=30_000)
    window.proposal_view.setCurrentIndex(window.proposals.index(0))
    window.accept_current()
    assert window.controller.busy
    assert window.store.proposal(window.proposals.proposal(0).id).status is Status.ACCEPTED
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        window.cancel_work()
    assert finished.args == ["cancelled"]
