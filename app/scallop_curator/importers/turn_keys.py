"""Turn keys for formats without message ids.

Numbering turns by position breaks as soon as a turn is inserted (every later number shifts), so a
transcript's turn is keyed by its speaker, its text and the key of the turn before it. The store
does not rely on these keys alone: it aligns re-imports by content and order (``store.turn_merge``).
"""

from __future__ import annotations

import hashlib


def content_key(speaker: str, text: str, previous: str = "") -> str:
    basis = "\x1f".join((speaker, text, previous))
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:16]
