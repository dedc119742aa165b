"""The audit window driven by the keyboard on a real store: queue and filter, highlights in plain
text, keep / write your own / undo, charts, the training export with its cap, and the main
window's way in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import TurnResult
from scallop_curator.evaluation import runs
from scallop_curator.evaluation.cases import CaseFact, EvalCase, Reference
from scallop_curator.evaluation.harness import case_result, figures
from scallop_curator.store import Store
from scallop_curator.ui.audit_view import AuditWindow


def f(content: str, category: str = "personal", subject: str = "user") -> CaseFact:
    return CaseFact(content=content, subject=subject, category=category)  # type: ignore[arg-type]


CASES = [  # (case id, message, reference, model output)
    ("agree", "I'm allergic to walnuts", [f("Allergic to walnuts")], [f("Allergic to walnuts")]),
    ("missed", "walnuts, no thanks", [f("Allergic to walnuts")], []),
    ("invented", "<b>Ana</b> says hi", [], [f("Sister is Ana", "relationship")]),
    ("fields", "I love flashcards", [f("Prefers flashcards", "preference")], [f("Prefers flashcards", "general")]),
    ("wording", "I live in Porto", [f("Lives in Porto", "location")], [f("Lives in Porto, Portugal", "location")]),
]


def save_run(store: Store, label: str = "m.gguf", outputs: list[list[CaseFact]] | None = None) -> int:
    results = []
    for i, (case_id, message, reference, output) in enumerate(CASES):
        output = output if outputs is None else outputs[i]
        case = EvalCase(case_id=case_id, message=message, context="Hi" if i else None, session="s",
                        reference=Reference(facts=reference))
        turn = TurnResult(conversation_id=case_id, turn_index=i, parse_ok=True, latency_ms=100.0 * (i + 1),
                          facts=[Fact(**o.model_dump(), confidence=0.9) for o in output])
        results.append(case_result(i, case, turn))
    meta = runs.RunMeta(label, label, "gguf", "default", None, "extract-v1", ["cases.jsonl"])
    return runs.save_run(store, meta, "2026-11-26T20:00:00+00:00", 1.0, figures(results), results)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "store.db")
    yield store
    store.close()


@pytest.fixture
def window(qtbot, store: Store) -> AuditWindow:  # type: ignore[no-untyped-def]
    save_run(store)
    window = AuditWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window


def ids(window: AuditWindow) -> list[str]:
    return [window.queue.result(r).case.case_id for r in range(window.queue.rowCount())]


def test_the_queue_sorts_and_filters_by_kind(window: AuditWindow, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    qtmodeltester.check(window.queue)
    assert ids(window) == ["missed", "invented", "fields", "wording"]
    window.kind_box.setCurrentIndex(window.kind_box.findData("field mismatch"))
    assert ids(window) == ["fields"]
    window.kind_box.setCurrentIndex(window.kind_box.findData("quiet vs not"))
    assert ids(window) == ["missed", "invented"]
    window.kind_box.setCurrentIndex(0)
    assert window.queue.index(0).data().startswith("· missed · quiet vs not, missed fact")


def test_text_from_data_is_plain_and_differences_are_highlighted(window: AuditWindow) -> None:
    window.select_row(1)  # invented: the message carries markup
    assert window.message.toPlainText() == "<b>Ana</b> says hi"
    assert window.model_pane.highlights == [(0, 0, len("Sister is Ana | user | relationship | fact"), "unmatched")]
    assert window.reference_pane.toPlainText() == "(nothing to keep)"
    window.select_row(3)  # wording
    (line, start, end, kind) = window.model_pane.highlights[0]
    text = window.model_pane.toPlainText()
    assert kind == "changed" and text[start:end] == "Porto, Portugal"
    cursor = window.model_pane.textCursor()
    cursor.setPosition(start + 1)
    assert cursor.charFormat().background().color().name() == "#ffeca0"
    assert window.reference_pane.highlights[0][3] == "changed"
    assert window.reference_pane.toPlainText()[window.reference_pane.highlights[0][1]:
                                                window.reference_pane.highlights[0][2]] == "Porto"


def test_keyboard_decisions_are_stored_and_undoable(qtbot, window: AuditWindow, store: Store) -> None:  # type: ignore[no-untyped-def]
    window.list.setFocus()
    qtbot.keyClick(window.list, Qt.Key.Key_M)  # missed: keep the model's (nothing)
    assert window.current().case.case_id == "invented"
    qtbot.keyClick(window.list, Qt.Key.Key_R)  # invented: keep the reference's (nothing)
    assert window.current().case.case_id == "fields"
    qtbot.keyClick(window.list, Qt.Key.Key_W)
    assert window.own_editor.isVisible()
    assert window.own_editor.toPlainText() == "Prefers flashcards | user | preference | fact"
    window.own_editor.selectAll()
    qtbot.keyClicks(window.own_editor, "Uses flashcards | user | nonsense")
    qtbot.keyClick(window.own_editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.own_error.isVisible() and "category is one of" in window.own_error.text()
    window.own_editor.selectAll()
    qtbot.keyClicks(window.own_editor, "Uses flashcards to study Dutch | user | project")
    qtbot.keyClick(window.own_editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert not window.own_editor.isVisible()

    decided = {r.case.case_id: r for r in runs.results(store, 1)}
    assert decided["missed"].decision is runs.Decision.MODEL and decided["missed"].decided_facts == []
    assert decided["invented"].decision is runs.Decision.REFERENCE
    assert decided["fields"].decision is runs.Decision.OWN
    assert [(x.content, x.category) for x in decided["fields"].decided_facts] == [
        ("Uses flashcards to study Dutch", "project")]
    assert window.queue.index(2).data().startswith("W fields")

    qtbot.keyClick(window.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.current().case.case_id == "fields" and window.current().decision is None
    assert runs.result(store, decided["fields"].id).decision is None
    qtbot.keyClick(window.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert runs.result(store, decided["fields"].id).decision is runs.Decision.OWN
    qtbot.keyClick(window.list, Qt.Key.Key_K)
    assert window.current().case.case_id == "invented"
    qtbot.keyClick(window.list, Qt.Key.Key_J)
    assert window.current().case.case_id == "fields"


def test_charts_show_the_run(window: AuditWindow, store: Store) -> None:
    kinds = dict(zip(window.kinds_chart.labels, window.kinds_chart.series[0][1]))
    assert kinds == {"quiet vs not": 2, "missed fact": 1, "invented fact": 1, "field mismatch": 1, "wording only": 1}
    by_category = dict(zip(window.category_chart.labels, window.category_chart.series[0][1]))
    assert by_category["personal"] == 0.5  # one walnut fact matched fully, one missed
    assert by_category["preference"] == 0.75  # the category differs: three quarters of the credit
    assert sum(window.latency_chart.series[0][1]) == 5
    second = save_run(store, "other.gguf", outputs=[c[2] for c in CASES])  # the reference itself: all agree
    window.reload_runs()
    window.select_run(1)
    window.compare_box.setCurrentIndex(window.compare_box.findData(second))
    (first_name, first), (second_name, other) = window.runs_chart.series
    assert first_name.startswith("#1 m.gguf") and second_name.startswith(f"#{second} other.gguf")
    assert other[0] == 1.0 and first[0] < 1.0
    window.grab()  # paints every chart without error


def test_export_shows_the_empty_share_and_caps_it(window: AuditWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert window.export_summary.text() == (
        "1 cases, 0 with an empty target (0%); 4 disagreements not yet adjudicated left out")
    window.list.setFocus()
    qtbot.keyClick(window.list, Qt.Key.Key_M)  # missed -> model: empty target
    qtbot.keyClick(window.list, Qt.Key.Key_R)  # invented -> reference: empty target
    assert window.export_summary.text() == (
        "3 cases, 2 with an empty target (67%); 2 disagreements not yet adjudicated left out")
    window.cap.setValue(1)
    assert window.export_summary.text() == ("2 cases, 1 with an empty target (50%); 1 empty cases left out by the cap"
                                            "; 2 disagreements not yet adjudicated left out")
    out = tmp_path / "train.jsonl"
    assert window.export_to(out) == 2
    assert [json.loads(line)["case_id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["agree", "missed"]
    assert window.status.text() == f"2 cases written to {out}"


def test_without_runs_the_window_says_how_to_make_one(qtbot, store: Store) -> None:  # type: ignore[no-untyped-def]
    window = AuditWindow(store)
    qtbot.addWidget(window)
    assert window.queue.rowCount() == 0
    assert "scallop-curator eval" in window.status.text()
    assert not window.export_button.isEnabled()


def test_the_main_window_opens_it(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    main = open_window()
    save_run(main.store)
    qtbot.keyClick(main, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    audit = main.findChild(AuditWindow)
    assert audit is not None
    qtbot.waitUntil(audit.isVisible, timeout=10_000)
    assert audit.queue.rowCount() == 4
    audit.close()
    QApplication.processEvents()
