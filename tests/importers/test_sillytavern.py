from scallop_curator.importers import load_export
from tests.importers.conftest import texts


def test_swipes_and_system_lines(fixtures):
    result = load_export(fixtures / "sillytavern-chat.jsonl")
    assert result.format_name == "SillyTavern chat"
    conv = result.conversations[0]
    assert conv.id.startswith("sillytavern:")
    assert [t.role for t in conv.turns] == ["assistant", "user", "assistant", "user"]
    assert conv.turns[2].text == "Chosen swipe: Oslo is far from here."
    assert "SYSTEM-SECRET" not in texts(conv)
    assert conv.turns[1].time.year == 2024 and conv.turns[3].time.minute == 39
    assert load_export(fixtures / "sillytavern-chat.jsonl").conversations[0].id == conv.id
