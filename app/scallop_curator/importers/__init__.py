"""Chat export importers: one module per format, chosen by looking at the content.

Add a format by writing a module with an :class:`Importer` and listing it in ``IMPORTERS``.
Order matters only where shapes overlap: the more specific formats come first.
"""

from __future__ import annotations

import logging
from pathlib import Path

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
from scallop_curator.importers.chatgpt import ChatGPTImporter
from scallop_curator.importers.claude import ClaudeImporter
from scallop_curator.importers.gemini import GeminiImporter
from scallop_curator.importers.lmstudio import LMStudioImporter
from scallop_curator.importers.locomo import LoCoMoImporter
from scallop_curator.importers.named_transcript import NamedTranscriptImporter
from scallop_curator.importers.openai_messages import OpenAIMessagesImporter
from scallop_curator.importers.openwebui import OpenWebUIImporter
from scallop_curator.importers.plain_text import PlainTextImporter
from scallop_curator.importers.scallopbot import ScallopBotImporter
from scallop_curator.importers.sharegpt import ShareGPTImporter
from scallop_curator.importers.sillytavern import SillyTavernImporter

log = logging.getLogger("importers")

IMPORTERS: list[Importer] = [
    ChatGPTImporter(),
    ClaudeImporter(),
    ScallopBotImporter(),
    OpenWebUIImporter(),
    SillyTavernImporter(),
    LMStudioImporter(),
    GeminiImporter(),
    LoCoMoImporter(),
    ShareGPTImporter(),
    OpenAIMessagesImporter(),
    PlainTextImporter(),
    NamedTranscriptImporter(),  # after role transcripts: 'User:'/'Assistant:' lines are roles, not names
]

# What a broken file probably was, from words in its first bytes (only used to phrase the error).
SIGNATURES: list[tuple[str, str]] = [
    ('"mapping"', ChatGPTImporter.name),
    ("jsonData", ChatGPTImporter.name),
    ('"chat_messages"', ClaudeImporter.name),
    ('"currentId"', OpenWebUIImporter.name),
    ('"is_user"', SillyTavernImporter.name),
    ('"currentlySelected"', LMStudioImporter.name),
    ('"Gemini Apps"', GeminiImporter.name),
    ('"dia_id"', LoCoMoImporter.name),
    ('"conversations"', ShareGPTImporter.name),
    ('"messages"', OpenAIMessagesImporter.name),
]

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
    for importer in IMPORTERS:
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
