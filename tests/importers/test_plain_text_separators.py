"""Separator lines (---, ***, ===) split a transcript into conversations, and never stay inside a message."""

from __future__ import annotations

import pytest

from scallop_curator.importers import load_export

TWO = """Chat about my bike
User: I commute by bike every day.
Assistant: That is a healthy habit.
{sep}
User: I have two daughters.
Assistant: How old are they?
User: Six and nine.
Assistant: Lovely ages.
"""


@pytest.mark.parametrize("sep", ["---", "***", "===", "- - -", "______", "-----"])
def test_separators_split_conversations(tmp_path, sep):
    path = tmp_path / "two.txt"
    path.write_text(TWO.format(sep=sep))
    result = load_export(path)
    first, second = result.conversations
    assert [t.text for t in first.turns] == ["I commute by bike every day.", "That is a healthy habit."]
    assert first.title == "Chat about my bike"
    assert second.title == "I have two daughters."
    assert first.id != second.id
    assert all(sep not in t.text for c in result.conversations for t in c.turns)
    cases = second.extraction_cases()
    assert cases[0].message == "I have two daughters." and cases[0].context is None  # no context from before


def test_a_rule_inside_a_message_or_a_code_block_stays(tmp_path):
    path = tmp_path / "rule.txt"
    path.write_text("User: Show me a table.\nAssistant: Here it is:\n\n---\n\nSome more text.\n"
                    "User: And yaml?\nAssistant: ```\n---\nkey: 1\n```\n***\nUser: New chat.\nAssistant: Hi.\n")
    first, second = load_export(path).conversations
    assert first.turns[1].text == "Here it is:\n\n---\n\nSome more text."
    assert first.turns[3].text == "```\n---\nkey: 1\n```"
    assert [t.text for t in second.turns] == ["New chat.", "Hi."]


def test_conversations_that_start_alike_get_their_own_ids(tmp_path):
    path = tmp_path / "same.txt"
    path.write_text("User: Hi\nAssistant: Hello!\nUser: I like tea.\n---\nUser: Hi\nAssistant: Hello!\nUser: I like coffee.\n")
    first, second = load_export(path).conversations
    assert first.id != second.id and second.id.startswith(first.id)


def test_the_first_conversation_keeps_the_id_it_had_before_separators_were_read(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("User: I commute by bike every day.\nAssistant: That is a healthy habit.\n")
    from scallop_curator.importers.base import stable_key

    (conversation,) = load_export(path).conversations
    assert conversation.id == f"text:{stable_key(['I commute by bike every day.', 'That is a healthy habit.'])}"
