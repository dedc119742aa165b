"""An import during a long extraction (another export dropped while a whole history runs): each
shows its own progress, and each Cancel stops only its own work. They used to share one label, one
bar and one Cancel, so stopping a slow import also stopped the extraction."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from helpers import hold_import_at, import_and_wait, write_chatgpt_export


def test_an_import_beside_an_extraction_has_its_own_progress_and_cancel(  # type: ignore[no-untyped-def]
        qtbot, open_window, sample_export: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "3600")  # one turn would take an hour: the extraction runs until cancelled
    monkeypatch.setenv("FAKE_ENGINE_STUCK", "0")
    reached, gate = hold_import_at(monkeypatch, "Held")
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    with qtbot.waitSignal(window.controller.modelState, timeout=30_000, check_params_cb=lambda s: s == "extracting"):
        window.extraction.extract_all()
    extraction_text = window.progress_label.text()
    assert window.cancel_button.isVisible() and not window.import_cancel_button.isVisible()

    second = write_chatgpt_export(tmp_path / "more.json", [("Held", 1_700_000_000, [("user", "I moved to Ghent."),
                                                                                   ("assistant", "Nice.")])],
                                  prefix="more")
    try:
        window.import_files([second])
        qtbot.waitUntil(reached.is_set, timeout=30_000)
        qtbot.waitUntil(window.import_cancel_button.isVisible, timeout=10_000)  # shown after 500 ms of work
        # Both at once, each in its own parts: the import does not write over the extraction's text.
        assert window.cancel_button.isVisible() and window.progress_bar.isVisible() and window.import_bar.isVisible()
        assert window.progress_label.text() == extraction_text
        assert "more.json" in window.import_label.text()

        with qtbot.waitSignal(window.importer.finished, timeout=60_000) as ended:
            qtbot.mouseClick(window.import_cancel_button, Qt.MouseButton.LeftButton)
            gate.set()
    finally:
        gate.set()  # a failed assertion must not leave the import thread waiting
    assert ended.args == ["cancelled"]
    assert window.store.conversation_count() == 5  # the sample's; nothing of the cancelled file
    # The extraction goes on, its progress and Cancel still up; the import's parts are gone.
    assert window.controller.busy and window.extraction.running
    assert window.cancel_button.isVisible() and not window.import_cancel_button.isVisible()

    with qtbot.waitSignal(window.controller.finished, timeout=120_000) as finished:
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args == ["cancelled"]
    assert not window.cancel_button.isVisible()
