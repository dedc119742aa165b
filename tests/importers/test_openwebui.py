from scallop_curator.importers import load_export
from tests.importers.conftest import texts


def test_current_branch_and_reasoning_stripped(fixtures):
    result = load_export(fixtures / "openwebui-export.json")
    assert result.format_name == "Open WebUI export"
    conv = result.conversations[0]
    assert conv.id == "openwebui:owui-1" and conv.title == "Moving abroad"
    assert [t.source_id for t in conv.turns] == ["a", "b", "c2", "d"]  # the edited turn c1 is off-branch
    assert "REASONING-SECRET" not in texts(conv) and "THINK-SECRET" not in texts(conv)
    assert conv.turns[1].text == "Great, Portuguese is fun."
    assert result.skipped and result.skipped[0][0] == "Broken"
