"""Find where in a message a proposed fact comes from, so the reader can highlight it.

Facts carry no quote of their source, so the evidence is the sentence (or line) of the message
that shares the most words with the fact."""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"\w{3,}")


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def evidence_span(message: str, fact: str) -> tuple[int, int] | None:
    """(start, end) of the sentence of ``message`` that best supports ``fact``; None if no word is shared."""
    wanted = _words(fact)
    best: tuple[int, int, int] | None = None  # score, start, end
    for match in _SENTENCE.finditer(message):
        score = len(wanted & _words(match.group()))
        if score and (best is None or score > best[0]):
            start = match.start() + len(match.group()) - len(match.group().lstrip())
            best = (score, start, match.end())
    return (best[1], best[2]) if best else None
