"""'Name: text' transcripts with two or more speakers: recognised, and the user chooses who is "the user"."""

from __future__ import annotations

import pytest

from scallop_curator.importers import ImportOptions, ImportProblem, load_export
from scallop_curator.importers.speakers import SpeakerLog, speaker_logs
from scallop_curator.store import Store

NAMED = """User 1: Hi, I just got back from Kyoto.
User 2: How was it?
User 1: Amazing. I love temples.
User 2: I prefer beaches myself.
---
Alice: I bought a piano.
Bob: Do you play?
Alice: Since I was six.
Bob: Nice: I play the guitar.
Carol: Can I join?
Carol: I sing.
"""


@pytest.fixture
def named(tmp_path):
    path = tmp_path / "named.txt"
    path.write_text(NAMED)
    return path


def test_named_speakers_are_recognised_per_conversation(named):
    assert speaker_logs(named) == [SpeakerLog("conversation 1", ("User 1", "User 2")),
                                   SpeakerLog("conversation 2", ("Alice", "Bob", "Carol"))]
    result = load_export(named)
    assert result.format_name == "named-speaker transcript"
    first, second = result.conversations
    assert [t.role for t in first.turns] == ["user", "assistant", "user", "assistant"]
    assert second.turns[3].text == "Nice: I play the guitar."
    assert result.notes == [
        "conversation 1: User 1 was taken as the user (the first speaker); the others: User 2",
        "conversation 2: Alice was taken as the user (the first speaker); the others: Bob, Carol",
    ]


def test_the_user_is_chosen_per_conversation_and_ids_do_not_depend_on_it(named):
    default = load_export(named)
    chosen = load_export(named, ImportOptions(user_by_log={"conversation 2": "bob"}, user_names=("User 2",)))
    assert [c.id for c in chosen.conversations] == [c.id for c in default.conversations]
    assert [t.source_id for t in chosen.conversations[1].turns] == [t.source_id for t in default.conversations[1].turns]
    assert [t.role for t in chosen.conversations[0].turns] == ["assistant", "user", "assistant", "user"]
    assert [t.role for t in chosen.conversations[1].turns] == ["assistant", "user", "assistant", "user",
                                                               "assistant", "assistant"]
    assert chosen.notes[1] == "conversation 2: Bob is the user; the others: Alice, Carol"
    with pytest.raises(ImportProblem, match="Zed does not speak in this file"):
        load_export(named, ImportOptions(user_speaker="Zed"))


def test_a_second_import_with_another_user_is_refused_not_copied(named, tmp_path):
    store = Store(tmp_path / "s.db")
    try:
        store.import_file(load_export(named), str(named))
        again = store.import_file(load_export(named, ImportOptions(user_names=("User 2",))), str(named))
        assert (again.new_conversations, again.new_turns, again.unchanged_conversations) == (0, 0, 1)
        assert again.skipped[0][0] == "User 2 with User 1"
        assert store.conversation_count() == 2
    finally:
        store.close()


@pytest.mark.parametrize("text", [
    "Shopping list\nNote: buy bread\nNote: eggs\nTodo: call Ann\nTodo: pay rent\n",
    "Subject: hello\nFrom: Ann\nTo: Bob\nSubject: again\nFrom: Bob\nTo: Ann\n",
    "name: app\nversion: 1\nname: lib\nversion: 2\n",
    "Meeting notes\nAlice: agreed on the plan.\nThe plan has three parts and a long description that goes on.\n"
    "It spans many lines of prose.\nMore prose here.\nBob: fine.\nAnd more prose.\nEven more.\n",
    "Dear Ann,\nSee https://example.com and http://example.org/x and https://a.b/c\nThanks\n",
])
def test_prose_and_headers_are_not_transcripts(tmp_path, text):
    path = tmp_path / "notes.txt"
    path.write_text(text)
    with pytest.raises(ImportProblem, match="not a chat export"):
        load_export(path)
