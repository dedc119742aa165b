"""File → Export to Open WebUI from the dialog, against the loopback fake of its memory API: the
export runs off the UI thread with progress, can be cancelled (what was sent stays remembered, and
the next export sends only the rest), and failures are one plain line."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer

from scallop_curator.store import Store, operations
from scallop_curator.ui.export_dialog import ExportDialog
from tests.test_export import openwebui_server  # noqa: F401  (fixture)


def _dialog(qtbot, store: Store, url: str, key: str = "sk-test") -> ExportDialog:  # type: ignore[no-untyped-def]
    dialog = ExportDialog(None, store)
    qtbot.addWidget(dialog)
    dialog.target.setCurrentIndex(dialog.target.findData("openwebui"))
    dialog.url.setText(url)
    dialog.api_key.setText(key)
    return dialog


def _kept(tmp_path: Path, count: int) -> Store:
    store = Store(tmp_path / "m.db")
    for i in range(count):
        operations.add_memory(store, f"Fact {i}", "user", "general", choice=operations.KEEP_BOTH)
    return store


def test_export_runs_off_the_ui_thread_with_progress_and_cancel(qtbot, tmp_path: Path, openwebui_server) -> None:  # type: ignore[no-untyped-def]
    url, server = openwebui_server
    server.delay = 0.1  # a slow server: 40 memories take about four seconds, so the cancel lands mid-way
    store = _kept(tmp_path, 40)
    dialog = _dialog(qtbot, store, url)
    ticks: list[int] = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(1))  # the UI thread keeps running its event loop
    timer.start()
    progress: list[tuple[int, int]] = []
    dialog.run_export()
    assert dialog.job is not None and dialog.job.running and not dialog.export_button.isEnabled()
    dialog.job.progress.connect(lambda done, total: progress.append((done, total)))
    heard_running: list[bool] = []
    dialog.job.cancelled.connect(lambda _message: heard_running.append(dialog.job.running))
    qtbot.waitUntil(lambda: len(server.memories) >= 10, timeout=60_000)
    assert ticks and not dialog.cancel_button.isHidden()
    with qtbot.waitSignal(dialog.exportFinished, timeout=60_000) as ended:
        dialog.cancel_export()
    timer.stop()
    assert ended.args == [False] and "cancelled after" in dialog.result.text()
    assert heard_running == [False]  # the end is heard once the job is over: Export now starts the next one
    assert progress and all(total == 40 for _, total in progress)
    sent = len(server.memories)
    assert 10 <= sent < 40
    remembered = store.db.execute("SELECT COUNT(*) FROM memory_exports").fetchone()[0]
    assert remembered == sent  # every answered request is remembered
    server.delay = 0.0
    with qtbot.waitSignal(dialog.exportFinished, timeout=60_000) as ended:
        dialog.run_export()
    assert ended.args == [True] and dialog.export_button.isEnabled() and dialog.progress.isHidden() and dialog.cancel_button.isHidden()
    assert len(server.memories) == 40 and f"{40 - sent} added" in dialog.result.text()
    assert f"{sent} already there" in dialog.result.text()
    store.close()


def test_export_failures_are_plain_lines_in_the_dialog(qtbot, tmp_path: Path, openwebui_server) -> None:  # type: ignore[no-untyped-def]
    url, _server = openwebui_server
    store = _kept(tmp_path, 2)
    dialog = _dialog(qtbot, store, url, key="wrong")
    with qtbot.waitSignal(dialog.exportFinished, timeout=60_000) as ended:
        dialog.run_export()
    assert ended.args == [False] and "refused the API key" in dialog.result.text()
    dialog.api_key.setText("sk-test")
    dialog.url.setText("http://127.0.0.1:9")
    with qtbot.waitSignal(dialog.exportFinished, timeout=60_000) as ended:
        dialog.run_export()
    assert ended.args == [False] and "could not be reached" in dialog.result.text()
    store.close()


def test_closing_the_dialog_stops_a_running_export(qtbot, tmp_path: Path, openwebui_server) -> None:  # type: ignore[no-untyped-def]
    url, server = openwebui_server
    server.delay = 0.05
    store = _kept(tmp_path, 40)
    dialog = _dialog(qtbot, store, url)
    dialog.show()
    dialog.run_export()
    job = dialog.job
    qtbot.waitUntil(lambda: len(server.memories) >= 2, timeout=60_000)
    dialog.reject()
    assert job is not None and not job.running and len(server.memories) < 40
    store.close()
