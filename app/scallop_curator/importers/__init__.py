"""Chat export importers: one module per format, chosen by looking at the content.

Add a format by writing a module with an :class:`Importer` and listing it in ``FORMATS``.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from scallop_curator.importers.base import (
    ImportedFile,
    Importer,
    ImportOptions,
    ImportProblem,
    Source,
    make_storable,
    open_source,
    read_source,
)

log = logging.getLogger("importers")

#: Every format, in the order detection tries them: (module, class). Order matters only where shapes
#: overlap: the more specific formats come first. A module is imported only when detection reaches it
#: (a ChatGPT export, tried first, loads none of the others: they were a tenth of `import`'s start-up).
FORMATS: list[tuple[str, str]] = [
    ("chatgpt", "ChatGPTImporter"),
    ("claude", "ClaudeImporter"),
    ("scallopbot", "ScallopBotImporter"),
    ("openwebui", "OpenWebUIImporter"),
    ("sillytavern", "SillyTavernImporter"),
    ("lmstudio", "LMStudioImporter"),
    ("gemini", "GeminiImporter"),
    ("locomo", "LoCoMoImporter"),
    ("sharegpt", "ShareGPTImporter"),
    ("openai_messages", "OpenAIMessagesImporter"),
    ("plain_text", "PlainTextImporter"),
    ("named_transcript", "NamedTranscriptImporter"),  # after role transcripts: 'User:'/'Assistant:' lines are roles, not names
]
_LOADED: dict[int, Importer] = {}

# What a broken file probably was, from words in its first bytes (only used to phrase the error).
SIGNATURES: list[tuple[str, str]] = [
    ('"mapping"', "ChatGPT export"),
    ("jsonData", "ChatGPT export"),
    ('"chat_messages"', "Claude export"),
    ('"currentId"', "Open WebUI export"),
    ('"is_user"', "SillyTavern chat"),
    ('"currentlySelected"', "LM Studio conversation"),
    ('"Gemini Apps"', "Gemini activity (Google Takeout)"),
    ('"dia_id"', "multi-speaker log (LoCoMo)"),
    ('"conversations"', "ShareGPT file"),
    ('"messages"', "OpenAI messages file"),
]


def _importer(index: int) -> Importer:
    if index not in _LOADED:
        module, name = FORMATS[index]
        _LOADED[index] = getattr(importlib.import_module(f"scallop_curator.importers.{module}"), name)()
    return _LOADED[index]


def __getattr__(name: str) -> Any:
    """``IMPORTERS``, every format's importer in detection order, loads them all."""
    if name == "IMPORTERS":
        return [_importer(i) for i in range(len(FORMATS))]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "IMPORTERS",
    "ImportOptions",
    "ImportProblem",
    "ImportedFile",
    "Importer",
    "Source",
    "detect",
    "load_export",
    "open_source",
    "read_source",
]


def detect(source: Source) -> Importer | None:
    for index in range(len(FORMATS)):
        importer = _importer(index)
        try:
            if importer.detect(source):
                return importer
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):
            continue
    return None


def _guess(source: Source) -> str | None:
    for needle, name in SIGNATURES:
        if needle in source.peek_text:
            return name
    return None


def load_export(path: str | Path, options: ImportOptions | None = None) -> ImportedFile:
    """Read one export (file, zip or folder) completely; raises :class:`ImportProblem` with a plain message."""
    path = Path(path)
    importer: Importer | None = None
    try:
        with open_source(path, options) as source:
            importer = detect(source)
            if importer is None:
                guess = _guess(source) if source.json_error else None
                if guess:
                    raise source.problem(f"It looks like a {guess}, but {source.json_error}.", guess)
                hint = source.shape_hint()
                raise source.problem("This file is not a chat export we can read" + (f" ({hint})." if hint else "."))
            result = importer.parse(source)
            make_storable(result)
    except ImportProblem as problem:
        if problem.format_name is None and importer is not None:
            raise ImportProblem(problem.path, problem.detail, importer.name) from problem
        raise
    except (MemoryError, RecursionError) as error:
        raise ImportProblem(path, "The export is too large or too deeply nested to read.",
                            importer.name if importer else None) from error
    except Exception as error:  # noqa: BLE001 - a safety net: the user gets a message, never a traceback
        log.exception("importer crashed on %s", path)
        raise ImportProblem(
            path, f"Reading it failed unexpectedly ({type(error).__name__}: {error}).",
            importer.name if importer else None,
        ) from error
    if not result.conversations and not result.skipped:
        raise ImportProblem(path, f"This {importer.name} holds no conversations.", importer.name)
    if not result.conversations:
        first = result.skipped[0]
        raise ImportProblem(
            path,
            f"None of the {len(result.skipped)} conversations in this {importer.name} could be read; "
            f"the first, {first[0]!r}, {first[1]}",
            importer.name,
        )
    return result
