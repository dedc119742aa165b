"""Where the model comes from when the user has not picked a file: the Hub cache, then the demo."""

from __future__ import annotations

from pathlib import Path

from scallop_curator.extraction.demo_model import demo_model_path

HUB_REPO = "tashfene/scallopmemory-1"
HUB_FILE = "scallopmemory-1.q5_k_m.gguf"


def cached_scallopmemory() -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache

        from scallop_curator.hub.download import hub_cache_dir
    except ImportError:
        return None
    # The cache folder from the environment now (HF_HOME, HF_HUB_CACHE), as the download uses:
    # huggingface-hub's own default is fixed when it is first imported.
    found = try_to_load_from_cache(HUB_REPO, HUB_FILE, cache_dir=str(hub_cache_dir()))
    return Path(found) if isinstance(found, str) else None


def resolve_model(chosen: str | None) -> Path | None:
    """The user's choice, else a downloaded scallopmemory-1, else the bundled demo model."""
    if chosen:
        return Path(chosen)
    return cached_scallopmemory() or demo_model_path()


def describe(path: Path) -> str:
    if path.name == "SmolLM2-135M-Instruct.Q4_1.gguf":
        return "SmolLM2-135M demo model"
    return path.stem
