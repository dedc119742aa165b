"""The fact schema of scallopmemory-1, and the bounded JSON schema used to constrain output.

The bounds matter: with a grammar, output cut by ``max_tokens`` is invalid JSON, so every
string and list is capped such that the longest answer the grammar allows still fits.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from scallop_curator.domain.fact_fields import EDITABLE_FIELDS, FACT_FIELDS  # noqa: F401  # re-exported

Category = Literal["personal", "work", "location", "preference", "relationship", "project", "general"]
Action = Literal["fact", "forget", "correction", "preference_update"]

CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
ACTIONS: tuple[str, ...] = Action.__args__  # type: ignore[attr-defined]

MAX_FACTS = 4
MAX_CONTENT = 100
MAX_SUBJECT = 40
MAX_OLD_VALUE = 80
MAX_REPLACES = 40


class Fact(BaseModel):
    """One durable fact as the model writes it."""

    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    category: Category
    confidence: float = Field(ge=0.0, le=1.0)
    action: Action = "fact"
    old_value: str | None = Field(default=None, max_length=MAX_OLD_VALUE)
    replaces: str | None = Field(default=None, max_length=MAX_REPLACES)


if tuple(Fact.model_fields) != FACT_FIELDS:  # the store reads the names without importing this module
    raise RuntimeError(f"Fact's fields {tuple(Fact.model_fields)} differ from fact_fields.FACT_FIELDS {FACT_FIELDS}")


class FactList(BaseModel):
    """The whole answer for one turn; an empty list means nothing worth remembering."""

    facts: list[Fact] = Field(default_factory=list, max_length=MAX_FACTS)


def output_json_schema() -> dict:
    """JSON schema for constrained decoding, generated from the pydantic model.

    Pydantic writes ``anyOf`` for optional strings and ``$defs`` references; both are
    understood by llama.cpp's schema-to-grammar converter. Titles are dropped to keep
    the grammar small; every property is required so the answer shape never varies.
    """
    schema = FactList.model_json_schema()

    def clean(node: object) -> None:
        if isinstance(node, dict):
            node.pop("title", None)
            node.pop("default", None)
            node.pop("description", None)
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"].keys())
                node["additionalProperties"] = False
            for value in node.values():
                clean(value)
        elif isinstance(node, list):
            for value in node:
                clean(value)

    clean(schema)
    return schema
