from scallop_curator.importers import load_export


def test_grouped_by_link_and_ordered(fixtures):
    result = load_export(fixtures / "gemini-my-activity.json")
    assert result.format_name.startswith("Gemini")
    by_id = {c.id: c for c in result.conversations}
    linked = by_id["gemini:abc123"]
    assert [t.role for t in linked.turns] == ["user", "assistant", "user", "assistant"]
    assert linked.turns[0].text == "I'm allergic to peanuts"  # oldest first, entities decoded
    assert "lentil curry" in linked.turns[3].text and "<p>" not in linked.turns[3].text
    assert len(result.conversations) == 2  # "Used Gemini Apps" is not a conversation
