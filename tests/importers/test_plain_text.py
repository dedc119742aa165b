import pytest

from scallop_curator.importers import ImportProblem, load_export


def test_multiline_messages(fixtures):
    result = load_export(fixtures / "transcript.txt")
    conv = result.conversations[0]
    assert result.format_name == "plain-text transcript"
    assert conv.title == "Chat about my bike"
    assert [t.role for t in conv.turns] == ["user", "assistant", "user", "assistant"]
    assert conv.turns[0].text == "I commute by bike every day.\nIt is 12 km each way."
    assert conv.id == load_export(fixtures / "transcript.txt").conversations[0].id


def test_human_ai_claude_prefixes(fixtures):
    conv = load_export(fixtures / "transcript-human-ai.txt").conversations[0]
    assert [t.role for t in conv.turns] == ["user", "assistant", "user", "assistant"]


def test_prose_is_not_a_transcript(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Shopping list\n- eggs\n- milk\nNote: buy bread\n")
    with pytest.raises(ImportProblem, match="notes.txt.*not a chat export"):
        load_export(path)
