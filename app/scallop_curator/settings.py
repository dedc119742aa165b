"""The one settings model: typed, versioned, stored as JSON in the platform config directory."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from scallop_curator import paths

log = logging.getLogger("settings")

SCHEMA_VERSION = 1


def _default_threads() -> int:
    return max(1, min(8, (os.cpu_count() or 2)))


class EngineSettings(BaseModel):
    """How llama.cpp runs the model; defaults suit a laptop CPU."""

    n_ctx: int = Field(default=8192, ge=1024, le=131072)
    n_threads: int = Field(default_factory=_default_threads, ge=1, le=256)
    n_batch: int = Field(default=512, ge=16, le=8192)
    n_gpu_layers: int = Field(default=0, ge=-1, le=1000)
    seed: int = 0


class Settings(BaseModel):
    schema_version: int = SCHEMA_VERSION
    model_path: str | None = None
    prompt_path: str | None = Field(default=None, description="A user's own prompt file, replacing the bundled one.")
    prompt_profile: str = Field(default="compact", description="The bundled prompt profile (compact, scallopbot) when no prompt_path.")
    engine: EngineSettings = Field(default_factory=EngineSettings)
    last_export: str | None = None
    # Where the model comes from, as the user chose it in "Choose a model" (None: never chosen;
    # then resolve_model falls back to a downloaded scallopmemory-1, else the demo model).
    model_source: Literal["hub", "file", "server", "demo"] | None = None
    server_url: str | None = Field(default=None, description="An OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    server_api_key: str | None = None
    server_model: str | None = Field(default=None, description="A model id the server lists; None: the first it lists.")
    server_concurrency: int = Field(default=4, ge=1, le=64)
    first_run_done: bool = Field(default=False, description="The user has answered the first-run model question.")

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or paths.settings_path()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as error:
            log.warning("settings at %s unreadable (%s); using defaults", path, error)
            return cls()
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            log.warning("settings at %s invalid (%s); using defaults", path, error)
            return cls()

    def save(self, path: Path | None = None) -> None:
        path = path or paths.settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        os.replace(tmp, path)
