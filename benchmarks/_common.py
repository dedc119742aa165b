"""Shared set-up for the benchmarks: the sample export's cases and the demo model."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "conversations.json"


def sample_cases():  # type: ignore[no-untyped-def]
    from scallop_curator.importers import load_export

    return [case for c in load_export(SAMPLE).conversations for case in c.extraction_cases()]


def model_path(argv: list[str]) -> Path:
    from scallop_curator.extraction.demo_model import demo_model_path

    if len(argv) > 1:
        return Path(argv[1])
    path = demo_model_path()
    if path is None:
        sys.exit("no model: pass a GGUF path, or run packaging/setup.sh to get the demo model")
    return path


def quiet_home() -> None:
    os.environ.setdefault("SCALLOP_CURATOR_HOME", str(Path("/tmp") / f"scallop-bench-{os.getpid()}"))
