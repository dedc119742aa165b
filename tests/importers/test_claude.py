from scallop_curator.importers import load_export
from tests.importers.conftest import texts


def test_bulk_sample(samples):
    result = load_export(samples / "claude" / "conversations.json")
    assert result.format_name == "Claude export"
    assert [c.id for c in result.conversations] == ["claude:test-conv-1", "claude:test-conv-2"]
    assert result.conversations[0].turns[0].role == "user"
    assert result.conversations[0].turns[0].source_id == "msg-1"


def test_single_conversation_content_first(samples):
    conv = load_export(samples / "claude" / "claude-bakery-chat.json").conversations[0]
    assert conv.id == "claude:8006a434-8b0b-43df-8e6d-c0a7aeb2e6b3"
    assert [t.role for t in conv.turns] == ["user", "assistant", "user", "assistant"]
    assert all(t.text for t in conv.turns)  # text is empty in the file; content[] is read
    assert "<antThinking>" not in texts(conv)
    assert conv.turns[0].time is not None


def test_branches_latest_child_and_pinned_leaf(fixtures):
    result = load_export(fixtures / "claude-branches.json")
    by_id = {c.id: c for c in result.conversations}
    latest = by_id["claude:conv-branch"]
    assert [t.source_id for t in latest.turns] == ["m1", "m2", "m3b", "m4b"]
    pinned = by_id["claude:conv-pinned"]
    assert [t.source_id for t in pinned.turns] == ["m1", "m2", "m3a", "m4a"]
    body = texts(latest)
    for secret in ("THINKING-SECRET", "TOOL-SECRET", "TOOL-RESULT-SECRET"):
        assert secret not in body
    flat = by_id["claude:conv-flat"]
    assert flat.turns[0].text.startswith("My daughter Ines")  # text fallback when content is empty
    assert flat.title.startswith("My daughter")
    assert result.skipped == [("Broken one", "was skipped: it has no chat_messages list.")]


def test_zip(fixtures):
    result = load_export(fixtures / "claude-export.zip")
    assert result.format_name == "Claude export"
    assert len(result.conversations) == 3
