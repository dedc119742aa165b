"""The GBNF grammar that constrains the model's answer, and the token budget it can never exceed.

llama.cpp's schema converter allows ``\\uXXXX`` escapes, raw control characters and numbers of
50 digits; each would let a valid answer grow past ``max_tokens`` and be cut into invalid JSON.
We narrow those rules, then size ``max_tokens`` from the longest answer the grammar admits.
"""

from __future__ import annotations

import json
import re

from scallop_curator.domain import facts

CHAR_RULE = 'char ::= [^"\\\\\\x00-\\x1F] | "\\\\" ["\\\\/bfnrt]'
CONFIDENCE_RULE = 'number ::= ("0" ("." [0-9] [0-9]?)? | "1" ("." "0" "0"?)?) space'

# Every string character is at most 4 UTF-8 bytes, and every token the grammar lets through
# decodes to at least one byte: the byte length of the longest answer bounds its tokens.
_MAX_CHAR_BYTES = 4
_FACT_OVERHEAD_BYTES = len(
    json.dumps(
        {"content": "", "subject": "", "category": "relationship", "confidence": 0.99,
         "action": "preference_update", "old_value": "", "replaces": ""}
    )
) + 16  # optional spaces around every ':' and ','
_STRING_CHARS = facts.MAX_CONTENT + facts.MAX_SUBJECT + facts.MAX_OLD_VALUE + facts.MAX_REPLACES


_TRIGGERS_BYTES = len(', "proactive_triggers": [ ]') + 4


def answer_json_schema(answer: str = "facts") -> dict:
    """The answer object a profile asks for. ``facts+triggers`` (ScallopBot's shape) adds
    ``proactive_triggers`` after the facts, allowed only empty: this app keeps no triggers, but
    the model was trained to write the key, and the raw output keeps it."""
    schema = facts.output_json_schema()
    if answer == "facts+triggers":
        schema["properties"]["proactive_triggers"] = {"type": "array", "maxItems": 0}
        schema["required"] = [*schema["required"], "proactive_triggers"]
    return schema


def max_answer_tokens(answer: str = "facts") -> int:
    per_fact = _STRING_CHARS * _MAX_CHAR_BYTES + _FACT_OVERHEAD_BYTES
    extra = _TRIGGERS_BYTES if answer == "facts+triggers" else 0
    return facts.MAX_FACTS * per_fact + len('{ "facts": [ ] }') + facts.MAX_FACTS * 2 + extra


def fact_grammar(answer: str = "facts") -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(json.dumps(answer_json_schema(answer)))
    gbnf, chars = re.subn(r"^char ::= .*$", lambda _: CHAR_RULE, gbnf, flags=re.M)
    gbnf, numbers = re.subn(r"^number ::= .*$", lambda _: CONFIDENCE_RULE, gbnf, flags=re.M)
    if chars != 1 or numbers != 1:
        raise RuntimeError("llama.cpp's schema grammar changed shape; the output bound no longer holds")
    if answer == "facts+triggers":
        # The converter ignores maxItems 0 and admits any array: allow exactly "[]".
        gbnf, triggers = re.subn(r"^(proactive-triggers-kv ::= .*? space \":\" space) \S+$",
                                 lambda m: m.group(1) + ' "[" space "]" space', gbnf, flags=re.M)
        if triggers != 1:
            raise RuntimeError("llama.cpp's schema grammar changed shape; proactive_triggers is no longer bounded")
    return gbnf
