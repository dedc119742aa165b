"""Choose a model: download scallopmemory-1, open a GGUF on disk, connect to a server, or use the
small demo model. Shown once at first start when no usable model is configured, and from
Model → Choose model… at any time. The choice is stored in the one settings model.

Long work (the download, the server check) runs on a ``threading.Thread``; it reports back through
Qt signals of a small relay object, so the window never blocks.
"""

from __future__ import annotations

import html
import importlib
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.extraction.demo_model import demo_model_path
from scallop_curator.extraction.models_on_disk import HUB_FILE, describe, resolve_model
from scallop_curator.settings import Settings
from scallop_curator.ui.relay import UiRelay
from scallop_curator.ui.widgets import set_progress

log = logging.getLogger("ui")

HUB_SIZE_TEXT = "3.16 GB"
GGUF_FILTER = "GGUF models (*.gguf);;All files (*)"
CANCEL_GRACE_MS = 1000  # a cancelled download's dialog closes within this, whatever the network does
ERROR_STYLE = "color: #b00020;"
WARNING_STYLE = "color: #8a5a00;"


# -- what is configured ------------------------------------------------------------------------


def _cached_hub_model() -> Path | None:
    try:
        from scallop_curator.hub.download import cached_model

        return cached_model()
    except Exception:  # noqa: BLE001 - a broken cache is the same as none here
        log.exception("could not look in the Hugging Face cache")
        return None


def has_usable_model(settings: Settings) -> bool:
    """A model the app can use without asking: a chosen file that exists, a server, or a downloaded
    scallopmemory-1. The demo model does not count: it only proves the mechanics."""
    if settings.model_source == "server" and settings.server_url:
        return True
    if settings.model_path and Path(settings.model_path).is_file():
        return True
    return _cached_hub_model() is not None


def needs_model_setup(settings: Settings) -> bool:
    """Ask at start only when nothing usable is configured and the user has not answered before."""
    return not settings.first_run_done and not has_usable_model(settings)


def describe_source(settings: Settings) -> str:
    """One line saying where the model comes from, for people."""
    source = settings.model_source
    if source == "server":
        model = f", model {settings.server_model}" if settings.server_model else ""
        return f"Server {settings.server_url or '(no address)'}{model}, {settings.server_concurrency} requests at a time"
    path = Path(settings.model_path) if settings.model_path else None
    missing = " (the file is missing)" if path is not None and not path.is_file() else ""
    if source == "hub" and path is not None:
        return f"scallopmemory-1, downloaded: {path}{missing}"
    if source == "demo" and path is not None:
        return f"The demo model {path.name}; small, its memories are poor{missing}"
    if path is not None:
        return f"{path.name}: {path.parent}{missing}"
    resolved = resolve_model(None)
    if resolved is not None:
        return f"Not chosen yet; using {describe(resolved)}"
    return "No model chosen"


def server_client_class() -> Any | None:
    """``extraction.server_client.ServerClient`` when that module is installed, else None."""
    try:
        module = importlib.import_module("scallop_curator.extraction.server_client")
    except ImportError:
        return None
    return getattr(module, "ServerClient", None)


def server_spec(settings: Settings) -> Any:
    """The ModelSpec for the server backend: ``model_path`` is the server's model id ("" = its first)."""
    from scallop_curator.extraction.client import ModelSpec

    return ModelSpec(settings.server_model or "", settings.prompt_path or settings.prompt_profile, settings.engine)


def check_server(settings: Settings) -> list[str]:
    """Blocking: build a ServerClient for ``settings`` and run its ``load`` check; the models the
    server lists. Raises on failure."""
    cls = server_client_class()
    if cls is None:
        raise RuntimeError("The server client is not available in this version.")
    client = cls(settings.server_url, api_key=settings.server_api_key, concurrency=settings.server_concurrency)
    try:
        client.load(server_spec(settings))
        return list(getattr(client, "models", []) or [])
    finally:
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001 - the check's own answer matters, not the cleanup
            log.exception("server client shutdown after check")


def clean_server_url(url: str) -> str:
    """``localhost:8080`` means ``http://localhost:8080`` (as the server client reads it)."""
    url = url.strip()
    return url if not url or "://" in url else "http://" + url


def server_url_problem(url: str) -> str | None:
    url = clean_server_url(url)
    if not url:
        return "Enter the server's address, for example http://127.0.0.1:8080/v1"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{url}' is not a web address: it should look like http://127.0.0.1:8080/v1"
    return None


# -- background work --------------------------------------------------------------------------


class _Relay(UiRelay):
    """Lives in the GUI thread; worker threads post to it and it emits on the GUI thread."""

    progress = Signal(object)  # DownloadProgress
    succeeded = Signal(object)  # DownloadResult, or None for a server check
    failed = Signal(str, bool)  # message, cancelled


def _emit(relay: UiRelay, name: str, *args: Any) -> None:
    relay.post(name, *args)


# -- the download dialog ----------------------------------------------------------------------


class DownloadDialog(QDialog):
    """Download scallopmemory-1 with bytes, speed and time left; Cancel keeps the partial file.

    On success ``settings.model_path`` is the verified file in the Hugging Face cache and the dialog
    is accepted; ``result`` and ``message`` say what happened. ``options`` go to ``download_model``.
    """

    progressed = Signal(str)  # the progress line shown, for anyone watching

    def __init__(self, parent: QWidget | None, settings: Settings, save: bool = True,
                 options: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.save = save
        self.options = options or {}
        self.result: Any = None
        self.message = ""
        self.running = False
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._relay = _Relay(self)
        self._relay.progress.connect(self._on_progress)
        self._relay.succeeded.connect(self._on_success)
        self._relay.failed.connect(self._on_failure)

        self.setWindowTitle("Downloading scallopmemory-1")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.status_label = QLabel(f"Getting {HUB_FILE} ({HUB_SIZE_TEXT}) from Hugging Face…", objectName="downloadStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_bar = QProgressBar(objectName="downloadProgress")
        self.progress_bar.setRange(0, 0)  # busy until the size is known
        self.detail_label = QLabel("", objectName="downloadDetail")
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.detail_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.retry_button = QPushButton("Try again", objectName="downloadRetry")
        self.retry_button.clicked.connect(self.start)
        self.retry_button.hide()
        self.cancel_button = QPushButton("Cancel", objectName="downloadCancel")
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self._show_kept()

    def _show_kept(self) -> None:
        try:
            from scallop_curator.hub.download import format_size, partial_download

            kept = partial_download()
        except Exception:  # noqa: BLE001 - only a hint
            return
        if kept is not None:
            self.detail_label.setText(f"{format_size(kept[1])} are kept from an earlier try; the download carries on from there.")

    def start(self) -> None:
        """Start (or retry) the download on a background thread; returns at once."""
        if self.running:
            return
        self.running = True
        self._cancel = threading.Event()
        self.retry_button.hide()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(True)
        self.status_label.setStyleSheet("")
        self.status_label.setText(f"Getting {HUB_FILE} ({HUB_SIZE_TEXT}) from Hugging Face…")
        self.progress_bar.setRange(0, 0)
        relay, cancel, options = self._relay, self._cancel, dict(self.options)

        def work() -> None:
            from scallop_curator.hub.download import (
                DownloadCancelled,
                DownloadProblem,
                download_model,
            )

            try:
                result = download_model(lambda p: _emit(relay, "progress", p), cancel, **options)
            except DownloadCancelled as problem:
                _emit(relay, "failed", str(problem), True)
            except DownloadProblem as problem:
                _emit(relay, "failed", str(problem), False)
            except Exception as error:  # noqa: BLE001 - shown to the user, logged in full
                log.exception("model download failed")
                _emit(relay, "failed", f"The download stopped: {error}", False)
            else:
                _emit(relay, "succeeded", result)

        self._thread = threading.Thread(target=work, name="model-download", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """For tests and shutdown: wait for the background thread; True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _on_progress(self, progress: Any) -> None:
        if not self.running:
            return
        if self.progress_bar.maximum() != 1000:
            self.progress_bar.setRange(0, 1000)
        set_progress(self.progress_bar, int(progress.fraction * 1000))
        self.detail_label.setText(progress.describe())
        self.progressed.emit(progress.describe())
        if progress.phase == "checking":
            self.status_label.setText("Checking the part downloaded last time…")
        elif not self._cancel.is_set():
            self.status_label.setText(f"Downloading {HUB_FILE}…")

    def _on_success(self, result: Any) -> None:
        self.running = False
        if self._cancel.is_set():  # finished just as Cancel was pressed: the file stays cached, unchosen
            super().reject()
            return
        self.result = result
        self.message = f"{result.message}: {result.path}"
        self.settings.model_path = str(result.path)
        self.settings.model_source = "hub"
        self.settings.first_run_done = True
        if self.save:
            self.settings.save()
        log.info("model ready: %s", self.message)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(1000)
        self.status_label.setText(self.message)
        super().accept()

    def _on_failure(self, message: str, cancelled: bool) -> None:
        self.running = False
        self.message = message
        if cancelled or self._cancel.is_set():
            super().reject()
            return
        self.progress_bar.setRange(0, 1000)
        self.status_label.setStyleSheet(ERROR_STYLE)
        if message.startswith("No network") and "no cached model" in message:
            message = ("No network, and scallopmemory-1 has not been downloaded before. Connect to the internet "
                       "and try again: the download carries on where it stopped.")
        self.status_label.setText(message)
        self.retry_button.show()
        self.cancel_button.setText("Close")

    def reject(self) -> None:
        """Cancel: the download stops, its bytes stay for the next try, and nothing is offered as ready."""
        if not self.running:
            super().reject()
            return
        if self._cancel.is_set():
            return
        self._cancel.set()
        self.message = "Download cancelled"
        self.cancel_button.setEnabled(False)
        self.status_label.setText("Cancelling… the part downloaded so far is kept for next time.")
        QTimer.singleShot(CANCEL_GRACE_MS, self, self._give_up_waiting)

    def _give_up_waiting(self) -> None:
        if self.running:  # the thread ends on its own at the next chunk; we do not wait for it
            self.running = False
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)


# -- the "Choose a model" dialog --------------------------------------------------------------


def _section(title: str, text: str) -> tuple[QGroupBox, QVBoxLayout]:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    label = QLabel(text)
    label.setWordWrap(True)
    layout.addWidget(label)
    return box, layout


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for widget in widgets:
        row.addWidget(widget)
    return row


class ModelSetupDialog(QDialog):
    """Four ways to get a model. The chosen one updates ``settings`` (saved when ``save``) and
    accepts the dialog; ``message`` says what was chosen."""

    def __init__(self, parent: QWidget | None, settings: Settings, save: bool = True, first_run: bool = False) -> None:
        super().__init__(parent)
        self.settings = settings
        self.save = save
        self.message = ""
        self.inspected: Path | None = None
        self._relay = _Relay(self)
        self._relay.succeeded.connect(self._check_passed)
        self._relay.failed.connect(self._check_failed)
        self._checking = False

        self.setWindowTitle("Choose a model")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        intro = ("Scallop Curator needs a language model to propose memories. Choose one way to get it; "
                 "you can change it later in Model → Choose model…" if first_run else
                 f"Now: {describe_source(settings)}")
        intro_label = QLabel(intro, objectName="setupIntro")
        intro_label.setWordWrap(True)
        intro_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(intro_label)

        # The sections scroll, so the dialog fits a small laptop screen once a file's facts are shown.
        body = QWidget()
        sections = QVBoxLayout(body)
        sections.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(objectName="setupSections")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)
        sections.addWidget(self._hub_section())
        sections.addWidget(self._file_section())
        sections.addWidget(self._server_section())
        demo = demo_model_path()
        self.demo_button: QPushButton | None = None
        if demo is not None:
            box, inner = _section("Try it first", "A tiny demo model, already here, shows how everything works; its "
                                  "memories are poor, and its long answers can take a minute a turn on a slow "
                                  "CPU. You can pick a real model later.")
            self.demo_button = QPushButton("Use the small demo model for now", objectName="useDemo")
            self.demo_button.clicked.connect(self.use_demo)
            inner.addLayout(_row(self.demo_button))
            sections.addWidget(box)
        sections.addStretch(1)

        buttons = QDialogButtonBox()
        later = buttons.addButton("Decide later" if first_run else "Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        later.setObjectName("setupLater")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        height = body.sizeHint().height() + intro_label.sizeHint().height() + 80
        self.resize(680, min(height, screen.height() - 60) if screen is not None else height)

    # ------------------------------------------------------------ (a) the Hub
    def _hub_section(self) -> QGroupBox:
        cached = _cached_hub_model()
        box, inner = _section(
            "Download scallopmemory-1 (recommended)",
            f"The model made for this app: {HUB_SIZE_TEXT}, into the shared Hugging Face cache. "
            "The file is checked before use; an interrupted download carries on where it stopped.",
        )
        text = "Use the downloaded scallopmemory-1" if cached else f"Download scallopmemory-1 ({HUB_SIZE_TEXT})"
        self.download_button = QPushButton(text, objectName="downloadModel")
        self.download_button.clicked.connect(lambda: self.download())
        inner.addLayout(_row(self.download_button))
        return box

    def download(self, options: dict[str, Any] | None = None) -> bool:
        dialog = DownloadDialog(self, self.settings, save=self.save, options=options)
        dialog.start()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.message = dialog.message
            self.accept()
            return True
        return False

    # ------------------------------------------------------------ (b) a file on disk
    def _file_section(self) -> QGroupBox:
        box, inner = _section("Use a GGUF file you already have",
                              "Any GGUF chat model works; its header is read first to say what it is and whether it fits in memory.")
        self.open_button = QPushButton("Open a GGUF file…", objectName="openGguf")
        self.open_button.clicked.connect(self.browse_file)
        # A text browser, not a label: a word-wrapped rich-text label with a table gets clipped.
        self.file_info = QTextBrowser(objectName="ggufInfo")
        self.file_info.setMinimumHeight(170)
        self.file_info.hide()
        self.use_file_button = QPushButton("Use this model", objectName="useGguf")
        self.use_file_button.clicked.connect(self.use_file)
        self.use_file_button.setEnabled(False)
        inner.addWidget(self.file_info)
        inner.addLayout(_row(self.open_button, self.use_file_button))
        return box

    def browse_file(self) -> None:
        start = str(Path(self.settings.model_path).parent) if self.settings.model_path else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Open a GGUF model", start, GGUF_FILTER)
        if name:
            self.inspect_file(name)

    def inspect_file(self, path: str | Path) -> bool:
        """Read the header and show facts, warnings and the memory verdict; False (with the reason
        shown) for anything that is not a readable GGUF model."""
        from scallop_curator.hub.gguf_info import GGUFProblem, read_gguf_info
        from scallop_curator.hub.memory_estimate import estimate_memory

        self.inspected = None
        self.use_file_button.setEnabled(False)
        self.file_info.show()
        try:
            info = read_gguf_info(path)
        except GGUFProblem as problem:
            self.file_info.setMinimumHeight(60)
            self.file_info.setHtml(f'<p style="{ERROR_STYLE}">Cannot use this file. {html.escape(str(problem))}</p>')
            return False
        estimate = estimate_memory(info, self.settings.engine.n_ctx, gpu_layers=self.settings.engine.n_gpu_layers)
        rows = "".join(f"<tr><td><b>{html.escape(label)}</b>&nbsp;&nbsp;</td><td>{html.escape(value)}</td></tr>"
                       for label, value in info.facts())
        memory_style = f' style="{WARNING_STYLE}"' if estimate.is_warning else ""
        rows += (f"<tr><td><b>Memory</b>&nbsp;&nbsp;</td><td{memory_style}>"
                 f"{html.escape(estimate.verdict)}</td></tr>")
        if estimate.gpu_verdict:
            rows += f"<tr><td><b>GPU</b>&nbsp;&nbsp;</td><td>{html.escape(estimate.gpu_verdict)}</td></tr>"
        warnings = "".join(f'<p style="{WARNING_STYLE}">⚠ {html.escape(w)}</p>' for w in info.warnings)
        self.file_info.setMinimumHeight(170)
        self.file_info.setHtml(f"{warnings}<table>{rows}</table>")  # warnings first: they matter most
        self.inspected = Path(path)
        self.use_file_button.setEnabled(True)
        return True

    def use_file(self) -> None:
        if self.inspected is None:
            return
        path = self.inspected.resolve()
        self._choose("file", f"Using {path.name}", model_path=str(path))

    # ------------------------------------------------------------ (c) a server
    def _server_section(self) -> QGroupBox:
        box, inner = _section("Connect to a server",
                              "An OpenAI-compatible server (llama.cpp server, LM Studio, vLLM, Ollama…) on this "
                              "computer or your network runs the model instead.")
        form = QFormLayout()
        self.server_url = QLineEdit(self.settings.server_url or "", objectName="serverUrl")
        self.server_url.setPlaceholderText("http://127.0.0.1:8080/v1")
        self.server_key = QLineEdit(self.settings.server_api_key or "", objectName="serverKey")
        self.server_key.setPlaceholderText("optional")
        self.server_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.server_concurrency = QSpinBox(objectName="serverConcurrency")
        self.server_concurrency.setRange(1, 64)
        self.server_concurrency.setValue(self.settings.server_concurrency)
        self.server_concurrency.setToolTip("How many turns are sent to the server at the same time")
        self.server_model = QLineEdit(self.settings.server_model or "", objectName="serverModel")
        self.server_model.setPlaceholderText("optional: the first model the server lists")
        form.addRow("Address", self.server_url)
        form.addRow("API key", self.server_key)
        form.addRow("Model", self.server_model)
        form.addRow("Requests at a time", self.server_concurrency)
        inner.addLayout(form)
        self.server_status = QLabel("", objectName="serverStatus")
        self.server_status.setWordWrap(True)
        self.server_status.setTextFormat(Qt.TextFormat.PlainText)
        inner.addWidget(self.server_status)
        self.check_button = QPushButton("Check", objectName="serverCheck")
        self.check_button.setToolTip("Ask the server whether it answers")
        self.check_button.clicked.connect(self.check_server)
        self.check_button.setVisible(server_client_class() is not None)
        self.use_server_button = QPushButton("Use this server", objectName="useServer")
        self.use_server_button.clicked.connect(self.use_server)
        inner.addLayout(_row(self.check_button, self.use_server_button))
        return box

    def _server_settings(self) -> Settings:
        draft = self.settings.model_copy(deep=True)
        draft.server_url = clean_server_url(self.server_url.text())
        draft.server_api_key = self.server_key.text().strip() or None
        draft.server_model = self.server_model.text().strip() or None
        draft.server_concurrency = self.server_concurrency.value()
        return draft

    def _server_error(self, message: str) -> None:
        self.server_status.setStyleSheet(ERROR_STYLE)
        self.server_status.setText(message)

    def check_server(self) -> None:
        problem = server_url_problem(self.server_url.text())
        if problem:
            self._server_error(problem)
            return
        if self._checking:
            return
        self._checking = True
        self.check_button.setEnabled(False)
        self.server_status.setStyleSheet("")
        self.server_status.setText("Checking…")
        draft, relay = self._server_settings(), self._relay

        def work() -> None:
            try:
                models = check_server(draft)
            except Exception as error:  # noqa: BLE001 - the check's answer, shown to the user
                _emit(relay, "failed", str(error) or type(error).__name__, False)
            else:
                _emit(relay, "succeeded", models)

        threading.Thread(target=work, name="server-check", daemon=True).start()

    def _check_passed(self, models: Any) -> None:
        self._checking = False
        self.check_button.setEnabled(True)
        self.server_status.setStyleSheet("")
        listed = f"; it serves: {', '.join(models)}" if models else ""
        self.server_status.setText(f"The server answers{listed}.")

    def _check_failed(self, message: str, _cancelled: bool) -> None:
        self._checking = False
        self.check_button.setEnabled(True)
        self._server_error(f"The server did not answer as expected: {message}")

    def use_server(self) -> None:
        problem = server_url_problem(self.server_url.text())
        if problem:
            self._server_error(problem)
            return
        draft = self._server_settings()
        self._choose("server", f"Using the server at {draft.server_url}", server_url=draft.server_url,
                     server_api_key=draft.server_api_key, server_concurrency=draft.server_concurrency,
                     server_model=draft.server_model)

    # ------------------------------------------------------------ (d) the demo model
    def use_demo(self) -> None:
        demo = demo_model_path()
        if demo is None:
            return
        self._choose("demo", "Using the small demo model; its memories are poor", model_path=str(demo))

    # ------------------------------------------------------------ common
    def _choose(self, source: str, message: str, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self.settings, name, value)
        self.settings.model_source = source  # type: ignore[assignment]
        self.settings.first_run_done = True
        if self.save:
            self.settings.save()
        self.message = message
        log.info("model source: %s", describe_source(self.settings))
        self.accept()


# -- hooks for the main window ----------------------------------------------------------------


def _refresh(window: Any, message: str) -> None:
    update = getattr(window, "_update_status", None)
    if callable(update):
        update()
    notify = getattr(window, "notify", None)
    if message and callable(notify):
        notify(message, 8000)


def open_model_setup(window: Any) -> bool:
    """Model → Choose model…: True when a model was chosen (settings saved, status refreshed)."""
    dialog = ModelSetupDialog(window, window.settings)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    _refresh(window, dialog.message)
    return True


def maybe_run_first_time_setup(window: Any) -> bool:
    """At start: ask how to get a model when none is usable and the user has never answered."""
    if not needs_model_setup(window.settings):
        return False
    dialog = ModelSetupDialog(window, window.settings, first_run=True)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    _refresh(window, dialog.message)
    return True
