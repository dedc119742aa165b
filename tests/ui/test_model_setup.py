"""The "Choose a model" dialog, the download dialog against a real HTTP server on 127.0.0.1 that
answers as the Hub does, and the Settings dialog: every choice is checked in the saved settings."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QPushButton
from test_hub_download import CONTENT, FakeHub

from scallop_curator import paths
from scallop_curator.hub.download import cached_model, partial_download
from scallop_curator.settings import EngineSettings, Settings
from scallop_curator.ui.model_setup import (
    DownloadDialog,
    ModelSetupDialog,
    maybe_run_first_time_setup,
    needs_model_setup,
)
from scallop_curator.ui.settings_dialog import SettingsDialog


@pytest.fixture(autouse=True)
def empty_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never look at (or fill) the real Hugging Face cache."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "hf"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch):
    server = FakeHub()
    monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
    yield server
    server.close()


def _saved() -> Settings | None:
    return Settings.load() if paths.settings_path().exists() else None


def _click(qtbot, button: QPushButton) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# -- Choose a model -----------------------------------------------------------------------------


def test_demo_model_choice_is_remembered(qtbot, demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    assert needs_model_setup(settings)
    dialog = ModelSetupDialog(None, settings, first_run=True)
    qtbot.addWidget(dialog)
    assert dialog.demo_button is not None
    _click(qtbot, dialog.demo_button)

    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = _saved()
    assert saved is not None
    assert (saved.model_source, saved.model_path, saved.first_run_done) == ("demo", str(demo_model), True)
    assert settings.model_path == str(demo_model)
    assert not needs_model_setup(saved)


def test_gguf_file_is_described_before_it_is_used(qtbot, demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    dialog = ModelSetupDialog(None, settings)
    qtbot.addWidget(dialog)
    assert not dialog.use_file_button.isEnabled()
    assert dialog.inspect_file(demo_model)

    shown = dialog.file_info.toPlainText()
    for fact in ("Architecture", "llama", "Quantization", "Context length", "Memory", "needs about"):
        assert fact in shown
    assert "'llama', not 'qwen35'" in shown  # the warnings
    assert "no enable_thinking switch" in shown
    assert _saved() is None  # looking is not choosing
    _click(qtbot, dialog.use_file_button)

    saved = _saved()
    assert saved is not None
    assert (saved.model_source, saved.model_path, saved.first_run_done) == ("file", str(demo_model.resolve()), True)


def test_gguf_file_description_says_what_goes_on_the_gpu(qtbot, demo_model: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """With a GPU build and a GPU with 80 GB free (a stand-in nvidia-smi), the description has a GPU
    row saying every layer fits and what stays in RAM; a CPU build has no GPU row."""
    import os

    from scallop_curator.hub import gpu_memory

    dialog = ModelSetupDialog(None, Settings())
    qtbot.addWidget(dialog)
    if gpu_memory.offload_backend() is None:
        assert dialog.inspect_file(demo_model)
        assert "GPU" not in dialog.file_info.toPlainText()
    tool = tmp_path / "nvidia-smi"
    tool.write_text("#!/bin/sh\necho 81920\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(gpu_memory, "offload_backend", lambda: "CUDA")
    assert dialog.inspect_file(demo_model)
    shown = dialog.file_info.toPlainText()
    assert "NVIDIA GPU: all 31 layers fit" in shown and "stays in RAM" in shown


def test_a_file_that_is_not_gguf_is_refused(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "my-notes.txt"
    notes.write_text("These are notes, certainly not a language model.\n" * 4)
    dialog = ModelSetupDialog(None, Settings())
    qtbot.addWidget(dialog)
    assert not dialog.inspect_file(notes)

    assert "my-notes.txt is not a GGUF model file" in dialog.file_info.toPlainText()
    assert not dialog.use_file_button.isEnabled()
    dialog.use_file()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert _saved() is None


def test_server_settings_are_stored(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = ModelSetupDialog(None, Settings())
    qtbot.addWidget(dialog)
    dialog.server_url.setText("ftp://example.org")
    _click(qtbot, dialog.use_server_button)
    assert "not a web address" in dialog.server_status.text()
    assert _saved() is None

    dialog.server_url.setText(" 127.0.0.1:8080/v1 ")
    dialog.server_key.setText("sk-local")
    dialog.server_concurrency.setValue(6)
    _click(qtbot, dialog.use_server_button)
    saved = _saved()
    assert saved is not None
    assert (saved.model_source, saved.server_url, saved.server_concurrency, saved.server_model) == (
        "server", "http://127.0.0.1:8080/v1", 6, None)
    assert not needs_model_setup(saved)
    # No keychain here (keyring's fail backend): the key is kept for the session, never on disk.
    assert dialog.settings.server_api_key == "sk-local" and saved.server_api_key is None
    assert "sk-local" not in paths.settings_path().read_text(encoding="utf-8")


def test_server_key_goes_to_the_keychain(qtbot) -> None:  # type: ignore[no-untyped-def]
    import keyring
    from memory_keyring import MemoryKeyring

    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    dialog = ModelSetupDialog(None, Settings())
    qtbot.addWidget(dialog)
    dialog.server_url.setText("http://127.0.0.1:8080/v1")
    dialog.server_key.setText("sk-local")
    _click(qtbot, dialog.use_server_button)
    assert backend.passwords == {("scallop-curator", "server-api-key"): "sk-local"}
    assert "sk-local" not in paths.settings_path().read_text(encoding="utf-8")
    saved = _saved()
    assert saved is not None and saved.server_api_key == "sk-local"

    settings_dialog = SettingsDialog(None, saved)
    qtbot.addWidget(settings_dialog)
    assert "system keychain" in settings_dialog.key_storage.text()
    assert not settings_dialog.key_in_file.isChecked()


@pytest.fixture
def models_server():
    """A real HTTP server on 127.0.0.1 answering GET /v1/models like an OpenAI-compatible one."""
    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            body = json.dumps({"object": "list", "data": [{"id": "scallopmemory-1"}, {"id": "other"}]}).encode()
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    server.shutdown()
    server.server_close()


def test_server_check_runs_in_the_background(qtbot, models_server) -> None:  # type: ignore[no-untyped-def]
    url, seen = models_server
    dialog = ModelSetupDialog(None, Settings())
    qtbot.addWidget(dialog)
    assert dialog.check_button.isVisibleTo(dialog)  # extraction.server_client is installed
    dialog.server_url.setText(url)
    dialog.server_key.setText("sk-local")
    _click(qtbot, dialog.check_button)
    qtbot.waitUntil(lambda: "answers" in dialog.server_status.text(), timeout=10_000)
    assert "scallopmemory-1, other" in dialog.server_status.text()
    assert seen == ["Bearer sk-local"]

    dialog.server_model.setText("nope")
    _click(qtbot, dialog.check_button)
    qtbot.waitUntil(lambda: "did not answer as expected" in dialog.server_status.text(), timeout=10_000)
    assert "has no model 'nope'" in dialog.server_status.text()
    assert _saved() is None  # checking is not choosing


@pytest.mark.modal("ModelSetupDialog")
def test_first_run_setup_from_the_window(qtbot, open_window, demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    assert not maybe_run_first_time_setup(window)  # a model is configured: nothing asked

    window.settings = Settings()  # as on a first start with nothing downloaded
    asked: list[str] = []

    def choose_demo() -> None:
        dialog = QApplication.activeModalWidget()
        asked.append(type(dialog).__name__)
        dialog.findChild(QPushButton, "useDemo").click()

    QTimer.singleShot(100, choose_demo)
    assert maybe_run_first_time_setup(window)
    assert asked == ["ModelSetupDialog"]
    assert "demo" in window.notice_label.text()
    assert "SmolLM2" in window.model_label.text()
    assert not maybe_run_first_time_setup(window)  # answered once: not asked again


# -- Download -----------------------------------------------------------------------------------


def test_download_shows_progress_and_sets_the_model(qtbot, hub: FakeHub) -> None:  # type: ignore[no-untyped-def]
    hub.delay = 0.01  # about 0.7 s for the 1 MB file: several progress reports
    settings = Settings()
    dialog = DownloadDialog(None, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    seen: list[str] = []
    dialog.progressed.connect(seen.append)
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        dialog.start()
    assert dialog.wait(5)

    assert seen and all(" of " in line for line in seen)
    assert dialog.progress_bar.value() == 1000
    ready = cached_model()
    assert ready is not None and ready.read_bytes() == CONTENT
    assert settings.model_path == str(ready) and settings.model_source == "hub"
    saved = _saved()
    assert saved is not None and saved.model_path == str(ready) and saved.first_run_done
    assert str(ready) in dialog.message


def test_cancel_stops_the_download_and_offers_nothing(qtbot, hub: FakeHub) -> None:  # type: ignore[no-untyped-def]
    hub.delay = 0.1  # about 6 s for the whole file: the cancel lands long before the end
    settings = Settings()
    dialog = DownloadDialog(None, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.progressed, timeout=20_000):
        dialog.start()
    with qtbot.waitSignal(dialog.rejected, timeout=60_000):
        _click(qtbot, dialog.cancel_button)
    assert dialog.wait(5)

    assert settings.model_path is None and settings.model_source is None
    assert _saved() is None
    assert cached_model() is None
    kept = partial_download()
    assert kept is not None and 0 < kept[1] < len(CONTENT)  # kept for the next try


def test_no_network_says_so(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{probe.getsockname()[1]}")
    settings = Settings()
    dialog = DownloadDialog(None, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    qtbot.waitUntil(lambda: dialog.retry_button.isVisible(), timeout=30_000)

    assert dialog.status_label.text().startswith("No network")
    assert dialog.cancel_button.text() == "Close"
    assert settings.model_path is None and _saved() is None


# -- Settings -----------------------------------------------------------------------------------


def _edit_engine(dialog: SettingsDialog) -> None:
    dialog.threads.setValue(3)
    dialog.context.setValue(4096)
    dialog.gpu_layers.setValue(0)
    dialog.batch.setValue(256)


def test_settings_ok_saves_engine_values(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    assert dialog.context.value() == EngineSettings().n_ctx
    assert dialog.gpu_layers.text() == "as many as fit"
    _edit_engine(dialog)
    assert dialog.gpu_layers.text() == "0"
    dialog.ok_button.click()

    assert dialog.result() == QDialog.DialogCode.Accepted
    expected = (3, 4096, 0, 256)
    assert (settings.engine.n_threads, settings.engine.n_ctx, settings.engine.n_gpu_layers, settings.engine.n_batch) == expected
    saved = _saved()
    assert saved is not None
    assert (saved.engine.n_threads, saved.engine.n_ctx, saved.engine.n_gpu_layers, saved.engine.n_batch) == expected


@pytest.mark.modal("ModelSetupDialog")
def test_settings_cancel_discards_everything(qtbot, demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    before = settings.model_dump()
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    _edit_engine(dialog)

    def choose_demo() -> None:  # Change… opens "Choose a model" on the dialog's copy
        QApplication.activeModalWidget().findChild(QPushButton, "useDemo").click()

    QTimer.singleShot(100, choose_demo)
    dialog.change_model()
    assert "demo model" in dialog.model_label.text()
    dialog.reject()

    assert settings.model_dump() == before
    assert _saved() is None


def test_no_keychain_is_said_and_plain_text_is_a_choice(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(model_source="server", server_url="http://127.0.0.1:8080/v1", server_api_key="sk-local")
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    assert "no keychain" in dialog.key_storage.text() and "this session only" in dialog.key_storage.text()
    assert dialog.key_storage.textFormat() == Qt.TextFormat.PlainText
    dialog.ok_button.click()
    assert "sk-local" not in paths.settings_path().read_text(encoding="utf-8")

    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    dialog.key_in_file.setChecked(True)
    assert "plain text" in dialog.key_storage.text()
    dialog.ok_button.click()
    saved = _saved()
    assert saved is not None and saved.server_api_key == "sk-local" and saved.server_api_key_in_file


def test_settings_that_cannot_be_saved_say_so(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import errno
    import os

    Settings().save()
    before = paths.settings_path().read_bytes()

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    settings = Settings()
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    _edit_engine(dialog)
    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", no_space)
        dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted  # used for this session
    assert settings.engine.n_ctx == 4096
    assert "No space left on device" in dialog.message and "previous settings are kept" in dialog.message
    assert paths.settings_path().read_bytes() == before


def test_settings_prompt_file_is_validated(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad-prompt.txt"
    bad.write_text("Extract memories.\n")
    good = tmp_path / "good-prompt.txt"
    good.write_text("Extract memories.\n=== user ===\nContext: {context}\nMessage: {message}\n")
    settings = Settings()
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    assert dialog.prompt_bundled.isChecked()

    dialog.prompt_custom.setChecked(True)
    dialog.prompt_path.setText(str(bad))
    dialog.ok_button.click()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "=== user ===" in dialog.prompt_status.text()
    assert _saved() is None

    dialog.prompt_path.setText(str(good))
    dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = _saved()
    assert saved is not None and saved.prompt_path == str(good)


def test_settings_memory_line_follows_the_gpu_layers(qtbot, demo_model: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings' memory line says what goes on the GPU, and changes with the GPU layers box
    (a GPU build and a stand-in nvidia-smi with 80 GB free)."""
    import os

    from scallop_curator.hub import gpu_memory

    tool = tmp_path / "nvidia-smi"
    tool.write_text("#!/bin/sh\necho 81920\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(gpu_memory, "offload_backend", lambda: "CUDA")
    dialog = SettingsDialog(None, Settings(model_source="file", model_path=str(demo_model)))
    qtbot.addWidget(dialog)
    assert "GPU: NVIDIA GPU: all 31 layers fit" in dialog.memory_label.text()
    dialog.gpu_layers.setValue(0)
    assert "GPU layers is set to 0" in dialog.memory_label.text()
