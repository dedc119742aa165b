"""The model's name in the status bar. A chosen file or a server is named at once; "the model
you have" (no file chosen) means looking in the Hugging Face cache, which imports huggingface-hub
(about half a second): that happens on a background thread, so neither start-up nor a settings
change waits for it.

Signals:
    named(object, str): the settings key the name was found for, and the name.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from scallop_curator.ui.relay import UiRelay

log = logging.getLogger("ui")

Key = tuple[object, ...]


def name_of(model: Path | None) -> str:
    from scallop_curator.extraction.models_on_disk import describe

    if model is None:
        return "no model chosen"
    name = describe(model)
    return name if model.is_file() else f"{name} (file not found)"  # moved or deleted since chosen


def _warm_header(model: Path) -> None:
    """What the first extraction does on the UI thread before it starts, done here first: the
    header read and cached, and the modules its memory check and model spec import (the ``gguf``
    package brings numpy: 150 ms) loaded, so pressing Ctrl+E does not stall the window."""
    try:
        from scallop_curator.domain.clock import system_zone_name
        from scallop_curator.extraction import client, model_file, models_on_disk, prompt  # noqa: F401
        from scallop_curator.hub.gguf_info import read_gguf_info
        from scallop_curator.hub.memory_estimate import estimate_memory

        system_zone_name()  # tzlocal loaded and the zone read: the plan asks for it per conversation
        estimate_memory(read_gguf_info(model), 4096)
    except Exception:  # noqa: BLE001 - a warm-up only: the extraction reads it again and says what is wrong
        pass


class ModelNamer(UiRelay):
    named = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def name(self, key: Key, model_path: str | None) -> str | None:
        """The name now when it is cheap; else None, and ``named`` brings it later."""
        if model_path:
            # The first extraction checks the header (memory estimate): read it now, off the UI thread.
            threading.Thread(target=_warm_header, args=(Path(model_path),), name="gguf-header", daemon=True).start()
            return name_of(Path(model_path))
        threading.Thread(target=self._look_up, args=(key,), name="model-name", daemon=True).start()
        return None

    def _look_up(self, key: Key) -> None:
        try:
            from scallop_curator.extraction.models_on_disk import resolve_model

            model = resolve_model(None)
            name = name_of(model)
        except Exception:  # noqa: BLE001 - a label must not take the window down; logged for the bug report
            log.exception("could not look for a downloaded model")
            model, name = None, "no model found"
        self.post("named", key, name)
        if model is not None:
            _warm_header(model)
