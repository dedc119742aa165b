"""Facts about a GGUF file that we can learn without loading it."""

from __future__ import annotations

import hashlib
from pathlib import Path

GGUF_MAGIC = b"GGUF"


class ModelFileProblem(Exception):
    """A model file that cannot be used, phrased for the user."""


def check_gguf(path: str | Path) -> Path:
    file = Path(path)
    if not file.exists():
        raise ModelFileProblem(f"The model file {file} does not exist.")
    if not file.is_file():
        raise ModelFileProblem(f"{file} is a folder, not a GGUF model file.")
    try:
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise ModelFileProblem(f"The model file {file} cannot be read: {error.strerror or error}.") from error
    if magic != GGUF_MAGIC:
        raise ModelFileProblem(f"{file} is not a GGUF model file (it does not start with the GGUF signature).")
    return file


def fingerprint(path: str | Path) -> str:
    """A cheap identity for a multi-GB file: size plus a hash of its first and last MiB."""
    file = Path(path)
    size = file.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with file.open("rb") as handle:
        digest.update(handle.read(1 << 20))
        handle.seek(max(0, size - (1 << 20)))
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]
