"""The output grammar, the token budget it guarantees, and parsing of whatever the model wrote."""

from __future__ import annotations

import json

import pytest

from scallop_curator.domain import facts
from scallop_curator.domain.facts import FactList
from scallop_curator.extraction.grammar import fact_grammar, max_answer_tokens
from scallop_curator.extraction.output import ParseFailure, parse_facts

FOUR_BYTES = "🐚"  # U+1F41A, four bytes in UTF-8


def test_grammar_parses_in_llama_cpp() -> None:
    from llama_cpp import LlamaGrammar

    gbnf = fact_grammar()
    grammar = LlamaGrammar.from_string(gbnf, verbose=False)
    assert grammar is not None
    # the narrowed rules are in: no \uXXXX escapes, a bounded confidence, at most one space
    assert 'char ::= [^"\\\\\\x00-\\x1F] | "\\\\" ["\\\\/bfnrt]' in gbnf
    assert "number ::= (\"0\"" in gbnf
    assert '"u"' not in gbnf and "[0-9a-fA-F]" not in gbnf
    assert "space ::= \" \"?" in gbnf


def _maximal_answer() -> str:
    """The longest text the grammar admits: 4 facts, every string full of 4-byte characters,
    the longest enum values, the longest number, and the optional space at every place."""
    fact = (
        '{ "content" : "' + FOUR_BYTES * facts.MAX_CONTENT + '" , '
        '"subject" : "' + FOUR_BYTES * facts.MAX_SUBJECT + '" , '
        '"category" : "relationship" , '
        '"confidence" : 0.99 , '
        '"action" : "preference_update" , '
        '"old_value" : "' + FOUR_BYTES * facts.MAX_OLD_VALUE + '" , '
        '"replaces" : "' + FOUR_BYTES * facts.MAX_REPLACES + '" } '
    )
    return '{ "facts" : [ ' + ", ".join([fact] * facts.MAX_FACTS) + "] } "


def test_longest_valid_answer_fits_the_token_budget() -> None:
    answer = _maximal_answer()
    parsed = FactList.model_validate_json(answer)
    assert len(parsed.facts) == facts.MAX_FACTS
    assert all(len(f.content) == facts.MAX_CONTENT for f in parsed.facts)
    assert parsed.facts[0].action == "preference_update" and parsed.facts[0].category == "relationship"
    # each token decodes to at least one byte, so bytes bound tokens
    assert len(answer.encode("utf-8")) <= max_answer_tokens()
    assert len({f.model_dump_json() for f in parsed.facts}) == 1  # four copies of the longest fact
    assert parse_facts(answer) == parsed.facts[:1]  # a repeated fact is proposed once


def test_one_more_character_breaks_the_schema() -> None:
    too_long = _maximal_answer().replace('"' + FOUR_BYTES * facts.MAX_CONTENT + '"',
                                         '"' + FOUR_BYTES * (facts.MAX_CONTENT + 1) + '"', 1)
    with pytest.raises(ParseFailure, match="does not fit the fact schema"):
        parse_facts(too_long)


def test_budget_leaves_room_for_a_prompt_in_the_default_context() -> None:
    from scallop_curator.settings import EngineSettings

    assert EngineSettings().n_ctx - max_answer_tokens() >= 2048


# ------------------------------------------------------------------ parsing
GOOD = {"content": "Lives in Porto", "subject": "user", "category": "location", "confidence": 0.9,
        "action": "fact", "old_value": None, "replaces": None}


def test_plain_object() -> None:
    [fact] = parse_facts(json.dumps({"facts": [GOOD]}))
    assert (fact.content, fact.category, fact.confidence) == ("Lives in Porto", "location", 0.9)


def test_empty_list_is_a_quiet_turn() -> None:
    assert parse_facts('{"facts": []}') == []


def test_think_block_before_the_answer() -> None:
    raw = "<think>\nThe user says they live in Porto. {not json}\n</think>\n\n" + json.dumps({"facts": [GOOD]})
    assert [f.content for f in parse_facts(raw)] == ["Lives in Porto"]


def test_code_fence() -> None:
    raw = "```json\n" + json.dumps({"facts": [GOOD]}, indent=2) + "\n```"
    assert [f.content for f in parse_facts(raw)] == ["Lives in Porto"]


def test_bare_list() -> None:
    assert [f.subject for f in parse_facts(json.dumps([GOOD, {**GOOD, "subject": "Ana"}]))] == ["user", "Ana"]


def test_text_around_the_json() -> None:
    raw = "Here are the facts:\n" + json.dumps({"facts": [GOOD]}) + "\nHope this helps!"
    assert len(parse_facts(raw)) == 1


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ('{"facts": [{"content": "Lives in Por', "incomplete or broken"),
        ("{'facts': []}", "incomplete or broken"),
        ("", "wrote nothing"),
        ("<think>only reasoning, never closed", "wrote nothing"),
        ("I could not find any facts.", "wrote no JSON"),
    ],
)
def test_broken_output_is_a_plain_parse_failure(raw: str, words: str) -> None:
    with pytest.raises(ParseFailure) as caught:
        parse_facts(raw)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"facts": [{**GOOD, "category": "hobby"}]}, "facts.0.category"),
        ({"facts": [{**GOOD, "confidence": "very"}]}, "facts.0.confidence"),
        ({"facts": [{**GOOD, "content": ""}]}, "facts.0.content"),
        ({"facts": [{**GOOD, "content": "x" * (facts.MAX_CONTENT + 1)}]}, "facts.0.content"),
        ({"facts": [GOOD] * (facts.MAX_FACTS + 1)}, "facts"),
        ({"facts": [{k: v for k, v in GOOD.items() if k != "subject"}]}, "facts.0.subject"),
        ({"facts": "Lives in Porto"}, "facts"),
    ],
)
def test_schema_violations_are_plain_parse_failures(value: object, where: str) -> None:
    with pytest.raises(ParseFailure) as caught:
        parse_facts(json.dumps(value))
    assert f"does not fit the fact schema ({where}:" in str(caught.value)


def test_a_fact_repeated_in_one_answer_is_proposed_once() -> None:
    from scallop_curator.extraction.output import parse_facts

    fact = {"content": "Lives in Porto", "subject": "user", "category": "location", "confidence": 0.9,
            "action": "fact", "old_value": None, "replaces": None}
    again = {**fact, "content": "lives in  porto", "category": "personal"}
    other = {**fact, "content": "Works in Porto", "category": "work"}
    facts = parse_facts(json.dumps({"facts": [fact, again, other]}))
    assert [f.content for f in facts] == ["Lives in Porto", "Works in Porto"]


def test_a_confidence_out_of_range_is_clamped_not_fatal() -> None:
    from scallop_curator.extraction.output import parse_facts

    fact = {"content": "Allergic to walnuts", "subject": "user", "category": "personal", "confidence": 1.2,
            "action": "fact", "old_value": None, "replaces": None}
    low = {**fact, "content": "Lives in Lyon", "confidence": -3}
    assert [f.confidence for f in parse_facts(json.dumps({"facts": [fact, low]}))] == [1.0, 0.0]
