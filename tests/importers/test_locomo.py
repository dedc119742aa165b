import json
from pathlib import Path

import pytest

from scallop_curator.importers import ImportOptions, ImportProblem, load_export
from scallop_curator.importers.locomo import session_time, speakers_in
from scallop_curator.importers.speakers import SpeakerLog, speaker_logs
from scallop_curator.store import Store

PAIRS = [("pair-1", "Rita", "Tom"), ("pair-2", "Ana", "Ben"), ("pair-3", "Cleo", "Dan")]


def pairs_file(folder: Path) -> Path:
    """Three logs between three different pairs of people, two sessions each."""
    records = []
    for sample, a, b in PAIRS:
        conversation = {"speaker_a": a, "speaker_b": b}
        for n in (1, 2):
            conversation[f"session_{n}_date_time"] = f"1:56 pm on {n} May, 2023"
            conversation[f"session_{n}"] = [
                {"speaker": a, "dia_id": f"D{n}:1", "text": f"{a} says hello in session {n}."},
                {"speaker": b, "dia_id": f"D{n}:2", "text": f"{b} answers in session {n}."},
            ]
        records.append({"sample_id": sample, "conversation": conversation})
    path = folder / "pairs.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.fixture
def locomo(samples):
    return samples / "locomo" / "locomo-shaped-pair.json"  # written for this project in LoCoMo's shape


def test_default_first_speaker_sessions_dated(locomo):
    result = load_export(locomo)
    assert result.format_name.endswith("(LoCoMo)")
    assert len(result.conversations) == 4
    first = result.conversations[0]
    assert first.turns[0].role == "user" and first.turns[0].text.startswith("Hi Ivan!")
    assert first.turns[0].source_id == "D1:1"
    assert first.turns[0].time.isoformat() == "2024-03-03T14:05:00+00:00"
    assert all(t.time == first.created_at for t in first.turns)


def test_chosen_speaker(locomo):
    result = load_export(locomo, options=ImportOptions(user_speaker="Ivan"))
    first = result.conversations[0]
    assert first.turns[0].role == "assistant" and first.turns[1].role == "user"
    assert first.id == load_export(locomo).conversations[0].id == "locomo:pair-1:session_1"  # not the user's name
    assert result.notes == ["pair-1: Ivan is the user; the others: Rosa"]
    assert speakers_in(locomo) == ["Rosa", "Ivan"]


def test_unknown_speaker(locomo):
    with pytest.raises(ImportProblem, match="Bob does not speak.*Rosa, Ivan"):
        load_export(locomo, options=ImportOptions(user_speaker="Bob"))


def test_date_text():
    assert session_time("12:09 am on 13 September, 2023").hour == 0
    assert session_time("nonsense") is None


def test_every_pair_is_imported_and_the_notes_say_who_is_the_user(tmp_path):
    path = pairs_file(tmp_path)
    assert speaker_logs(path) == [SpeakerLog(s, (a, b)) for s, a, b in PAIRS]
    result = load_export(path)
    assert len(result.conversations) == 6 and not result.skipped
    assert result.notes == [f"{s}: {a} was taken as the user (the first speaker); the others: {b}" for s, a, b in PAIRS]


def test_one_name_no_longer_skips_the_other_pairs(tmp_path):
    result = load_export(pairs_file(tmp_path), ImportOptions(user_speaker="Tom"))
    assert len(result.conversations) == 6 and not result.skipped
    assert result.notes[0] == "pair-1: Tom is the user; the others: Rita"
    assert result.notes[1].startswith("pair-2: Ana was taken as the user")


def test_the_user_is_chosen_per_pair(tmp_path):
    options = ImportOptions(user_by_log={"pair-2": "Ben"}, user_names=("Dan",))
    result = load_export(pairs_file(tmp_path), options)
    users = {c.id: next(t.text for t in c.turns if t.role == "user") for c in result.conversations}
    assert users["locomo:pair-1:session_1"].startswith("Rita")
    assert users["locomo:pair-2:session_1"].startswith("Ben")
    assert users["locomo:pair-3:session_2"].startswith("Dan")
    with pytest.raises(ImportProblem, match="no log 'pair-9'"):
        load_export(pairs_file(tmp_path), ImportOptions(user_by_log={"pair-9": "Rita"}))
    bad = load_export(pairs_file(tmp_path), ImportOptions(user_by_log={"pair-1": "Ana"}))
    assert bad.skipped == [("pair-1", "was skipped: Ana does not speak in it (the speakers are Rita, Tom).")]


def test_importing_again_with_the_other_user_makes_no_second_copy(tmp_path):
    path = pairs_file(tmp_path)
    store = Store(tmp_path / "s.db")
    try:
        store.import_file(load_export(path), str(path))
        again = store.import_file(load_export(path, ImportOptions(user_by_log={"pair-1": "Tom"})), str(path))
        assert (again.new_conversations, again.new_turns, again.unchanged_conversations) == (0, 0, 4)
        assert [title for title, _ in again.skipped] == ["Tom with Rita, session 1 (1:56 pm on 1 May, 2023)",
                                                         "Tom with Rita, session 2 (1:56 pm on 2 May, 2023)"]
        assert "imported before with another person as the user" in again.skipped[0][1]
        assert store.conversation_count() == 6
        first = store.turns("locomo:pair-1:session_1")
        assert [(t.role, t.text[:4]) for t in first] == [("user", "Rita"), ("assistant", "Tom ")]
    finally:
        store.close()
