"""Edit → Settings…: how the model runs (threads, context, GPU layers, batch), the prompt file, and
where the model comes from. Works on a copy of the settings: OK copies it back and saves,
Cancel changes nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.extraction.models_on_disk import resolve_model
from scallop_curator.extraction.prompt import PromptError, load_prompt
from scallop_curator import keychain
from scallop_curator.settings import EngineSettings, Settings, SettingsError
from scallop_curator.ui.extraction_settings import PROFILE_LABELS, accept_extraction, extraction_boxes
from scallop_curator.ui.model_setup import (
    ERROR_STYLE,
    WARNING_STYLE,
    ModelSetupDialog,
    describe_source,
)

PROMPT_FILTER = "Prompt files (*.txt);;All files (*)"


def _spin(name: str, low: int, high: int, value: int, step: int = 1, tip: str = "") -> QSpinBox:
    spin = QSpinBox(objectName=name)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setToolTip(tip)
    spin.setAccelerated(True)
    return spin


def _limits(field: str) -> tuple[int, int]:
    """The ge/le bounds of an EngineSettings field, so the spin boxes never offer an invalid value."""
    low, high = 0, 1_000_000
    for item in EngineSettings.model_fields[field].metadata:
        low = getattr(item, "ge", low)
        high = getattr(item, "le", high)
    return low, high


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None, settings: Settings, save: bool = True) -> None:
        super().__init__(parent)
        self.settings = settings  # changed only by OK
        self.draft = settings.model_copy(deep=True)
        self.save = save
        self.message = ""
        self._gguf: Any = None  # GGUFInfo of the local model, read once for the memory estimate
        self._gguf_for: str | None = None
        self.setWindowTitle("Settings")
        self.setMinimumWidth(980)  # two columns
        layout = QVBoxLayout(self)
        # Two columns, so the dialog fits a laptop screen's height: the model, then the extraction.
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(self._model_box())
        left.addWidget(self._engine_box())
        left.addWidget(self._prompt_box())
        left.addStretch(1)
        extraction_boxes(self, right)
        right.addStretch(1)
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        layout.addLayout(columns)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout.addWidget(buttons)
        self._update_memory()

    # ------------------------------------------------------------ model
    def _model_box(self) -> QGroupBox:
        box = QGroupBox("Model")
        column = QVBoxLayout(box)
        row = QHBoxLayout()
        self.model_label = QLabel(describe_source(self.draft), objectName="modelSource")
        self.model_label.setWordWrap(True)
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)
        self.change_button = QPushButton("Change…", objectName="changeModel")
        self.change_button.clicked.connect(self.change_model)
        row.addWidget(self.model_label, 1)
        row.addWidget(self.change_button)
        column.addLayout(row)
        # Where the server's API key is kept: the keychain, else this session only, unless the user
        # accepts plain text in settings.json.
        self.key_storage = QLabel("", objectName="keyStorage")
        self.key_storage.setWordWrap(True)
        self.key_storage.setTextFormat(Qt.TextFormat.PlainText)
        self.key_in_file = QCheckBox("Store the server key in the settings file (plain text)", objectName="keyInFile")
        self.key_in_file.setChecked(self.draft.server_api_key_in_file)
        self.key_in_file.setToolTip("Anyone who can read your settings file can then read the key.")
        self.key_in_file.toggled.connect(self._update_key_storage)
        column.addWidget(self.key_storage)
        column.addWidget(self.key_in_file)
        self._update_key_storage()
        return box

    def _update_key_storage(self) -> None:
        if self.key_in_file.isChecked():
            text = "The server key is stored in the settings file, in plain text."
        elif keychain.available():
            text = f"The server key is stored in: {keychain.describe().lower()}."
        else:
            text = (f"{keychain.describe()}: the server key is kept for this session only "
                    "and must be entered again after a restart.")
        self.key_storage.setText(text)

    def change_model(self) -> None:
        dialog = ModelSetupDialog(self, self.draft, save=False)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.message = dialog.message
            self.model_label.setText(describe_source(self.draft))
            self._update_memory()
            self._update_key_storage()

    # ------------------------------------------------------------ engine
    def _engine_box(self) -> QGroupBox:
        box = QGroupBox("How the model runs")
        form = QFormLayout(box)
        engine = self.draft.engine
        cores = os.cpu_count() or 1
        self.threads = _spin("threads", *_limits("n_threads"), engine.n_threads,
                             tip=f"CPU threads for the model; this computer has {cores}. More than that slows it down.")
        self.threads.setMaximum(max(cores * 2, engine.n_threads, 1))
        self.context = _spin("context", *_limits("n_ctx"), engine.n_ctx, step=1024,
                             tip="Tokens the model sees at once. Longer conversations need more; memory grows with it.")
        self.context.setSuffix(" tokens")
        self.gpu_layers = _spin("gpuLayers", *_limits("n_gpu_layers"), engine.n_gpu_layers,
                                tip="Layers put on the GPU: 0 runs on the CPU only; the lowest value puts as many "
                                    "as fit in the GPU's free memory (needs a GPU build of llama.cpp; none without).")
        self.gpu_layers.setSpecialValueText("as many as fit")
        self.batch = _spin("batch", *_limits("n_batch"), engine.n_batch, step=64,
                           tip="Tokens read per step while taking in the prompt; larger is faster and uses more memory.")
        self.memory_label = QLabel("", objectName="memoryVerdict")
        self.memory_label.setWordWrap(True)
        self.memory_label.setTextFormat(Qt.TextFormat.PlainText)
        defaults = QPushButton("Laptop defaults", objectName="engineDefaults")
        defaults.setToolTip("Put back the defaults, which suit a laptop CPU")
        defaults.clicked.connect(self.restore_defaults)
        form.addRow("CPU threads", self.threads)
        form.addRow("Context size", self.context)
        form.addRow("GPU layers", self.gpu_layers)
        form.addRow("Batch size", self.batch)
        form.addRow("", self.memory_label)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(defaults)
        form.addRow(row)
        self.context.valueChanged.connect(self._update_memory)
        self.gpu_layers.valueChanged.connect(self._update_memory)
        return box

    def restore_defaults(self) -> None:
        engine = EngineSettings()
        self.threads.setValue(engine.n_threads)
        self.context.setValue(engine.n_ctx)
        self.gpu_layers.setValue(engine.n_gpu_layers)
        self.batch.setValue(engine.n_batch)

    def _update_memory(self) -> None:
        """Will the local model fit with this context size? (Not for a server.)"""
        if self.draft.model_source == "server":
            self.memory_label.setText("The server runs the model: these settings are not used for it.")
            self.memory_label.setStyleSheet("")
            return
        model = resolve_model(self.draft.model_path)
        if model is None or not model.is_file():
            self.memory_label.clear()
            return
        from scallop_curator.hub.gguf_info import GGUFProblem, read_gguf_info
        from scallop_curator.hub.memory_estimate import estimate_memory

        if self._gguf_for != str(model):
            self._gguf_for = str(model)
            try:
                self._gguf = read_gguf_info(model)
            except GGUFProblem:
                self._gguf = None
        if self._gguf is None:
            self.memory_label.clear()
            return
        estimate = estimate_memory(self._gguf, self.context.value(), gpu_layers=self.gpu_layers.value())
        gpu = f"\nGPU: {estimate.gpu_verdict}" if estimate.gpu_verdict else ""
        self.memory_label.setText(f"Memory: {estimate.verdict}{gpu}")
        self.memory_label.setStyleSheet(WARNING_STYLE if estimate.is_warning else "")

    # ------------------------------------------------------------ prompt
    def _prompt_box(self) -> QGroupBox:
        box = QGroupBox("Extraction prompt")
        layout = QVBoxLayout(box)
        self.prompt_bundled = QRadioButton("The bundled prompt:", objectName="promptBundled")
        self.profile_combo = QComboBox(objectName="promptProfile")
        for name, label in PROFILE_LABELS.items():
            self.profile_combo.addItem(label, name)
        self.profile_combo.setCurrentIndex(max(self.profile_combo.findData(self.draft.prompt_profile), 0))
        self.profile_combo.activated.connect(lambda _i: self.prompt_bundled.setChecked(True))
        self.prompt_custom = QRadioButton("My own prompt file:", objectName="promptCustom")
        group = QButtonGroup(self)
        group.addButton(self.prompt_bundled)
        group.addButton(self.prompt_custom)
        self.prompt_path = QLineEdit(self.draft.prompt_path or "", objectName="promptPath")
        self.prompt_path.setPlaceholderText("a .txt file with a '=== user ===' line and {message}")
        browse = QPushButton("Browse…", objectName="promptBrowse")
        browse.clicked.connect(self.browse_prompt)
        row = QHBoxLayout()
        row.addWidget(self.prompt_custom)
        row.addWidget(self.prompt_path, 1)
        row.addWidget(browse)
        self.prompt_status = QLabel("", objectName="promptStatus")
        self.prompt_status.setWordWrap(True)
        self.prompt_status.setTextFormat(Qt.TextFormat.PlainText)
        bundled_row = QHBoxLayout()
        bundled_row.addWidget(self.prompt_bundled)
        bundled_row.addWidget(self.profile_combo, 1)
        layout.addLayout(bundled_row)
        layout.addLayout(row)
        layout.addWidget(self.prompt_status)
        (self.prompt_custom if self.draft.prompt_path else self.prompt_bundled).setChecked(True)
        self.prompt_path.textEdited.connect(lambda _text: self.prompt_custom.setChecked(True))
        return box

    def browse_prompt(self) -> None:
        start = self.prompt_path.text() or str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Choose a prompt file", start, PROMPT_FILTER)
        if name:
            self.prompt_path.setText(name)
            self.prompt_custom.setChecked(True)
            self._chosen_prompt()

    def _chosen_prompt(self) -> tuple[bool, str | None]:
        """(usable, path): the bundled prompt is None; a custom file must pass load_prompt."""
        if self.prompt_bundled.isChecked():
            self.prompt_status.clear()
            return True, None
        path = self.prompt_path.text().strip()
        if not path:
            self._prompt_error("Choose a prompt file, or use the bundled prompt.")
            return False, None
        try:
            prompt = load_prompt(path)
        except PromptError as problem:
            self._prompt_error(str(problem))
            return False, None
        self.prompt_status.setStyleSheet("")
        self.prompt_status.setText(f"Prompt {prompt.version}")
        return True, path

    def _prompt_error(self, message: str) -> None:
        self.prompt_status.setStyleSheet(ERROR_STYLE)
        self.prompt_status.setText(message)
        self.prompt_path.setFocus()

    # ------------------------------------------------------------ OK / Cancel
    def accept(self) -> None:
        usable, prompt_path = self._chosen_prompt()
        if not usable:
            return
        if not accept_extraction(self):
            return
        self.draft.prompt_path = prompt_path
        self.draft.prompt_profile = str(self.profile_combo.currentData())
        self.draft.engine = EngineSettings(
            n_ctx=self.context.value(), n_threads=self.threads.value(), n_batch=self.batch.value(),
            n_gpu_layers=self.gpu_layers.value(), seed=self.draft.engine.seed,
        )
        self.draft.server_api_key_in_file = self.key_in_file.isChecked()
        # Copy back field by field: the window keeps the same Settings object.
        for name in type(self.settings).model_fields:
            setattr(self.settings, name, getattr(self.draft, name))
        self.message = self.message or "Settings saved"
        if self.save:
            try:
                self.settings.save()
            except SettingsError as problem:  # used for this session, said plainly
                self.message = str(problem)
        super().accept()


def open_settings(window: Any) -> bool:
    """Edit → Settings…: True when saved (and the status bar refreshed)."""
    dialog = SettingsDialog(window, window.settings)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    update = getattr(window, "_update_status", None)
    if callable(update):
        update()
    notify = getattr(window, "notify", None)
    if callable(notify):
        notify(dialog.message, 5000)
    return True
