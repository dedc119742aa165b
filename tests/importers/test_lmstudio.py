from scallop_curator.importers import load_export
from tests.importers.conftest import texts


def test_selected_versions(fixtures):
    result = load_export(fixtures / "lmstudio-conversation.json")
    assert result.format_name == "LM Studio conversation"
    conv = result.conversations[0]
    assert conv.id == "lmstudio:1730000000000" and conv.title == "Running plan"
    assert [t.text for t in conv.turns] == ["I run 10k every Sunday with my club.", "A club keeps you going."]
    assert [t.source_id for t in conv.turns] == ["0:1", "1:2"]
    assert "SECRET" not in texts(conv)
