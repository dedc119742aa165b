"""Turn the model's raw text into validated facts, or a recorded parse failure."""

from __future__ import annotations

import json

from pydantic import ValidationError

from scallop_curator.domain.facts import Fact, FactList
from scallop_curator.extraction.chat_template import strip_thinking


class ParseFailure(Exception):
    pass


def parse_facts(raw: str) -> list[Fact]:
    text = strip_thinking(raw)
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ParseFailure("the model wrote no JSON" if text else "the model wrote nothing")
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as error:
        raise ParseFailure(f"the model's JSON is incomplete or broken ({error.msg} at character {error.pos})") from error
    if isinstance(value, list):
        value = {"facts": value}
    _clamp_confidence(value)
    try:
        facts = FactList.model_validate(value).facts
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ParseFailure(f"the model's answer does not fit the fact schema ({where}: {first['msg']})") from error
    return _distinct(facts)


def _distinct(facts: list[Fact]) -> list[Fact]:
    """Small models repeat a fact within one answer; the reviewer should see it once."""
    seen: set[tuple[str, str, str]] = set()
    kept: list[Fact] = []
    for fact in facts:
        key = (" ".join(fact.content.lower().split()), fact.subject.lower(), fact.action)
        if key not in seen:
            seen.add(key)
            kept.append(fact)
    return kept


def _clamp_confidence(value: object) -> None:
    """Servers turn the schema into a grammar that ignores number bounds, so a confidence of 1.2
    can come back; it means "very sure", not "discard every fact of this turn"."""
    facts = value.get("facts") if isinstance(value, dict) else None
    for fact in facts if isinstance(facts, list) else []:
        confidence = fact.get("confidence") if isinstance(fact, dict) else None
        if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
            fact["confidence"] = min(max(float(confidence), 0.0), 1.0)
